// The worker refills the slots a batch of outcomes frees in the same transaction (completeAndClaim).
// If that transaction fails for a reason other than an outage, the outcomes are still recorded on
// their own: the deliveries were sent, and dropping their outcomes would send them again after the
// lease. A real store on each kind, real HTTPS on loopback; the failure is injected once into the
// queue's completeAndClaim, around the real one.
import { Writable } from 'node:stream';
import { startHttpsEndpoint, testCaPem } from '@pipai/testkit/pki';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretBox } from '../src/crypto/secret-box.ts';
import { systemClock } from '../src/domain/clock.ts';
import { DeliveryWorker } from '../src/domain/delivery-worker.ts';
import type { DeliveryQueue } from '../src/domain/ports.ts';
import { createDeliverySender } from '../src/net/delivery-sender.ts';
import { MASTER_KEY, testLookup } from './support/api.ts';
import { webhookRecord } from './support/records.ts';
import { type OpenedStore, openTestStore, STORE_KINDS } from './support/stores.ts';
import { waitUntil } from './support/waiting.ts';

const EVENTS = 40;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.each(STORE_KINDS)('a worker whose refilling claim fails on %s', (kind) => {
  it('records the batch on its own, and sends nothing twice', async () => {
    const opened: OpenedStore = await openTestStore(kind);
    cleanups.push(() => opened.dispose());
    const { store } = opened;
    const endpoint = await startHttpsEndpoint('valid', 'refill.test', () => ({ status: 204, body: '' }));
    cleanups.push(() => endpoint.close());
    const secrets = new SecretBox(MASTER_KEY);
    const accountId = (await store.accounts.ensure({ id: 'acct_refill', name: 'refill', createdAt: 1 })).id;
    const webhook = webhookRecord(accountId, {
      url: `https://refill.test:${endpoint.port}/hook`,
      normalizedUrl: `https://refill.test:${endpoint.port}/hook`,
      sealedSecret: secrets.seal(Buffer.alloc(32, 7).toString('base64')),
    });
    expect(await store.webhooks.insert(webhook, 25)).toBe('created');
    for (let index = 0; index < EVENTS; index += 1) {
      const id = `evt_${index.toString().padStart(24, '0')}`;
      await store.events.insert(
        { id, accountId, type: 'strategy.deployed', data: {}, createdAt: Date.now() },
        (hooks) => hooks.map((hook) => hook.id),
      );
    }

    // The real queue, except that its first completeAndClaim fails as a bug in the claim would.
    let injected = 0;
    const real = store.queue;
    const failOnce: DeliveryQueue['completeAndClaim'] = async (outcomes, now, options) => {
      if (injected === 0) {
        injected += 1;
        throw new Error('the claim broke');
      }
      return real.completeAndClaim(outcomes, now, options);
    };
    const queue = new Proxy(real, {
      get: (target, name) =>
        name === 'completeAndClaim' ? failOnce : (Reflect.get(target, name) as () => unknown).bind(target),
    });
    const logs: string[] = [];
    const sender = createDeliverySender({ lookup: testLookup, allowLoopback: true, extraCa: [testCaPem] });
    cleanups.push(() => sender.close());
    const worker = new DeliveryWorker({
      queue,
      secrets,
      sender,
      clock: systemClock,
      logger: pino(
        { level: 'warn' },
        new Writable({
          write(chunk, _encoding, done) {
            logs.push(chunk.toString());
            done();
          },
        }),
      ),
      // Fewer slots than jobs, so outcomes come back while jobs are still due: batches refill.
      policy: { concurrency: 4, perWebhookConcurrency: 4, perAccountConcurrency: 4 },
    });
    worker.start();
    cleanups.push(() => worker.stop());

    await waitUntil(
      async () => (await store.queue.countUnfinished()) === 0,
      30_000,
      () => `all ${EVENTS} jobs finished (${endpoint.received.length} received)\n${logs.join('')}`,
    );
    await worker.stop();
    expect(injected).toBe(1);
    expect(logs.join('')).toContain('recording outcomes with a claim failed; recording them alone');
    const sent = endpoint.received.map((request) => request.headers['webhook-id']);
    expect(sent).toHaveLength(EVENTS);
    expect(new Set(sent).size).toBe(EVENTS);
    const logged = await store.attempts.list(accountId, webhook.id, { limit: 100 });
    expect(logged).toHaveLength(EVENTS);
    expect(logged.every((attempt) => attempt.status === 'succeeded' && attempt.attempt === 1)).toBe(true);
  }, 60_000);
});
