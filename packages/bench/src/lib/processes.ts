// Processes the benchmarks start: servers, workers, load generators. Each is its own process, so the
// numbers include no interference from the harness beyond sharing the machine's two cores.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const MASTER_KEY = Buffer.alloc(32, 42).toString('base64');

export { freePort } from '@pipai/testkit/net';

export interface Child {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The V8 flags a root package.json script runs Node with (`pnpm start`, `pnpm worker`), so that the
 * bench starts the server and the worker exactly as operators do (README, "Memory").
 */
export const nodeFlagsOf = (script: 'start' | 'worker'): string[] =>
  (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts[script] as string)
    .split(/\s+/)
    .filter((argument) => argument.startsWith('--'));

export const WORKER_NODE_FLAGS = nodeFlagsOf('worker');

export function startNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  nodeFlags: string[] = [],
): Child {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-100_000)));
  child.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-100_000)));
  return {
    process: child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/**
 * A process that keeps one core busy (a spin loop) until it is stopped, or by itself after `maxMs`
 * whatever happens to the harness.
 */
export function startCpuHog(maxMs: number): Child {
  const child = spawn(
    process.execPath,
    ['-e', `const end = Date.now() + ${Math.round(maxMs)}; while (Date.now() < end);`],
    {
      stdio: 'ignore',
    },
  );
  return {
    process: child,
    output: () => '',
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        // A spin loop never reaches its event loop, so it is killed outright.
        child.kill('SIGKILL');
      }),
  };
}

export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not come up`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resident memory of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ: 100 on Linux unless rebuilt). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in ms (Linux), read from outside it. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Milliseconds from an array of numbers: the qth quantile. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
