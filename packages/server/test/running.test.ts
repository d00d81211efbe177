// `pnpm start` and `pnpm pipai-admin` as a new user meets them: separate processes, a fresh data
// dir, the dev credentials file, a signed request, key revocation, graceful shutdown.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type HttpsEndpoint, startHttpsEndpoint, testCaPem } from '@pipai/testkit/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedRequest } from './support/processes.ts';
import { waitUntil } from './support/waiting.ts';

const SERVER_SRC = fileURLToPath(new URL('../src/', import.meta.url));
const run = promisify(execFile);

let dataDir: string;
let server: ChildProcess;
let output = '';
let baseUrl: string;
let endpoint: HttpsEndpoint;
let env: NodeJS.ProcessEnv;

async function waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
  const started = Date.now();
  for (;;) {
    const match = output.match(pattern);
    if (match) return match;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${pattern}; output:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const admin = (...args: string[]) => run(process.execPath, [join(SERVER_SRC, 'admin.ts'), ...args], { env });

// pipai-admin's help as operators see it; built from the command table, so a table change shows here.
const ADMIN_HELP = `Usage: pipai-admin <keys|events> <command> [options]

Commands:
  keys create --account NAME --scopes SCOPES [--json]   create a key (and the account if new); prints the secret once
  keys list [--account NAME] [--json]                   list keys (never secrets)
  keys revoke KEY_ID                                    revoke a key at once (emits account.api_key_rotated)
  keys rotate KEY_ID [--json]                           a new secret for the key, shown once (emits account.api_key_rotated)
  events emit --account NAME --type TYPE [--data JSON] [--set PATH=VALUE]…
                                                        publish an event, as PipAI's services do (no --data: the spec's example)
  events trigger TYPE [--account NAME] [--data JSON] [--set PATH=VALUE]…
                                                        a fixture event of any type, to account dev unless --account (no --data: the example)
  events balance --account NAME --asset ASSET --available DECIMAL
                                                        report a balance (derives account.balance_low)

SCOPES is a comma-separated list of webhooks:read, webhooks:write.
Uses PIPAI_DATA_DIR (default .data) or DATABASE_URL and PIPAI_MASTER_KEY, like the server.
`;

/** A signed request to the running server (strictly increasing timestamps, as the SDK sends). */
const signed = (credentials: { api_key: string; api_secret: string }, method: string, target: string, body?: unknown) =>
  signedRequest(baseUrl, credentials, method, target, body);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pipai-start-'));
  const caFile = join(dataDir, 'test-ca.pem');
  writeFileSync(caFile, testCaPem);
  endpoint = await startHttpsEndpoint('valid', '127.0.0.1');
  env = {
    ...process.env,
    PIPAI_DATA_DIR: join(dataDir, 'data'),
    PORT: '0',
    HOST: '127.0.0.1',
    PIPAI_DEV_ALLOW_LOOPBACK: '1',
    NODE_EXTRA_CA_CERTS: caFile,
    LOG_LEVEL: 'info',
  };
  delete env.DATABASE_URL;
  delete env.PIPAI_MASTER_KEY;
  server = spawn(process.execPath, [join(SERVER_SRC, 'main.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (chunk) => (output += chunk));
  server.stderr!.on('data', (chunk) => (output += chunk));
  baseUrl = (await waitFor(/"url":"(http:\/\/localhost:\d+)"[^\n]*PipAI API listening/))[1]!.replace(
    'localhost',
    '127.0.0.1',
  );
}, 30_000);

afterAll(async () => {
  server?.kill('SIGKILL');
  await endpoint?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('pnpm start on a fresh data dir', () => {
  it('warns that loopback targets are allowed', () => {
    expect(output).toMatch(/PIPAI_DEV_ALLOW_LOOPBACK=1[^\n]*Never use this in production/);
  });

  it('writes dev credentials to a 0600 file and says where', () => {
    const file = join(env.PIPAI_DATA_DIR!, 'dev-credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.PIPAI_DATA_DIR!, 'master.key')).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(credentials)).toEqual(['base_url', 'account', 'api_key', 'api_secret', 'scopes']);
    expect(output).toContain(file);
    expect(output).not.toContain(credentials.api_secret);
  });

  it('answers /healthz, and /readyz once the database, its schema and the master key are fine', async () => {
    expect(await (await fetch(`${baseUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('the dev credentials work', async () => {
    const credentials = JSON.parse(readFileSync(join(env.PIPAI_DATA_DIR!, 'dev-credentials.json'), 'utf8'));
    expect((await signed(credentials, 'GET', '/v1/webhooks')).body).toEqual({ data: [], next_cursor: null });
  });

  it('pipai-admin creates a key that creates and lists a webhook as the reference pages show', async () => {
    const { stdout } = await admin(
      'keys',
      'create',
      '--account',
      'acme',
      '--scopes',
      'webhooks:read,webhooks:write',
      '--json',
    );
    const key = JSON.parse(stdout);
    expect(Object.keys(key)).toEqual(['account', 'api_key', 'api_secret', 'scopes']);
    expect(key).toMatchObject({ account: 'acme', scopes: ['webhooks:read', 'webhooks:write'] });

    const url = `https://127.0.0.1:${endpoint.port}/pipai-webhook`;
    const events = ['strategy.deployed', 'strategy.position_opened', 'strategy.error', 'backtest.job_done'];
    const created = await signed(key, 'POST', '/v1/webhooks', {
      url,
      events,
      description: 'Production strategy alerts',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url,
      events,
      description: 'Production strategy alerts',
      status: 'active',
      consecutive_failures: 0,
    });
    const listed = await signed(key, 'GET', '/v1/webhooks?status=active&limit=50');
    expect(listed.status).toBe(200);
    const { secret: _secret, _secret_warning: _warning, ...webhook } = created.body;
    expect(listed.body).toEqual({ data: [webhook], next_cursor: null });
  });

  it('pipai-admin lists keys without secrets and revokes them', async () => {
    const { stdout } = await admin('keys', 'create', '--account', 'acme', '--scopes', 'webhooks:read', '--json');
    const key = JSON.parse(stdout);
    const listed = JSON.parse((await admin('keys', 'list', '--account', 'acme', '--json')).stdout);
    expect(listed.map((entry: { api_key: string }) => entry.api_key)).toContain(key.api_key);
    expect(JSON.stringify(listed)).not.toContain(key.api_secret);
    expect((await signed(key, 'GET', '/v1/webhooks')).status).toBe(200);
    expect((await admin('keys', 'revoke', key.api_key)).stdout).toContain(`revoked ${key.api_key}`);
    expect((await signed(key, 'GET', '/v1/webhooks')).body.code).toBe('UNAUTHENTICATED');
  });

  it('pipai-admin events emit and balance store events that the in-process worker delivers', async () => {
    const { stdout } = await admin('keys', 'create', '--account', 'emitter', '--scopes', 'webhooks:write', '--json');
    const key = JSON.parse(stdout);
    const url = `https://127.0.0.1:${endpoint.port}/emitter`;
    const created = await signed(key, 'POST', '/v1/webhooks', {
      url,
      events: ['backtest.job_failed', 'account.*'],
      balance_low_threshold: '10',
    });
    expect(created.status).toBe(201);
    const data = {
      job_id: 'bt_51e0a7c3',
      strategy_id: 'stg_7d2c90e1',
      error_code: 'X',
      message: 'failed',
      failed_at: '2026-11-22T12:00:00Z',
    };
    const emitted = await admin(
      'events',
      'emit',
      '--account',
      'emitter',
      '--type',
      'backtest.job_failed',
      '--data',
      JSON.stringify(data),
      '--json',
    );
    const [event] = JSON.parse(emitted.stdout).events;
    expect(event.id).toMatch(/^evt_[0-9a-f]{24}$/);
    expect(
      JSON.parse(
        (await admin('events', 'balance', '--account', 'emitter', '--asset', 'USDT', '--available', '5', '--json'))
          .stdout,
      ).events,
    ).toHaveLength(1);
    const arrived = (id: string) =>
      endpoint.received.some((request) => request.url === '/emitter' && request.headers['webhook-id'] === id);
    await waitUntil(() => arrived(event.id), 10_000, `the delivery of ${event.id}`);
    expect(arrived(event.id)).toBe(true);

    const unknown = await admin(
      'events',
      'emit',
      '--account',
      'nobody',
      '--type',
      'backtest.job_failed',
      '--data',
      JSON.stringify(data),
    ).catch((error) => error);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^NOT_FOUND: /);
    const invalid = await admin(
      'events',
      'emit',
      '--account',
      'emitter',
      '--type',
      'backtest.job_failed',
      '--data',
      '{"job_id":1}',
    ).catch((error) => error);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^INVALID_PARAMETER: .*data\.job_id: must be string/);
  });

  it('pipai-admin keys rotate replaces the secret; rotation and revocation emit account.api_key_rotated', async () => {
    const { stdout } = await admin('keys', 'create', '--account', 'emitter', '--scopes', 'webhooks:read', '--json');
    const key = JSON.parse(stdout);
    const rotated = JSON.parse((await admin('keys', 'rotate', key.api_key, '--json')).stdout);
    expect(rotated).toMatchObject({ api_key: key.api_key, account: 'emitter' });
    expect(rotated.api_secret).not.toBe(key.api_secret);
    expect((await signed(key, 'GET', '/v1/webhooks')).body.code).toBe('INVALID_SIGNATURE');
    expect((await signed(rotated, 'GET', '/v1/webhooks')).status).toBe(200);
    await admin('keys', 'revoke', key.api_key);
    const actions = () =>
      endpoint.received
        .filter((request) => request.url === '/emitter')
        .map((request) => JSON.parse(request.body))
        .filter((event) => event.type === 'account.api_key_rotated' && event.data.api_key === key.api_key)
        .map((event) => event.data.action);
    await waitUntil(() => actions().length >= 2, 10_000, 'both account.api_key_rotated deliveries');
    expect(actions().sort()).toEqual(['revoked', 'rotated']);
  });

  it('pipai-admin rejects bad usage with exit code 2', async () => {
    const failure = await admin('keys', 'create', '--account', 'acme', '--scopes', 'webhooks:admin').catch(
      (error) => error,
    );
    expect(failure.code).toBe(2);
    expect(failure.stderr).toMatch(/unknown: webhooks:admin/);
  });

  it('pipai-admin prints its help, and says what is wrong: exit code 2 for usage, 1 for a key it cannot find', async () => {
    const failed = (...args: string[]) => admin(...args).catch((error) => error);
    expect(await admin('--help')).toMatchObject({ stdout: ADMIN_HELP, stderr: '' });
    expect(await failed()).toMatchObject({ code: 2, stdout: ADMIN_HELP, stderr: '' });
    expect(await failed('accounts', 'list')).toMatchObject({ code: 2, stdout: ADMIN_HELP });
    expect(await failed('keys', 'frobnicate')).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `unknown command: keys frobnicate\n\n${ADMIN_HELP}`,
    });
    // Every events command asks for its account first, a misspelt one too.
    expect((await failed('events', 'frobnicate')).stderr).toMatch(/^events frobnicate needs --account\n\nUsage: /);
    expect((await failed('events', 'frobnicate', '--account', 'acme')).stderr).toMatch(
      /^unknown command: events frobnicate\n\nUsage: /,
    );
    expect((await failed('keys', 'revoke')).stderr).toMatch(/^keys revoke needs a KEY_ID\n\nUsage: /);
    expect(await failed('keys', 'revoke', 'key_nope', '--json')).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'no active key key_nope\n',
    });
    expect(await failed('keys', 'rotate', 'key_nope')).toMatchObject({ code: 1, stderr: 'no active key key_nope\n' });
    expect(await failed('keys', 'list', '--nope')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^error: Unknown option '--nope'/),
    });
    expect(await failed('keys', 'list', '--account')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: Option '--account <value>' argument missing/),
    });
    // No keys, no lines; and revoke prints text even when asked for JSON.
    expect(await admin('keys', 'list', '--account', 'nobody')).toMatchObject({ stdout: '', stderr: '' });
    const { stdout } = await admin('keys', 'create', '--account', 'usage', '--scopes', 'webhooks:read', '--json');
    const key = JSON.parse(stdout);
    expect((await admin('keys', 'revoke', key.api_key, '--json')).stdout).toBe(`revoked ${key.api_key}\n`);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/"msg":"stopped"/);
  });
});

describe('configuration guards', () => {
  it('refuses to start on PostgreSQL without PIPAI_MASTER_KEY: one line, exit code 2, before connecting', async () => {
    const failure = await run(process.execPath, [join(SERVER_SRC, 'main.ts')], {
      env: { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    }).catch((error) => error);
    expect(failure.code).toBe(2);
    expect(failure.stdout).toBe('');
    expect(failure.stderr).toBe(
      'cannot start: PIPAI_MASTER_KEY is required with DATABASE_URL: every process sharing the database needs the same key\n',
    );
  });
});
