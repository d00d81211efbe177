// Configuration from the environment, checked once at start.
import { resolve } from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  masterKey: string | undefined;
  internalToken: string | undefined;
  /** PIPAI_DEV_ALLOW_LOOPBACK=1: webhook hosts may resolve to loopback (dev and tests only). */
  devAllowLoopback: boolean;
  signatureWindowMs: number;
  weightBudgetPerMinute: number;
  logLevel: string;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got ${raw}`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.PIPAI_DATA_DIR || '.data'),
    databaseUrl: env.DATABASE_URL || undefined,
    masterKey: env.PIPAI_MASTER_KEY || undefined,
    internalToken: env.PIPAI_INTERNAL_TOKEN || undefined,
    devAllowLoopback: env.PIPAI_DEV_ALLOW_LOOPBACK === '1',
    signatureWindowMs: integer(env, 'PIPAI_SIGNATURE_WINDOW_SECONDS', 30, 1, 3600) * 1000,
    weightBudgetPerMinute: integer(env, 'PIPAI_WEIGHT_PER_MINUTE', 1200, 1, 1_000_000),
    logLevel: env.LOG_LEVEL || 'info',
  };
}
