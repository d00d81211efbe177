// Configuration from the environment, checked once at start: a bad value stops the process with one
// line naming the variable, what it got and what it expects (ConfigError), before anything runs.
import { resolve } from 'node:path';
import { pino } from 'pino';
import { parseMasterKey } from './crypto/secret-box.ts';
import { DEFAULT_AUTH_FAILURES_PER_MINUTE } from './domain/authenticator.ts';
import type { CorsOrigins } from './http/cors.ts';

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
  /** Failed authentications per client address and per API key id per rolling minute before 429. */
  authFailuresPerMinute: number;
  /** A webhook failing continuously this long becomes broken. */
  brokenAfterMs: number;
  /** How long a worker holds a claimed delivery before another may take it over (after a crash). */
  deliveryLeaseMs: number;
  /** Whether `pnpm start` also runs the delivery worker (PIPAI_WORKER=off for API-only processes). */
  runWorker: boolean;
  /** `pnpm worker`'s GET /metrics port on HOST (0: a free one); undefined: off, no server. */
  workerMetricsPort: number | undefined;
  /** Browser origins allowed to call the API (PIPAI_CORS_ORIGINS). */
  corsOrigins: CorsOrigins;
  logLevel: string;
}

/** A configuration value the process cannot run with; its message is the whole story, in one line. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Exit status of a process refused for its configuration (other start failures exit 1). */
export const CONFIG_ERROR_EXIT_CODE = 2;

export const LOG_LEVELS: readonly string[] = [...Object.keys(pino.levels.values), 'silent'];

const quoted = (raw: string) => JSON.stringify(raw);

/** A database URL as it may be shown: the password masked, even when the URL does not parse. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@');
  }
}

/** 72h, 30m, 45s, 500ms, or plain seconds; more than zero. */
function duration(env: NodeJS.ProcessEnv, name: string, fallbackMs: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  const unit = match
    ? { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd']
    : 0;
  const value = match ? Number(match[1]) * unit : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    problems.push(
      `${name} must be a positive duration such as 72h, 30m, 45s or 500ms (a plain number is seconds), got ${quoted(raw)}`,
    );
    return fallbackMs;
  }
  return value;
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  // Digits only: Number() would also take '1e3', '0x10' and ' 12 '.
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got ${quoted(raw)}`);
    return fallback;
  }
  return value;
}

/** A port (0 picks a free one), or `off`; unset is `off`. */
function portOrOff(env: NodeJS.ProcessEnv, name: string, problems: string[]): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'off') return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value > 65535) {
    problems.push(`${name} must be off or an integer from 0 to 65535, got ${quoted(raw)}`);
    return undefined;
  }
  return value;
}

function choice<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: T,
  allowed: readonly T[],
  problems: string[],
): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!allowed.includes(raw as T)) {
    problems.push(`${name} must be one of ${allowed.join(', ')}, got ${quoted(raw)}`);
    return fallback;
  }
  return raw as T;
}

function databaseUrl(env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  const expected = 'a PostgreSQL URL such as postgres://user:password@host:5432/database';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // pg would read a bare word as a host name and fail later with a DNS error about something else.
    problems.push(`DATABASE_URL must be ${expected}, got ${quoted(redactUrl(raw))} (not a URL)`);
    return undefined;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    problems.push(`DATABASE_URL must be ${expected} (postgres: or postgresql:), got ${quoted(redactUrl(raw))}`);
    return undefined;
  }
  return raw;
}

function masterKey(env: NodeJS.ProcessEnv, withDatabaseUrl: boolean, problems: string[]): string | undefined {
  const raw = env.PIPAI_MASTER_KEY;
  if (raw === undefined || raw === '') {
    if (withDatabaseUrl)
      problems.push(
        'PIPAI_MASTER_KEY is required with DATABASE_URL: every process sharing the database needs the same key',
      );
    return undefined;
  }
  // Never echoed: only its shape is described.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw.trim())) {
    problems.push(
      'PIPAI_MASTER_KEY must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`), got text that is not base64',
    );
    return undefined;
  }
  try {
    parseMasterKey(raw);
  } catch {
    problems.push(
      `PIPAI_MASTER_KEY must be 32 random bytes, base64-encoded (e.g. \`openssl rand -base64 32\`), got ${Buffer.from(raw.trim(), 'base64').length} bytes`,
    );
    return undefined;
  }
  return raw;
}

/**
 * PIPAI_CORS_ORIGINS: origins (`https://app.example.com`), `*`, `localhost` (every localhost origin)
 * or `none`. Unset: localhost origins on the embedded store (where `pnpm start` writes the dev
 * credentials), none with DATABASE_URL (production).
 */
function corsOrigins(env: NodeJS.ProcessEnv, embedded: boolean, problems: string[]): CorsOrigins {
  const raw = env.PIPAI_CORS_ORIGINS;
  if (raw === undefined || raw === '') return embedded ? 'localhost' : [];
  if (raw === 'none') return [];
  if (raw === 'localhost') return 'localhost';
  const origins = raw.split(',').map((origin) => origin.trim());
  const bad = origins.find((origin) => {
    if (origin === '*') return false;
    try {
      const url = new URL(origin);
      return !['http:', 'https:'].includes(url.protocol) || url.origin !== origin;
    } catch {
      return true;
    }
  });
  if (bad !== undefined) {
    problems.push(
      `PIPAI_CORS_ORIGINS must be origins (scheme://host[:port], no path or trailing slash) separated by commas, *, localhost or none, got ${quoted(bad)}`,
    );
  }
  return origins;
}

/** The configuration, or a ConfigError listing every bad variable (one line). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const database = databaseUrl(env, problems);
  const config: Config = {
    port: integer(env, 'PORT', 8080, 0, 65535, problems),
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.PIPAI_DATA_DIR || '.data'),
    databaseUrl: database,
    masterKey: masterKey(env, database !== undefined, problems),
    internalToken: env.PIPAI_INTERNAL_TOKEN || undefined,
    devAllowLoopback: choice(env, 'PIPAI_DEV_ALLOW_LOOPBACK', '0', ['1', '0'], problems) === '1',
    signatureWindowMs: integer(env, 'PIPAI_SIGNATURE_WINDOW_SECONDS', 30, 1, 3600, problems) * 1000,
    weightBudgetPerMinute: integer(env, 'PIPAI_WEIGHT_PER_MINUTE', 1200, 1, 1_000_000_000, problems),
    authFailuresPerMinute: integer(
      env,
      'PIPAI_AUTH_FAILURES_PER_MINUTE',
      DEFAULT_AUTH_FAILURES_PER_MINUTE,
      1,
      1_000_000_000,
      problems,
    ),
    brokenAfterMs: duration(env, 'PIPAI_BROKEN_AFTER', 72 * 3_600_000, problems),
    deliveryLeaseMs: duration(env, 'PIPAI_DELIVERY_LEASE', 5 * 60_000, problems),
    runWorker: choice(env, 'PIPAI_WORKER', 'on', ['on', 'off'], problems) === 'on',
    workerMetricsPort: portOrOff(env, 'PIPAI_WORKER_METRICS_PORT', problems),
    corsOrigins: corsOrigins(env, database === undefined, problems),
    logLevel: choice(env, 'LOG_LEVEL', 'info', LOG_LEVELS, problems),
  };
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
  return config;
}
