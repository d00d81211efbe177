// The server's entry points as separate processes, the way an operator runs them: `node main.ts`,
// `node worker.ts`, `node admin.ts` with an environment, their output collected, signed requests
// to a started API.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import type { Stream } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { timestamps } from '@pipai/testkit/signing';
import { sign } from './api.ts';

import { waitUntil } from './waiting.ts';

export { waitUntil };

export const SERVER_SRC = fileURLToPath(new URL('../../src/', import.meta.url));

export type EntryPoint = 'main.ts' | 'worker.ts' | 'admin.ts';

/** The test runner's environment without any of the server's own variables. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('PIPAI_') || ['DATABASE_URL', 'PORT', 'HOST', 'LOG_LEVEL'].includes(name)) delete env[name];
  }
  return { ...env, ...extra };
}

export interface RunningProcess {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts an entry point; `stdout` may be handed to another process instead of collected. */
export function startProcess(
  entry: EntryPoint,
  env: NodeJS.ProcessEnv,
  options: { args?: string[]; stdout?: 'pipe' | Stream } = {},
): RunningProcess {
  const child = spawn(process.execPath, [`${SERVER_SRC}${entry}`, ...(options.args ?? [])], {
    env,
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    async waitFor(pattern, timeoutMs = 20_000) {
      let match: RegExpMatchArray | null = null;
      await waitUntil(
        () => {
          match = output.match(pattern);
          if (!match && child.exitCode !== null)
            throw new Error(`${entry} exited (${child.exitCode}) before ${pattern}:\n${output}`);
          return match !== null;
        },
        timeoutMs,
        `${pattern} from ${entry}; output:\n${output}`,
      );
      return match!;
    },
  };
}

/** `node main.ts` until it listens; its base URL on loopback. */
export async function startApiProcess(env: NodeJS.ProcessEnv): Promise<RunningProcess & { baseUrl: string }> {
  const started = startProcess('main.ts', { PORT: '0', HOST: '127.0.0.1', ...env });
  const [, url] = await started.waitFor(/"url":"(http:\/\/localhost:\d+)"[^\n]*PipAI API listening/);
  return { ...started, baseUrl: url!.replace('localhost', '127.0.0.1') };
}

/** Runs an entry point to its end: exit code and both streams apart. */
export function runToExit(
  entry: EntryPoint,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [`${SERVER_SRC}${entry}`, ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

export interface Credentials {
  api_key: string;
  api_secret: string;
}

// Strictly increasing timestamps: two identical requests in one millisecond would be a replay.
const nextTimestamp = timestamps();

/** A request signed as the spec's Authentication section says. */
export async function signedRequest(
  baseUrl: string,
  credentials: Credentials,
  method: string,
  target: string,
  body?: unknown,
) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const timestamp = nextTimestamp();
  const response = await fetch(`${baseUrl}${target}`, {
    method,
    headers: {
      'X-PipAI-API-Key': credentials.api_key,
      'X-PipAI-Timestamp': timestamp,
      'X-PipAI-Signature': sign(credentials.api_secret, timestamp, method, target, text),
      ...(text ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(text ? { body: text } : {}),
  });
  const raw = await response.text();
  return { status: response.status, headers: response.headers, body: raw ? JSON.parse(raw) : undefined };
}
