// Whether this process can do its work: the database answers, its schema is at this build's head,
// and the master key opens what is stored. The key canary makes the last one checkable: a constant
// sealed with the master key, written by the first start that finds none.
import type { Logger } from 'pino';
import type { SecretBox } from './crypto/secret-box.ts';
import { StoreUnavailableError } from './domain/errors.ts';
import type { KeyringRepository } from './domain/ports.ts';
import type { Store } from './store/store.ts';

const CANARY_PLAINTEXT = 'pipai:master-key-canary:v1';
/** How many stored secrets a key is tried against when a database has no canary yet. */
const SAMPLE_SIZE = 20;

/** The master key is not the one the stored secrets were sealed with. */
export class MasterKeyMismatchError extends Error {
  constructor(keySource: string) {
    super(`${keySource} does not open the secrets stored in this database (it is not the key they were sealed with)`);
    this.name = 'MasterKeyMismatchError';
  }
}

function opens(secrets: SecretBox, sealed: string, expected?: string): boolean {
  try {
    const plaintext = secrets.open(sealed);
    return expected === undefined || plaintext === expected;
  } catch {
    return false;
  }
}

/**
 * Checks the master key against the canary, writing the canary first if there is none (a new
 * database, or one from before canaries: then the key must open the secrets already stored).
 * Throws MasterKeyMismatchError; `keySource` names the key in its message.
 */
export async function ensureKeyCanary(
  keyring: KeyringRepository,
  secrets: SecretBox,
  now: number,
  keySource = 'PIPAI_MASTER_KEY',
): Promise<'checked' | 'written'> {
  const stored = await keyring.readCanary();
  if (stored !== undefined) {
    if (!opens(secrets, stored, CANARY_PLAINTEXT)) throw new MasterKeyMismatchError(keySource);
    return 'checked';
  }
  const samples = await keyring.sampleSealedSecrets(SAMPLE_SIZE);
  // AES-GCM authenticates: a key that opens one of them is the key they were sealed with.
  if (samples.length > 0 && !samples.some((sealed) => opens(secrets, sealed)))
    throw new MasterKeyMismatchError(keySource);
  const winner = await keyring.writeCanary(secrets.seal(CANARY_PLAINTEXT), now);
  // Another process starting at the same moment wrote its canary first: it must be ours too.
  if (!opens(secrets, winner, CANARY_PLAINTEXT)) throw new MasterKeyMismatchError(keySource);
  return 'written';
}

export type ReadinessCheck = 'database' | 'migrations' | 'master_key';

/** GET /readyz: the checks that fail now (none: ready). Concurrent probes share one check. */
export function createReadiness(deps: {
  store: Pick<Store, 'schema' | 'keyring'>;
  secrets: SecretBox;
  now: () => number;
  logger: Pick<Logger, 'error'>;
}): () => Promise<ReadinessCheck[]> {
  let running: Promise<ReadinessCheck[]> | undefined;
  const check = async (): Promise<ReadinessCheck[]> => {
    try {
      // Until the schema is at head the canary's table may not exist: nothing more to judge.
      if ((await deps.store.schema.pending()).length > 0) return ['migrations'];
      await ensureKeyCanary(deps.store.keyring, deps.secrets, deps.now());
      return [];
    } catch (error) {
      if (error instanceof StoreUnavailableError) return ['database'];
      if (error instanceof MasterKeyMismatchError) return ['master_key'];
      // Anything else the database said (permissions, a dropped table) makes it unusable all the same;
      // the probe is unauthenticated, so the detail goes to the log only.
      deps.logger.error({ err: error }, 'readiness check failed');
      return ['database'];
    }
  };
  return () => {
    running ??= check().finally(() => {
      running = undefined;
    });
    return running;
  };
}
