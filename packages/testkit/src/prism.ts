// Prism as the tests run it: a mock of the public bundle, or a validating proxy in front of a server.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { publicSpecPath } from '@pipai/contract/node';
import { freePort } from './net.ts';

const prismCli = createRequire(import.meta.url).resolve('@stoplight/prism-cli/dist/index.js');

export interface RunningPrism {
  baseUrl: string;
  output(): string;
  close(): Promise<void>;
}

/**
 * `mock`: static examples of `spec`. `proxy`: forwards to `upstream` unchecked (the server judges
 * requests) and turns every response that violates the spec into an error (`--errors`).
 */
export async function startPrism(
  mode: { mock: true; dynamic?: boolean } | { proxy: string },
  spec: string | undefined = publicSpecPath,
): Promise<RunningPrism> {
  const port = await freePort();
  const args =
    'mock' in mode
      ? ['mock', spec ?? publicSpecPath, ...(mode.dynamic ? ['--dynamic'] : [])]
      : ['proxy', spec ?? publicSpecPath, mode.proxy, '--errors', '--validate-request', 'false'];
  const child = spawn(process.execPath, [prismCli, ...args, '--host', '127.0.0.1', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const started = Date.now();
  while (!output.includes('Prism is listening')) {
    if (child.exitCode !== null || Date.now() - started > 30_000) throw new Error(`prism did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
