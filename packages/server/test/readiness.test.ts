// /readyz and the master key canary. /healthz only says the process answers; /readyz says whether it
// can work: the database answers, its schema is at head, and the master key opens the canary. A
// process whose master key is not the one the stored secrets were sealed with refuses to start.
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretBox } from '../src/crypto/secret-box.ts';
import { createReadiness } from '../src/readiness.ts';
import { openSqliteStore } from '../src/store/store.ts';
import { MASTER_KEY, startTestApi, type TestApi } from './support/api.ts';
import { cleanEnv, runToExit } from './support/processes.ts';
import { STORE_KINDS } from './support/stores.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs SQL on the test store's database directly, behind the store's back. */
async function sql(api: TestApi, text: string): Promise<void> {
  if (api.opened.store.kind === 'sqlite') {
    const db = new DatabaseSync(api.opened.location);
    db.exec(text);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: api.opened.location });
  await client.connect();
  await client.query(text);
  await client.end();
}

const readyz = async (api: TestApi) => {
  const response = await fetch(`${api.baseUrl}/readyz`);
  return { status: response.status, body: await response.json() };
};

describe.each(STORE_KINDS)('readiness on %s', (kind) => {
  it('is ready at head with the canary opened, and names the check that fails', async () => {
    const api = await startTestApi(kind);
    cleanups.push(() => api.close());
    expect(await readyz(api)).toEqual({ status: 200, body: { status: 'ready' } });
    // A database nobody had started on gets its canary from the first check.
    expect(await api.opened.store.keyring.readCanary()).toMatch(/^v1\./);

    const otherKey = createReadiness({
      store: api.opened.store,
      secrets: new SecretBox(Buffer.alloc(32, 9)),
      now: Date.now,
      logger: pino({ level: 'silent' }),
    });
    expect(await otherKey()).toEqual(['master_key']);

    // A schema behind this build's head (as after a rollback of the database, or before migrating).
    await sql(api, 'DROP TABLE key_canary; DELETE FROM schema_migrations WHERE version = 4');
    expect(await api.opened.store.schema.pending()).toEqual([4]);
    expect(await readyz(api)).toEqual({ status: 503, body: { status: 'unavailable', failing: ['migrations'] } });
    await api.opened.store.migrate();
    expect(await readyz(api)).toEqual({ status: 200, body: { status: 'ready' } });
    expect((await fetch(`${api.baseUrl}/healthz`)).status).toBe(200);
  });
});

const KEY_A = MASTER_KEY.toString('base64');
const KEY_B = Buffer.alloc(32, 9).toString('base64');
const MISMATCH =
  'cannot start: PIPAI_MASTER_KEY does not open the secrets stored in this database (it is not the key they were sealed with)\n';

function dataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-canary-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'data');
}

const withKey = (dir: string, key?: string) =>
  cleanEnv({ PIPAI_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', ...(key ? { PIPAI_MASTER_KEY: key } : {}) });
const createKey = (env: NodeJS.ProcessEnv) =>
  runToExit('admin.ts', env, ['keys', 'create', '--account', 'acme', '--scopes', 'webhooks:read', '--json']);
const listKeys = (env: NodeJS.ProcessEnv) => runToExit('admin.ts', env, ['keys', 'list', '--json']);

async function canaryOf(dir: string): Promise<string | undefined> {
  const store = openSqliteStore(join(dir, 'pipai.sqlite'));
  try {
    return await store.keyring.readCanary();
  } finally {
    await store.close();
  }
}

describe('a master key that does not open the stored secrets', () => {
  it('pnpm start, pnpm worker and pipai-admin refuse to start, in one line, exit code 1', async () => {
    const dir = dataDir();
    expect((await createKey(withKey(dir, KEY_A))).code).toBe(0);
    expect(await canaryOf(dir)).toMatch(/^v1\./);
    for (const [entry, args] of [
      ['main.ts', []],
      ['worker.ts', []],
      ['admin.ts', ['keys', 'list']],
    ] as const) {
      const result = await runToExit(entry, withKey(dir, KEY_B), [...args]);
      expect({ entry, code: result.code, stderr: result.stderr, stdout: result.stdout }).toEqual({
        entry,
        code: 1,
        stderr: MISMATCH,
        stdout: '',
      });
    }
    const listed = await listKeys(withKey(dir, KEY_A));
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
  });

  it('a database from before the canary gets one on its next start, only from the key its secrets were sealed with', async () => {
    const dir = dataDir();
    expect((await createKey(withKey(dir, KEY_A))).code).toBe(0);
    const db = new DatabaseSync(join(dir, 'pipai.sqlite'));
    db.exec('DROP TABLE key_canary; DELETE FROM schema_migrations WHERE version = 4');
    db.close();

    expect(await runToExit('admin.ts', withKey(dir, KEY_B), ['keys', 'list'])).toMatchObject({
      code: 1,
      stderr: MISMATCH,
    });
    expect(await canaryOf(dir)).toBeUndefined(); // the wrong key wrote nothing
    expect((await listKeys(withKey(dir, KEY_A))).code).toBe(0);
    expect(await canaryOf(dir)).toMatch(/^v1\./);
    expect(await runToExit('worker.ts', withKey(dir, KEY_B))).toMatchObject({ code: 1, stderr: MISMATCH });
  });

  it('without PIPAI_MASTER_KEY: the generated key file is named, and never replaced while secrets are stored', async () => {
    const dir = dataDir();
    const file = join(dir, 'master.key');
    expect((await createKey(withKey(dir))).code).toBe(0);
    expect(existsSync(file)).toBe(true);

    writeFileSync(file, `${KEY_B}\n`);
    expect(await runToExit('main.ts', withKey(dir))).toMatchObject({
      code: 1,
      stderr: `cannot start: the master key in ${file} does not open the secrets stored in this database (it is not the key they were sealed with)\n`,
    });

    unlinkSync(file);
    expect(await runToExit('main.ts', withKey(dir))).toMatchObject({
      code: 1,
      stderr: `cannot start: ${file} is missing, but the database holds secrets sealed with a master key: restore the file, or set PIPAI_MASTER_KEY to that key\n`,
    });
    expect(existsSync(file)).toBe(false);
  });
});
