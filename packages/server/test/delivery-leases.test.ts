// Fenced leases, on both stores: each claim takes a new lease on a job; only its holder can renew,
// release or complete it. A worker whose lease was taken over (it stalled past the lease) can never
// record its outcome over the new holder's, so an attempt is repeated only when a worker really lost
// its job, and it is recorded once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryAttempt, DeliveryJob, NewDeliveryAttempt } from '../src/domain/records.ts';
import type { Store } from '../src/store/store.ts';
import { webhookRecord } from './support/records.ts';
import { type OpenedStore, openTestStore, STORE_KINDS } from './support/stores.ts';

const LEASE_MS = 1_000;
const T0 = 1_000_000;
const claimOptions = { limit: 10, leaseMs: LEASE_MS, perWebhook: 4, perAccount: 8 };

function attemptFor(claimed: DeliveryJob, at: number, id: string): NewDeliveryAttempt {
  return {
    id,
    webhookId: claimed.webhook.id,
    eventId: claimed.event.id,
    type: claimed.event.type,
    trigger: 'event',
    status: 'succeeded',
    responseStatus: 200,
    latencyMs: 5,
    responseBody: null,
    error: null,
    errorClass: null,
    createdAt: at,
    nextAttemptAt: null,
    request: { url: claimed.webhook.url, headers: { 'webhook-id': claimed.event.id } },
    responseHeaders: { 'content-type': 'text/plain' },
  };
}

const complete = async (store: Store, claimed: DeliveryJob, at: number, id: string) =>
  (
    await store.queue.complete([
      {
        jobId: claimed.id,
        lease: claimed.lease,
        retryAt: null,
        gone: false,
        brokenAfterMs: 3_600_000,
        attempt: attemptFor(claimed, at, id),
      },
    ])
  )[0];

describe.each(STORE_KINDS)('delivery leases on %s', (kind) => {
  let opened: OpenedStore;
  let store: Store;
  let webhookId: string;
  let accountId: string;

  beforeEach(async () => {
    opened = await openTestStore(kind);
    store = opened.store;
    accountId = (await store.accounts.ensure({ id: 'acct_leases', name: 'leases', createdAt: 1 })).id;
    const webhook = webhookRecord(accountId, { events: ['*'] });
    webhookId = webhook.id;
    expect(await store.webhooks.insert(webhook, 25)).toBe('created');
    await store.events.insert(
      { id: 'evt_000000000000000000000001', accountId, type: 'strategy.deployed', data: {}, createdAt: T0 },
      (hooks) => hooks.map((hook) => hook.id),
    );
  });
  afterEach(() => opened.dispose());

  const attemptsLogged = async (): Promise<DeliveryAttempt[]> =>
    store.attempts.list(accountId, webhookId, { limit: 100 });

  it('a worker whose lease was taken over cannot complete; the new holder can, once', async () => {
    const [first] = await store.queue.claim(T0, claimOptions);
    expect(first).toMatchObject({ trigger: 'event', attempts: 0, webhook: { id: webhookId }, event: { accountId } });
    // The first worker stalls past its lease; another takes the job over with a new lease.
    expect(await store.queue.claim(T0 + LEASE_MS / 2, claimOptions)).toEqual([]);
    const [second] = await store.queue.claim(T0 + LEASE_MS + 1, claimOptions);
    expect(second!.id).toBe(first!.id);
    expect(second!.lease).toBeGreaterThan(first!.lease);

    expect(await complete(store, first!, T0 + LEASE_MS + 5, 'dlv_000000000000000000000001')).toEqual({
      outcome: 'lease_lost',
    });
    expect(await attemptsLogged()).toEqual([]);
    expect(await store.queue.countUnfinished()).toBe(1);

    expect(await complete(store, second!, T0 + LEASE_MS + 6, 'dlv_000000000000000000000002')).toMatchObject({
      outcome: 'recorded',
      webhookBroke: false,
    });
    expect((await attemptsLogged()).map((attempt) => attempt.id)).toEqual(['dlv_000000000000000000000002']);
    expect(await store.queue.countUnfinished()).toBe(0);
    // Completing again, by either, changes nothing.
    expect(await complete(store, first!, T0 + LEASE_MS + 7, 'dlv_000000000000000000000003')).toEqual({
      outcome: 'lease_lost',
    });
  });

  it('a renewed lease keeps the job from other workers; a stale lease cannot renew', async () => {
    const [claimed] = await store.queue.claim(T0, claimOptions);
    expect(await store.queue.renew([{ jobId: claimed!.id, lease: claimed!.lease }], T0 + 3 * LEASE_MS)).toEqual([
      claimed!.id,
    ]);
    // Past the original lease, within the renewed one: nobody else may claim it.
    expect(await store.queue.claim(T0 + 2 * LEASE_MS, claimOptions)).toEqual([]);
    const [taken] = await store.queue.claim(T0 + 3 * LEASE_MS + 1, claimOptions);
    expect(taken!.id).toBe(claimed!.id);
    // The old holder's renewal is refused: the lease is the new holder's.
    expect(await store.queue.renew([{ jobId: claimed!.id, lease: claimed!.lease }], T0 + 10 * LEASE_MS)).toEqual([]);
    expect(await complete(store, claimed!, T0 + 3 * LEASE_MS + 2, 'dlv_000000000000000000000004')).toEqual({
      outcome: 'lease_lost',
    });
  });

  it('a batch of outcomes is fenced one by one, and answers in the order given', async () => {
    await store.events.insert(
      { id: 'evt_000000000000000000000002', accountId, type: 'strategy.deployed', data: {}, createdAt: T0 },
      (hooks) => hooks.map((hook) => hook.id),
    );
    const [one, two] = await store.queue.claim(T0, claimOptions);
    // The second's lease is taken over before the batch is written.
    const [taken] = await store.queue.claim(T0 + LEASE_MS + 1, { ...claimOptions, limit: 1 });
    const stale = taken!.id === one!.id ? one! : two!;
    const held = stale === one ? two! : one!;
    const outcome = (claimed: DeliveryJob, id: string) => ({
      jobId: claimed.id,
      lease: claimed.lease,
      retryAt: null,
      gone: false,
      brokenAfterMs: 3_600_000,
      attempt: attemptFor(claimed, T0 + LEASE_MS + 2, id),
    });
    const results = await store.queue.complete([
      outcome(stale, 'dlv_000000000000000000000010'),
      outcome(held, 'dlv_000000000000000000000011'),
    ]);
    expect(results.map((result) => result.outcome)).toEqual(['lease_lost', 'recorded']);
    expect((await attemptsLogged()).map((attempt) => attempt.id)).toEqual(['dlv_000000000000000000000011']);
  });

  it('attempts are numbered per event and webhook, after those logged, in the order of the batch', async () => {
    const [first] = await store.queue.claim(T0, claimOptions);
    expect(await complete(store, first!, T0 + 1, 'dlv_000000000000000000000020')).toMatchObject({
      attempt: { attempt: 1 },
    });
    // Two more jobs for the same event and webhook, completed in one batch.
    await store.queue.enqueueRedelivery(webhookId, first!.event.id, T0 + 2);
    await store.queue.enqueueRedelivery(webhookId, first!.event.id, T0 + 2);
    const again = await store.queue.claim(T0 + 3, claimOptions);
    expect(again).toHaveLength(2);
    const results = await store.queue.complete(
      again.map((claimed, index) => ({
        jobId: claimed.id,
        lease: claimed.lease,
        retryAt: null,
        gone: false,
        brokenAfterMs: 3_600_000,
        attempt: attemptFor(claimed, T0 + 4, `dlv_00000000000000000000002${index + 1}`),
      })),
    );
    expect(results.map((result) => (result.outcome === 'recorded' ? result.attempt.attempt : result.outcome))).toEqual([
      2, 3,
    ]);
    expect((await attemptsLogged()).map((attempt) => [attempt.id, attempt.attempt])).toEqual([
      ['dlv_000000000000000000000022', 3],
      ['dlv_000000000000000000000021', 2],
      ['dlv_000000000000000000000020', 1],
    ]);
  });

  it('completing and claiming in one transaction refills exactly the slots the outcomes free', async () => {
    for (let index = 3; index <= 8; index += 1) {
      await store.events.insert(
        { id: `evt_00000000000000000000000${index}`, accountId, type: 'strategy.deployed', data: {}, createdAt: T0 },
        (hooks) => hooks.map((hook) => hook.id),
      );
    }
    // 7 jobs due for one webhook: its cap of 4 is full after the first claim.
    const first = await store.queue.claim(T0, claimOptions);
    expect(first).toHaveLength(4);
    expect(await store.queue.claim(T0, claimOptions)).toEqual([]);
    const { results, claimed } = await store.queue.completeAndClaim(
      first.slice(0, 3).map((job, index) => ({
        jobId: job.id,
        lease: job.lease,
        retryAt: null,
        gone: false,
        brokenAfterMs: 3_600_000,
        attempt: attemptFor(job, T0 + 1, `dlv_00000000000000000000003${index}`),
      })),
      T0 + 1,
      claimOptions,
    );
    expect(results.map((result) => result.outcome)).toEqual(['recorded', 'recorded', 'recorded']);
    // The three recorded free three slots, seen by the claim in the same transaction.
    expect(claimed).toHaveLength(3);
    expect(claimed.map((job) => job.id)).not.toContain(first[3]!.id);
    expect(await store.queue.countUnfinished()).toBe(4);
  });

  it('an attempt by a job whose webhook was paused meanwhile is still recorded (its lease was not taken over)', async () => {
    const [claimed] = await store.queue.claim(T0, claimOptions);
    await store.webhooks.update(accountId, webhookId, { status: 'paused' });
    expect(await complete(store, claimed!, T0 + 5, 'dlv_000000000000000000000006')).toMatchObject({
      outcome: 'recorded',
    });
  });
});
