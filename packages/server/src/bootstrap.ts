// What every process (`pnpm start`, `pnpm worker`, `pnpm pipai-admin`) does at start and at exit:
// open and migrate the store, resolve the master key and check it against the stored canary, say in
// one line why it cannot start, log without ever waiting on a dead stdout, and drain on a signal.
// Also the first-start conveniences of the embedded setup, kept out of production: a generated
// master key only with SQLite, dev credentials only into an empty embedded store.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { CONFIG_ERROR_EXIT_CODE, type Config, ConfigError, loadConfig, redactUrl } from './config.ts';
import { generateMasterKey, parseMasterKey, SecretBox } from './crypto/secret-box.ts';
import type { AccountService } from './domain/accounts.ts';
import { StoreUnavailableError } from './domain/errors.ts';
import { ensureKeyCanary } from './readiness.ts';
import { openStore, type Store } from './store/store.ts';

export const DEV_CREDENTIALS_FILE = 'dev-credentials.json';

/** The master key, and how to name it in messages (the variable, or the generated file). */
export async function resolveMasterKey(
  config: Config,
  store: Store,
  logger: Logger,
): Promise<{ key: Buffer; source: string }> {
  if (config.masterKey) return { key: parseMasterKey(config.masterKey), source: 'PIPAI_MASTER_KEY' };
  if (config.databaseUrl) {
    throw new ConfigError(
      'PIPAI_MASTER_KEY is required with DATABASE_URL: every process sharing the database needs the same key',
    );
  }
  const file = join(config.dataDir, 'master.key');
  if (!existsSync(file)) {
    // A new key for a store that already holds sealed secrets would only lock them away.
    if ((await store.keyring.readCanary()) !== undefined || (await store.keyring.sampleSealedSecrets(1)).length > 0) {
      throw new Error(
        `${file} is missing, but the database holds secrets sealed with a master key: restore the file, or set PIPAI_MASTER_KEY to that key`,
      );
    }
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, `${generateMasterKey()}\n`, { mode: 0o600, flag: 'wx' });
    logger.warn({ file }, 'generated a master key for encryption at rest; set PIPAI_MASTER_KEY in production');
  }
  try {
    return { key: parseMasterKey(readFileSync(file, 'utf8')), source: `the master key in ${file}` };
  } catch {
    throw new Error(`${file} does not hold a master key (32 bytes, base64)`);
  }
}

/** The store, migrated, with a master key that opens what it holds; closed again if any of that fails. */
export async function openDatabase(
  config: Config,
  logger: Logger,
): Promise<{ store: Store; masterKey: Buffer; secrets: SecretBox }> {
  const store = openStore(config, logger);
  try {
    await store.migrate();
    const { key, source } = await resolveMasterKey(config, store, logger);
    const secrets = new SecretBox(key);
    if ((await ensureKeyCanary(store.keyring, secrets, Date.now(), source)) === 'written') {
      logger.info('stored the master key canary: processes with another key will refuse to start');
    }
    return { store, masterKey: key, secrets };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

function causeText(error: unknown): string {
  const { message, code, errors } = (error ?? {}) as { message?: string; code?: string; errors?: unknown[] };
  if (message) return message;
  // Node reports "every address refused" as an AggregateError without a message.
  if (Array.isArray(errors) && errors.length > 0) return errors.map(causeText).join('; ');
  return code ?? String(error);
}

/** Why the process cannot start, in one line (no stack: these are for operators, not bugs). */
export function startFailureMessage(error: unknown, config?: Config): string {
  const database = config?.databaseUrl ? ` at ${redactUrl(config.databaseUrl)}` : '';
  if (error instanceof StoreUnavailableError)
    return oneLine(`cannot reach the database${database}: ${causeText(error.cause)}`);
  const { code, severity } = (error ?? {}) as { code?: string; severity?: string };
  if (severity !== undefined) return oneLine(`the database${database} refused: ${causeText(error)}`); // pg's DatabaseError
  if (code === 'EADDRINUSE' && config) return `PORT ${config.port} is already in use on ${config.host}`;
  if (code === 'EACCES' && config) return `not permitted to listen on ${config.host}:${config.port} (PORT)`;
  return oneLine(causeText(error));
}

/** A listen error as the one start-failure line, naming the variable that chose the port (not PORT). */
export function listenFailure(error: unknown, variable: string, host: string, port: number): unknown {
  const { code } = (error ?? {}) as { code?: string };
  if (code === 'EADDRINUSE') return new Error(`${variable} ${port} is already in use on ${host}`);
  if (code === 'EACCES') return new Error(`not permitted to listen on ${host}:${port} (${variable})`);
  return error;
}

/** Prints the one line on stderr and exits: 2 for configuration, 1 for anything else. */
/** A process's entry: its configuration loaded and checked, then `main`; one clear line if either fails. */
export async function runProcess(main: (config: Config) => Promise<void>): Promise<void> {
  let config: Config | undefined;
  try {
    config = loadConfig();
    await main(config);
  } catch (error) {
    exitCannotStart(error, config);
  }
}

export function exitCannotStart(error: unknown, config?: Config): never {
  process.stderr.write(`cannot start: ${startFailureMessage(error, config)}\n`);
  process.exit(error instanceof ConfigError ? CONFIG_ERROR_EXIT_CODE : 1);
}

/**
 * A logger writing JSON lines to stdout for as long as stdout works. When its reader is gone (EPIPE,
 * `pnpm start | cat` after Ctrl-C) logging stops and the process carries on: an unhandled stream
 * error would kill it, and pino's own exit-time flush would spin forever on the dead pipe.
 */
export function createProcessLogger(level: string): Logger {
  let writable = true;
  process.stdout.on('error', () => {
    writable = false;
  });
  // The start failure line goes there; a dead stderr must not turn it into a crash either.
  process.stderr.on('error', () => undefined);
  return pino(
    { level },
    {
      write(line: string) {
        if (writable) process.stdout.write(line);
      },
    },
  );
}

/**
 * SIGTERM and SIGINT run `stop` once and exit 0 when it is done; if it is still running after
 * `drainMs`, the process exits 1. Later signals are ignored: `pnpm` forwards a Ctrl-C the process
 * has already received, and the drain must not be cut short by that.
 */
export function exitOnSignals(logger: Logger, drainMs: number, stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => {
      logger.error(`still stopping after ${drainMs / 1000} s; exiting`);
      process.exit(1);
    }, drainMs);
    force.unref();
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stopping failed; exiting');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

/**
 * On the first start of an empty embedded store: a dev account and key, saved 0600 in the data dir.
 * On every later start the file's base_url follows the port, so the CLI and the README's snippets
 * that read it keep finding the server.
 */
export async function createDevCredentials(
  config: Config,
  store: Store,
  accounts: AccountService,
  baseUrl: string,
  logger: Logger,
): Promise<void> {
  if (store.kind !== 'sqlite') return;
  if ((await store.accounts.countKeys()) > 0) {
    keepBaseUrlCurrent(join(config.dataDir, DEV_CREDENTIALS_FILE), baseUrl, logger);
    return;
  }
  const key = await accounts.createKey('dev', ['webhooks:read', 'webhooks:write']);
  const file = join(config.dataDir, DEV_CREDENTIALS_FILE);
  writeFileSync(file, `${JSON.stringify({ base_url: baseUrl, ...key }, null, 2)}\n`, { mode: 0o600 });
  logger.info(
    { file, api_key: key.api_key, account: key.account },
    'created a dev account and API key; the secret is in the file',
  );
}

function keepBaseUrlCurrent(file: string, baseUrl: string, logger: Logger): void {
  if (!existsSync(file)) return;
  let saved: Record<string, unknown>;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return; // Not ours to repair: the CLI says what is wrong with it.
  }
  if (saved.base_url === baseUrl) return;
  writeFileSync(file, `${JSON.stringify({ ...saved, base_url: baseUrl }, null, 2)}\n`, { mode: 0o600 });
  logger.info({ file, base_url: baseUrl }, 'the dev credentials now name this base URL');
}
