// Runs the load generator process against a URL and returns what it measured.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export type LoadResult = {
  requestsPerSec: number;
  total: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  statusCodes?: Record<string, { count: number }>;
  loadCpuPercent: number;
};

const CHILD = fileURLToPath(new URL('../load-child.ts', import.meta.url));

export async function load(options: {
  url: string;
  path: string;
  connections: number;
  durationS: number;
  /** Requests are signed with these keys in turn. */
  credentials: readonly { api_key: string; api_secret: string }[];
}): Promise<LoadResult> {
  const config = {
    url: options.url,
    path: options.path,
    connections: options.connections,
    durationS: options.durationS,
    keys: options.credentials.map((key) => ({ apiKey: key.api_key, apiSecret: key.api_secret })),
  };
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, JSON.stringify(config)], {
    maxBuffer: 10_000_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}
