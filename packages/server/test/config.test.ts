// Configuration is checked before anything starts: every bad value is named, with what it got and
// what it expects, in one line on stderr and exit code 2; a start that fails for another reason (the
// database cannot be reached, the port is taken) says so in one line with exit code 1. No stacks.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { MASTER_KEY } from './support/api.ts';
import { cleanEnv, type EntryPoint, runToExit } from './support/processes.ts';

const KEY = MASTER_KEY.toString('base64');

const failure = (env: NodeJS.ProcessEnv) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted it');
};

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: undefined,
      masterKey: undefined,
      devAllowLoopback: false,
      signatureWindowMs: 30_000,
      weightBudgetPerMinute: 1200,
      brokenAfterMs: 72 * 3_600_000,
      deliveryLeaseMs: 5 * 60_000,
      runWorker: true,
      // The embedded store is for development: pages on localhost may call it.
      corsOrigins: 'localhost',
      logLevel: 'info',
    });
  });

  it('allows no browser origin by default in production, and the origins PIPAI_CORS_ORIGINS names', () => {
    const production = { DATABASE_URL: 'postgresql://pipai@db.internal/pipai', PIPAI_MASTER_KEY: KEY };
    expect(loadConfig(production).corsOrigins).toEqual([]);
    expect(
      loadConfig({ ...production, PIPAI_CORS_ORIGINS: 'https://app.pipai.example, http://localhost:5173' }).corsOrigins,
    ).toEqual(['https://app.pipai.example', 'http://localhost:5173']);
    expect(loadConfig({ PIPAI_CORS_ORIGINS: 'none' }).corsOrigins).toEqual([]);
    expect(loadConfig({ ...production, PIPAI_CORS_ORIGINS: 'localhost' }).corsOrigins).toBe('localhost');
  });

  it('reads good values', () => {
    expect(
      loadConfig({
        PORT: '0',
        DATABASE_URL: 'postgresql://pipai:secret@db.internal:5432/pipai',
        PIPAI_MASTER_KEY: KEY,
        PIPAI_BROKEN_AFTER: '3d',
        PIPAI_DELIVERY_LEASE: '90',
        PIPAI_SIGNATURE_WINDOW_SECONDS: '60',
        PIPAI_WORKER: 'off',
        PIPAI_DEV_ALLOW_LOOPBACK: '1',
        LOG_LEVEL: 'debug',
      }),
    ).toMatchObject({
      port: 0,
      databaseUrl: 'postgresql://pipai:secret@db.internal:5432/pipai',
      brokenAfterMs: 3 * 86_400_000,
      deliveryLeaseMs: 90_000,
      signatureWindowMs: 60_000,
      runWorker: false,
      devAllowLoopback: true,
      logLevel: 'debug',
    });
    expect(loadConfig({ PIPAI_DELIVERY_LEASE: '500ms', PIPAI_BROKEN_AFTER: '30m' })).toMatchObject({
      deliveryLeaseMs: 500,
      brokenAfterMs: 1_800_000,
    });
  });

  it.each([
    [{ PORT: 'http' }, 'PORT must be an integer from 0 to 65535, got "http"'],
    [{ PORT: '65536' }, 'PORT must be an integer from 0 to 65535, got "65536"'],
    [{ PORT: '1e3' }, 'PORT must be an integer from 0 to 65535, got "1e3"'],
    [{ PORT: '-1' }, 'PORT must be an integer from 0 to 65535, got "-1"'],
    [
      { PIPAI_WEIGHT_PER_MINUTE: '12.5' },
      'PIPAI_WEIGHT_PER_MINUTE must be an integer from 1 to 1000000000, got "12.5"',
    ],
    [
      { PIPAI_SIGNATURE_WINDOW_SECONDS: '0' },
      'PIPAI_SIGNATURE_WINDOW_SECONDS must be an integer from 1 to 3600, got "0"',
    ],
    [
      { PIPAI_BROKEN_AFTER: '3 days' },
      'PIPAI_BROKEN_AFTER must be a positive duration such as 72h, 30m, 45s or 500ms (a plain number is seconds), got "3 days"',
    ],
    [
      { PIPAI_BROKEN_AFTER: '0h' },
      'PIPAI_BROKEN_AFTER must be a positive duration such as 72h, 30m, 45s or 500ms (a plain number is seconds), got "0h"',
    ],
    [
      { PIPAI_DELIVERY_LEASE: 'soon' },
      'PIPAI_DELIVERY_LEASE must be a positive duration such as 72h, 30m, 45s or 500ms (a plain number is seconds), got "soon"',
    ],
    [
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"',
    ],
    [{ PIPAI_WORKER: 'false' }, 'PIPAI_WORKER must be one of on, off, got "false"'],
    [{ PIPAI_DEV_ALLOW_LOOPBACK: 'yes' }, 'PIPAI_DEV_ALLOW_LOOPBACK must be one of 1, 0, got "yes"'],
    [
      { DATABASE_URL: 'notaurl' },
      'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/database, got "notaurl" (not a URL)',
    ],
    [
      { DATABASE_URL: 'mysql://pipai@db.internal/pipai', PIPAI_MASTER_KEY: KEY },
      'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/database (postgres: or postgresql:), got "mysql://pipai@db.internal/pipai"',
    ],
    [
      { DATABASE_URL: 'postgres://pipai@db.internal/pipai' },
      'PIPAI_MASTER_KEY is required with DATABASE_URL: every process sharing the database needs the same key',
    ],
    [
      { PIPAI_MASTER_KEY: Buffer.alloc(16, 1).toString('base64') },
      'PIPAI_MASTER_KEY must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`), got 16 bytes',
    ],
  ])('refuses %o', (env, message) => {
    expect(failure(env)).toBe(message);
  });

  it('never repeats a password or a master key it refuses', () => {
    const url = failure({ DATABASE_URL: 'mysql://pipai:hunter2@db.internal/pipai', PIPAI_MASTER_KEY: KEY });
    expect(url).toContain('"mysql://pipai:***@db.internal/pipai"');
    expect(url).not.toContain('hunter2');
    const key = failure({ PIPAI_MASTER_KEY: 'not a key!' });
    expect(key).toBe(
      'PIPAI_MASTER_KEY must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`), got text that is not base64',
    );
  });

  it('names every bad variable, in one line', () => {
    const message = failure({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(message).toBe(
      'PORT must be an integer from 0 to 65535, got "x"; LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"',
    );
    expect(message).not.toContain('\n');
  });
});

/** What an operator sees: exactly one line on stderr, nothing on stdout, no stack frames. */
function expectOneLine(result: { stdout: string; stderr: string }, line: string) {
  expect(result.stderr).toBe(`cannot start: ${line}\n`);
  expect(result.stdout).toBe('');
}

describe('a process started with bad configuration', () => {
  const cases: [EntryPoint, NodeJS.ProcessEnv, string][] = [
    ['main.ts', { PORT: 'eighty' }, 'PORT must be an integer from 0 to 65535, got "eighty"'],
    [
      'main.ts',
      { DATABASE_URL: 'notaurl', PIPAI_MASTER_KEY: KEY },
      'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/database, got "notaurl" (not a URL)',
    ],
    [
      'main.ts',
      { DATABASE_URL: 'mysql://pipai@127.0.0.1/pipai', PIPAI_MASTER_KEY: KEY },
      'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/database (postgres: or postgresql:), got "mysql://pipai@127.0.0.1/pipai"',
    ],
    [
      'main.ts',
      { PIPAI_BROKEN_AFTER: '3days' },
      'PIPAI_BROKEN_AFTER must be a positive duration such as 72h, 30m, 45s or 500ms (a plain number is seconds), got "3days"',
    ],
    [
      'main.ts',
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"',
    ],
    [
      'worker.ts',
      { PIPAI_DELIVERY_LEASE: 'soon' },
      'PIPAI_DELIVERY_LEASE must be a positive duration such as 72h, 30m, 45s or 500ms (a plain number is seconds), got "soon"',
    ],
    [
      'main.ts',
      { PIPAI_CORS_ORIGINS: 'https://app.pipai.example/' },
      'PIPAI_CORS_ORIGINS must be origins (scheme://host[:port], no path or trailing slash) separated by commas, *, localhost or none, got "https://app.pipai.example/"',
    ],
    [
      'admin.ts',
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"',
    ],
  ];

  it.each(cases)('%s with %o exits 2 with one line', async (entry, env, line) => {
    const result = await runToExit(
      entry,
      cleanEnv({ PIPAI_DATA_DIR: '/nonexistent/never-created', ...env }),
      entry === 'admin.ts' ? ['keys', 'list'] : [],
    );
    expect(result.code).toBe(2);
    expectOneLine(result, line);
  });
});

describe('a process that cannot start for another reason', () => {
  it.each(['main.ts', 'worker.ts', 'admin.ts'] as const)(
    '%s: the database is unreachable: exits 1 with one line',
    async (entry) => {
      const env = cleanEnv({ DATABASE_URL: 'postgres://nobody:hunter2@127.0.0.1:1/none', PIPAI_MASTER_KEY: KEY });
      const result = await runToExit(entry, env, entry === 'admin.ts' ? ['keys', 'list'] : []);
      expect(result.code).toBe(1);
      expectOneLine(
        result,
        'cannot reach the database at postgres://nobody:***@127.0.0.1:1/none: connect ECONNREFUSED 127.0.0.1:1',
      );
    },
  );

  it('main.ts: the port is taken: exits 1 with one line', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    const dir = mkdtempSync(join(tmpdir(), 'pipai-port-'));
    try {
      const result = await runToExit(
        'main.ts',
        cleanEnv({ PIPAI_DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
      );
      expect(result.code).toBe(1);
      expectOneLine(result, `PORT ${port} is already in use on 127.0.0.1`);
    } finally {
      holder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
