// A real PostgreSQL server for the test run: initdb + pg_ctl on a temp dir and a free port (as the
// postgres user when running as root), one database per test file.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './net.ts';

const run = promisify(execFile);

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  // initdb refuses to run as root.
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export interface RunningPostgres {
  url: string;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
  /** Stops the server, keeping its data (`fast`: active sessions are terminated, as an operator's restart does). */
  halt(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** Starts a halted server again, on the same port with the same data. */
  resume(): Promise<void>;
}

export async function startPostgres(): Promise<RunningPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  await run(
    ...asPostgresUser(join(PG_BIN, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]),
  );
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const pgCtl = (...args: string[]) => run(...asPostgresUser(join(PG_BIN, 'pg_ctl'), ['-D', data, ...args]));
  const start = () => pgCtl('-o', options, '-l', join(dir, 'log'), '-w', 'start');
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
    async halt(mode = 'fast') {
      await pgCtl('-m', mode, '-w', 'stop');
    },
    async resume() {
      await start();
    },
  };
}

/** A fresh, empty database on the shared server; its URL. */
export async function createDatabase(serverUrl: string): Promise<string> {
  const name = `pipai_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
