// One suite, both adapters: what the domain relies on the store for.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/store.ts';
import { webhookRecord } from './support/records.ts';
import { type OpenedStore, openTestStore, STORE_KINDS } from './support/stores.ts';

const account = (name: string) => ({ id: `acct_${name}`, name, createdAt: 1_000 });

const webhook = webhookRecord;

describe.each(STORE_KINDS)('the %s store', (kind) => {
  let opened: OpenedStore;
  let store: Store;

  beforeEach(async () => {
    opened = await openTestStore(kind);
    store = opened.store;
    await store.accounts.ensure(account('alpha'));
    await store.accounts.ensure(account('beta'));
  });
  afterEach(() => opened.dispose());

  it('migrates idempotently', async () => {
    await store.migrate();
    await store.migrate();
    expect(await store.schema.pending()).toEqual([]);
    expect(await store.accounts.findByName('alpha')).toEqual(account('alpha'));
    expect(await store.accounts.findByName('beta')).toEqual(account('beta'));
  });

  it('is at head once migrated', async () => {
    expect(await store.schema.pending()).toEqual([]);
  });

  it('keeps one master key canary: the first written stays', async () => {
    expect(await store.keyring.readCanary()).toBeUndefined();
    expect(await store.keyring.writeCanary('v1.first', 10)).toBe('v1.first');
    expect(await store.keyring.writeCanary('v1.second', 20)).toBe('v1.first');
    expect(await store.keyring.readCanary()).toBe('v1.first');
  });

  it('samples the sealed secrets of keys and webhooks', async () => {
    expect(await store.keyring.sampleSealedSecrets(5)).toEqual([]);
    await store.accounts.insertKey({
      id: 'key_1',
      accountId: 'acct_alpha',
      sealedSecret: 'v1.key',
      scopes: ['webhooks:read'],
      createdAt: 10,
    });
    expect(await store.webhooks.insert(webhook('acct_alpha', { sealedSecret: 'v1.hook' }), 25)).toBe('created');
    expect((await store.keyring.sampleSealedSecrets(5)).sort()).toEqual(['v1.hook', 'v1.key']);
  });

  it('ensureAccount keeps the first account of a name', async () => {
    const again = await store.accounts.ensure({ id: 'acct_other', name: 'alpha', createdAt: 5 });
    expect(again.id).toBe('acct_alpha');
  });

  it('stores, finds, lists and revokes API keys', async () => {
    await store.accounts.insertKey({
      id: 'key_1',
      accountId: 'acct_alpha',
      sealedSecret: 'v1.x',
      scopes: ['webhooks:read'],
      createdAt: 10,
    });
    await store.accounts.insertKey({
      id: 'key_2',
      accountId: 'acct_beta',
      sealedSecret: 'v1.y',
      scopes: ['webhooks:write'],
      createdAt: 11,
    });
    expect(await store.accounts.findKey('key_1')).toEqual({
      id: 'key_1',
      accountId: 'acct_alpha',
      accountName: 'alpha',
      sealedSecret: 'v1.x',
      scopes: ['webhooks:read'],
      createdAt: 10,
      revokedAt: null,
    });
    expect((await store.accounts.listKeys()).map((key) => key.id)).toEqual(['key_1', 'key_2']);
    expect((await store.accounts.listKeys('beta')).map((key) => key.id)).toEqual(['key_2']);
    expect(await store.accounts.countKeys()).toBe(2);
    expect(await store.accounts.revokeKey('key_1', 99)).toBe(true);
    expect(await store.accounts.revokeKey('key_1', 100)).toBe(false);
    expect((await store.accounts.findKey('key_1'))!.revokedAt).toBe(99);
    expect(await store.accounts.findKey('key_nope')).toBeUndefined();
  });

  describe('admission', () => {
    const budget = { windowMs: 60_000, budget: 10 };
    const request = (signature: string, weight = 1, subject = 'key_1', signedAt = 1_000) => ({
      signature,
      signedAt,
      replayWindowMs: 30_000,
      subject,
      weight,
      budget,
    });
    const admitOne = async (admission: ReturnType<typeof request>, now: number) =>
      (await store.admission.admit([admission], now))[0];

    it('admits a signature once, charging its weight; a replay is charged nothing', async () => {
      expect(await admitOne(request('sig-a'), 1_000)).toEqual({
        replayed: false,
        charge: { admitted: true, used: 1, retryAfterMs: 0 },
      });
      expect(await admitOne(request('sig-a'), 1_010)).toEqual({ replayed: true });
      // Too heavy: refused and charged nothing, but the signature is spent (resending it is a replay).
      expect(await admitOne(request('sig-b', 10), 1_020)).toEqual({
        replayed: false,
        charge: { admitted: false, used: 1, retryAfterMs: 59_980 },
      });
      expect(await admitOne(request('sig-b'), 1_030)).toEqual({ replayed: true });
      expect(await admitOne(request('sig-c'), 1_040)).toMatchObject({ charge: { admitted: true, used: 2 } });
      // A replay seen by a process configured with another window is a replay all the same.
      expect(await admitOne({ ...request('sig-c'), replayWindowMs: 60_000 }, 1_050)).toEqual({ replayed: true });
      // Past the replay window the entry is pruned (the timestamp window refuses such a request by then).
      expect(await admitOne(request('sig-a', 1, 'key_1', 1_000), 32_000)).toMatchObject({ replayed: false });
    });

    it('judges a batch in order, each request seeing those before it, and answers in that order', async () => {
      const outcomes = await store.admission.admit(
        [
          request('sig-1', 6, 'key_b'),
          request('sig-2', 3, 'key_a'),
          request('sig-1', 1, 'key_b'),
          request('sig-3', 5, 'key_b'),
          request('sig-4', 4, 'key_b'),
        ],
        1_000,
      );
      expect(outcomes).toEqual([
        { replayed: false, charge: { admitted: true, used: 6, retryAfterMs: 0 } },
        { replayed: false, charge: { admitted: true, used: 3, retryAfterMs: 0 } },
        { replayed: true },
        { replayed: false, charge: { admitted: false, used: 6, retryAfterMs: 60_000 } },
        { replayed: false, charge: { admitted: true, used: 10, retryAfterMs: 0 } },
      ]);
    });

    it('admits one of many concurrent requests with the same signature, and no more than the budget', async () => {
      const race = { windowMs: 60_000, budget: 20 };
      const admit = (signature: string) =>
        admitOneWith({
          signature,
          signedAt: 1_000,
          replayWindowMs: 30_000,
          subject: 'key_race',
          weight: 1,
          budget: race,
        });
      const admitOneWith = async (admission: ReturnType<typeof request>) =>
        (await store.admission.admit([admission], 1_000))[0]!;
      const same = await Promise.all(Array.from({ length: 10 }, () => admit('sig-same')));
      expect(same.filter((outcome) => !outcome.replayed)).toHaveLength(1);
      const distinct = await Promise.all(Array.from({ length: 30 }, (_, index) => admit(`sig-${index}`)));
      expect(distinct.filter((outcome) => !outcome.replayed && outcome.charge.admitted)).toHaveLength(19);
    });
  });

  it('spends weight in a rolling window and says when it fits again', async () => {
    const budget = { windowMs: 60_000, budget: 10 };
    expect(await store.admission.spendWeight('key_1', 4, 0, budget)).toEqual({
      admitted: true,
      used: 4,
      retryAfterMs: 0,
    });
    expect(await store.admission.spendWeight('key_1', 5, 20_000, budget)).toEqual({
      admitted: true,
      used: 9,
      retryAfterMs: 0,
    });
    // 9 + 2 > 10: not admitted, costs nothing; the first charge leaves the window at 60 s.
    expect(await store.admission.spendWeight('key_1', 2, 30_000, budget)).toEqual({
      admitted: false,
      used: 9,
      retryAfterMs: 30_000,
    });
    expect(await store.admission.spendWeight('key_2', 10, 30_000, budget)).toMatchObject({ admitted: true, used: 10 });
    expect(await store.admission.spendWeight('key_1', 2, 60_001, budget)).toEqual({
      admitted: true,
      used: 7,
      retryAfterMs: 0,
    });
  });

  it('never admits more than the budget under concurrent spending', async () => {
    const budget = { windowMs: 60_000, budget: 20 };
    const results = await Promise.all(
      Array.from({ length: 30 }, () => store.admission.spendWeight('key_race', 1, 1_000, budget)),
    );
    expect(results.filter((result) => result.admitted)).toHaveLength(20);
  });

  it('recovers at most `limit` missed events, oldest first, and says where the next recovery starts', async () => {
    const hook = webhook('acct_alpha', { events: ['strategy.*'] });
    expect(await store.webhooks.insert(hook, 25)).toBe('created');
    const ids = ['evt_000000000000000000000011', 'evt_000000000000000000000012', 'evt_000000000000000000000013'];
    for (const [index, id] of ids.entries()) {
      // Published to no webhook, as while it was paused.
      await store.events.insert(
        { id, accountId: 'acct_alpha', type: 'strategy.deployed', data: {}, createdAt: 1_000 + index },
        () => [],
      );
    }
    const recovery = {
      accountId: 'acct_alpha',
      webhookId: hook.id,
      types: ['strategy.deployed'] as const,
      addressedTypes: [] as const,
      from: 1_000,
      until: 2_000,
      limit: 2,
    };
    expect(await store.queue.recoverMissed(recovery, 5_000)).toEqual({ eventIds: ids.slice(0, 2), nextFrom: 1_002 });
    // Queued ones are waiting now: the next recovery of the same window takes only the rest.
    expect(await store.queue.recoverMissed(recovery, 5_001)).toEqual({ eventIds: ids.slice(2), nextFrom: null });
    expect(await store.queue.recoverMissed(recovery, 5_002)).toEqual({ eventIds: [], nextFrom: null });
    expect(await store.queue.recoverMissed({ ...recovery, types: ['strategy.stopped'] }, 5_003)).toEqual({
      eventIds: [],
      nextFrom: null,
    });
    expect(await store.queue.countUnfinished()).toBe(3);
  });

  it("recovers an event addressed to one webhook only for that webhook (another's balance alert is not its own)", async () => {
    const mine = webhook('acct_alpha', { events: ['account.balance_low'], balanceLowThreshold: '10' });
    const theirs = webhook('acct_alpha', { events: ['*'], balanceLowThreshold: '1000' });
    for (const hook of [mine, theirs]) expect(await store.webhooks.insert(hook, 25)).toBe('created');
    const alert = (id: string, createdAt: number) => ({
      id,
      accountId: 'acct_alpha',
      type: 'account.balance_low' as const,
      data: {},
      createdAt,
    });
    // Each crossing is stored with one job, for the webhook whose threshold it crossed.
    await store.events.insert(alert('evt_000000000000000000000021', 1_000), () => [theirs.id]);
    await store.events.insert(alert('evt_000000000000000000000022', 1_001), () => [mine.id]);
    const recovery = (webhookId: string) => ({
      accountId: 'acct_alpha',
      webhookId,
      types: ['account.balance_low'] as const,
      addressedTypes: ['account.balance_low'] as const,
      from: 0,
      until: 5_000,
      limit: 10,
    });
    // Both jobs still wait: nothing to recover for either; never the other's alert.
    expect(await store.queue.recoverMissed(recovery(mine.id), 5_000)).toEqual({ eventIds: [], nextFrom: null });
    expect(await store.queue.recoverMissed(recovery(theirs.id), 5_000)).toEqual({ eventIds: [], nextFrom: null });
    // Without the rule, `theirs` would be sent `mine`'s alert:
    expect(await store.queue.recoverMissed({ ...recovery(theirs.id), addressedTypes: [] }, 5_000)).toEqual({
      eventIds: ['evt_000000000000000000000022'],
      nextFrom: null,
    });
  });

  it('inserts and finds webhooks, scoped to their account', async () => {
    const record = webhook('acct_alpha', {
      events: ['strategy.*', 'backtest.job_done'],
      description: 'x',
      balanceLowThreshold: '5',
    });
    expect(await store.webhooks.insert(record, 25)).toBe('created');
    const found = await store.webhooks.find('acct_alpha', record.id);
    expect(found).toMatchObject(record);
    expect(found!.seq).toBeGreaterThan(0);
    expect(await store.webhooks.find('acct_beta', record.id)).toBeUndefined();
  });

  it('refuses a duplicate normalized URL per account, not across accounts', async () => {
    const first = webhook('acct_alpha', { normalizedUrl: 'https://example.com/same' });
    expect(await store.webhooks.insert(first, 25)).toBe('created');
    expect(await store.webhooks.insert(webhook('acct_alpha', { normalizedUrl: 'https://example.com/same' }), 25)).toBe(
      'duplicate_url',
    );
    expect(await store.webhooks.insert(webhook('acct_beta', { normalizedUrl: 'https://example.com/same' }), 25)).toBe(
      'created',
    );
  });

  it('reports a taken id', async () => {
    const first = webhook('acct_alpha');
    expect(await store.webhooks.insert(first, 25)).toBe('created');
    expect(await store.webhooks.insert(webhook('acct_beta', { id: first.id }), 25)).toBe('id_taken');
  });

  it('holds the per-account limit under 50 concurrent inserts', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => store.webhooks.insert(webhook('acct_alpha'), 25)),
    );
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(25);
    expect(outcomes.filter((outcome) => outcome === 'limit_reached')).toHaveLength(25);
    expect(await store.webhooks.list('acct_alpha', { limit: 100 })).toHaveLength(25);
  });

  it('lists newest first with status, subscription and keyset filters', async () => {
    const a = webhook('acct_alpha', { events: ['strategy.deployed'] });
    const b = webhook('acct_alpha', { events: ['strategy.*'], status: 'paused' });
    const c = webhook('acct_alpha', { events: ['account.balance_low', '*'] });
    const other = webhook('acct_beta', { events: ['strategy.deployed'] });
    for (const record of [a, b, c, other]) expect(await store.webhooks.insert(record, 25)).toBe('created');
    const ids = async (query: Parameters<Store['webhooks']['list']>[1]) =>
      (await store.webhooks.list('acct_alpha', query)).map((record) => record.id);

    expect(await ids({ limit: 10 })).toEqual([c.id, b.id, a.id]);
    expect(await ids({ limit: 2 })).toEqual([c.id, b.id]);
    expect(await ids({ status: 'paused', limit: 10 })).toEqual([b.id]);
    expect(await ids({ subscribedToAny: ['strategy.deployed', 'strategy.*', '*'], limit: 10 })).toEqual([
      c.id,
      b.id,
      a.id,
    ]);
    expect(await ids({ subscribedToAny: ['account.balance_low'], limit: 10 })).toEqual([c.id]);
    expect(await ids({ subscribedToAny: ['backtest.job_done'], limit: 10 })).toEqual([]);
    const [newest] = await store.webhooks.list('acct_alpha', { limit: 1 });
    expect(await ids({ beforeSeq: newest!.seq, limit: 10 })).toEqual([b.id, a.id]);
  });

  it('updates only the given fields and reports duplicates and unknown ids', async () => {
    const a = webhook('acct_alpha');
    const b = webhook('acct_alpha');
    expect(await store.webhooks.insert(a, 25)).toBe('created');
    expect(await store.webhooks.insert(b, 25)).toBe('created');
    const updated = await store.webhooks.update('acct_alpha', a.id, {
      status: 'paused',
      events: ['*'],
      description: null,
    });
    expect(updated).toMatchObject({
      outcome: 'updated',
      webhook: { ...a, status: 'paused', events: ['*'], description: null },
    });
    expect(await store.webhooks.update('acct_alpha', a.id, { url: 'x', normalizedUrl: b.normalizedUrl })).toEqual({
      outcome: 'duplicate_url',
    });
    expect(await store.webhooks.update('acct_beta', a.id, { status: 'active' })).toEqual({ outcome: 'not_found' });
    // No changes: the stored webhook comes back as it was.
    expect(await store.webhooks.update('acct_alpha', a.id, {})).toEqual({
      outcome: 'updated',
      webhook: await store.webhooks.find('acct_alpha', a.id),
    });
  });

  it('deletes within the account only, freeing a slot', async () => {
    const records = Array.from({ length: 3 }, () => webhook('acct_alpha'));
    for (const record of records) expect(await store.webhooks.insert(record, 3)).toBe('created');
    expect(await store.webhooks.insert(webhook('acct_alpha'), 3)).toBe('limit_reached');
    expect(await store.webhooks.delete('acct_beta', records[0]!.id)).toBe(false);
    expect(await store.webhooks.delete('acct_alpha', records[0]!.id)).toBe(true);
    expect(await store.webhooks.delete('acct_alpha', records[0]!.id)).toBe(false);
    expect(await store.webhooks.insert(webhook('acct_alpha'), 3)).toBe('created');
  });
});
