// Data for the benchmarks, put straight into the store (URL checks are not what is measured here).
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../../server/src/crypto/secret-box.ts';
import { AccountService } from '../../../server/src/domain/accounts.ts';
import { systemClock } from '../../../server/src/domain/clock.ts';
import type { Store } from '../../../server/src/store/store.ts';
import { MASTER_KEY } from './processes.ts';

export const secrets = new SecretBox(Buffer.from(MASTER_KEY, 'base64'));

/** Another key of the account: each load generator signs with its own (see signing in BENCHMARKS.md). */
export const extraKey = (store: Store, account: string) =>
  new AccountService({ accounts: store.accounts, secrets, clock: systemClock }).createKey(account, [
    'webhooks:read',
    'webhooks:write',
  ]);

export async function seedAccount(store: Store, account: string, webhooks: number, urlOf: (index: number) => string) {
  const key = await extraKey(store, account);
  const accountId = (await store.accounts.findByName(account))!.id;
  for (let index = 0; index < webhooks; index += 1) {
    const url = urlOf(index);
    await store.webhooks.insert(
      {
        id: `wh_${randomBytes(4).toString('hex')}`,
        accountId,
        url,
        normalizedUrl: url,
        events: ['*'],
        description: `Bench webhook ${index}`,
        balanceLowThreshold: null,
        rateLimit: null,
        status: 'active',
        consecutiveFailures: 0,
        lastDeliveryAt: null,
        lastSuccessAt: null,
        createdAt: Date.now(),
        sealedSecret: secrets.seal(randomBytes(30).toString('base64url')),
      },
      1_000,
    );
  }
  return { key, accountId };
}
