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
  /** A webhook failing continuously this long becomes broken. */
  brokenAfterMs: number;
  /** How long a worker holds a claimed delivery before another may take it over (after a crash). */
  deliveryLeaseMs: number;
  /** Whether `pnpm start` also runs the delivery worker (PIPAI_WORKER=off for API-only processes). */
  runWorker: boolean;
  logLevel: string;
}

/** 72h, 30m, 45s, 500ms, or plain seconds. */
function duration(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match) throw new Error(`${name} must be a duration such as 72h, 30m or 45s, got ${raw}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
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
    weightBudgetPerMinute: integer(env, 'PIPAI_WEIGHT_PER_MINUTE', 1200, 1, 1_000_000_000),
    brokenAfterMs: duration(env, 'PIPAI_BROKEN_AFTER', 72 * 3_600_000),
    deliveryLeaseMs: duration(env, 'PIPAI_DELIVERY_LEASE', 5 * 60_000),
    runWorker: env.PIPAI_WORKER !== 'off',
    logLevel: env.LOG_LEVEL || 'info',
  };
}
