// The two network-facing parts, configured alike: the create-time target check and the sender.
// In the explicit dev setting, loopback targets are allowed and the dev CA of `pipai listen` trusted.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createDeliverySender } from './delivery-sender.ts';
import { createTargetVerifier } from './target-verifier.ts';

export const DEV_CA_FILE = join('dev-tls', 'ca.pem');

/** The dev CA's certificate, re-read when the file changes (it may be created after the server started). */
function devCaReader(file: string, logger: Logger): () => string[] {
  let seen = -1;
  let checkedAt = 0;
  let certificates: string[] = [];
  return () => {
    // Asked at every delivery: once the CA is there, look at the file at most once a second (until
    // then, every time, so that `pipai listen` can register the moment it has made its CA).
    if (certificates.length > 0 && Date.now() - checkedAt < 1000) return certificates;
    checkedAt = Date.now();
    // No exception for a missing file: until the CA exists this runs at every delivery.
    const modified = (() => {
      try {
        return statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
      } catch {
        return 0;
      }
    })();
    if (modified !== seen) {
      seen = modified;
      certificates = modified ? [readFileSync(file, 'utf8')] : [];
      if (modified) logger.warn({ file }, 'trusting the dev CA of `pipai listen` for webhook targets');
    }
    return certificates;
  };
}

export function createNetwork(config: Config, logger: Logger) {
  let extraCa: () => string[] = () => [];
  if (config.devAllowLoopback) {
    logger.warn(
      'PIPAI_DEV_ALLOW_LOOPBACK=1: webhook URLs may resolve to loopback addresses. Never use this in production.',
    );
    extraCa = devCaReader(join(config.dataDir, DEV_CA_FILE), logger);
  }
  const options = { allowLoopback: config.devAllowLoopback, extraCa };
  return { targets: createTargetVerifier(options), sender: createDeliverySender(options) };
}
