// `pnpm start | cat` (or `| tee`, `| pino-pretty`), then the reader dies (Ctrl-C reaches the whole
// pipeline): the next log line meets a pipe nobody reads (EPIPE). SIGINT and SIGTERM must still
// drain and exit, quietly, for the API and the worker alike.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, type EntryPoint, type RunningProcess, startProcess, waitUntil } from './support/processes.ts';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Starts `entry` with its stdout piped into `cat`, waits for `ready` to come through, then kills `cat`. */
async function startWithDeadReader(entry: EntryPoint, ready: string): Promise<RunningProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-epipe-'));
  dirs.push(dir);
  const reader = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
  children.push(reader);
  let relayed = '';
  reader.stdout!.on('data', (chunk) => (relayed += chunk));
  const env = cleanEnv({ PIPAI_DATA_DIR: join(dir, 'data'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
  const started = startProcess(entry, env, { stdout: reader.stdin! });
  children.push(started.child);
  await waitUntil(() => relayed.includes(ready), 20_000, `${ready} through the pipe`);
  const readerGone = new Promise((resolve) => reader.once('exit', resolve));
  reader.kill('SIGKILL');
  await readerGone;
  return started;
}

/** The exit, or a failure after a generous cap (a guard against hanging forever, not a time limit). */
function exitOf(running: RunningProcess) {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running; stderr:\n${running.output()}`)), 30_000);
  });
  return Promise.race([running.exited, guard]).finally(() => clearTimeout(timer));
}

describe.each([
  ['main.ts', 'PipAI API listening'],
  ['worker.ts', 'PipAI delivery worker running'],
] as const)('%s logging into a pipe whose reader died', (entry, ready) => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'drains and exits 0 on %s, saying nothing on stderr',
    async (signal) => {
      const running = await startWithDeadReader(entry, ready);
      running.child.kill(signal);
      expect(await exitOf(running)).toEqual({ code: 0, signal: null });
      expect(running.output()).toBe('');
    },
    60_000,
  );
});
