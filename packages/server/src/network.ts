// The two network-facing parts, configured alike: the create-time target check and the sender.
// In the explicit dev setting, loopback targets are allowed and the dev CA of `pipai listen` trusted.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createDeliverySender } from './net/delivery-sender.ts';
import { createTargetVerifier } from './net/target-verifier.ts';

export const DEV_CA_FILE = join('dev-tls', 'ca.pem');

export function createNetwork(config: Config, logger: Logger) {
  let extraCa: string[] = [];
  if (config.devAllowLoopback) {
    logger.warn('PIPAI_DEV_ALLOW_LOOPBACK=1: webhook URLs may resolve to loopback addresses. Never use this in production.');
    const devCa = join(config.dataDir, DEV_CA_FILE);
    if (existsSync(devCa)) {
      extraCa = [readFileSync(devCa, 'utf8')];
      logger.warn({ file: devCa }, 'trusting the dev CA of `pipai listen` for webhook targets');
    }
  }
  const options = { allowLoopback: config.devAllowLoopback, extraCa };
  return { targets: createTargetVerifier(options), sender: createDeliverySender(options) };
}
