// The fairness policy alone: which due jobs a claim takes, given what is in flight everywhere.
import { describe, expect, it } from 'vitest';
import {
  type ClaimCandidate,
  chooseFairly,
  type EndpointState,
  FAILING_ENDPOINT_AFTER,
} from '../src/domain/claim-policy.ts';

let nextJob = 0;
/** `count` due jobs of one webhook, due from `dueAt` on. */
const jobs = (accountId: string, webhookId: string, count: number, dueAt = 0): ClaimCandidate[] =>
  Array.from({ length: count }, (_, index) => ({ jobId: ++nextJob, accountId, webhookId, dueAt: dueAt + index }));
const endpoint = (accountId: string, webhookId: string, state: Partial<EndpointState> = {}): EndpointState => ({
  accountId,
  webhookId,
  inFlight: 0,
  consecutiveFailures: 0,
  rateLimit: null,
  startedThisSecond: 0,
  ...state,
});
const accountsOf = (chosen: number[], candidates: ClaimCandidate[]) =>
  chosen.map((id) => candidates.find((job) => job.jobId === id)!.accountId);
const webhooksOf = (chosen: number[], candidates: ClaimCandidate[]) =>
  chosen.map((id) => candidates.find((job) => job.jobId === id)!.webhookId);

describe('chooseFairly', () => {
  it('takes turns across accounts, oldest waiting first, however much one of them has queued', () => {
    // Account a queued 100 jobs long before b's 3.
    const candidates = [...jobs('a', 'wh_a1', 50, 0), ...jobs('a', 'wh_a2', 50, 0), ...jobs('b', 'wh_b1', 3, 1_000)];
    const chosen = chooseFairly(candidates, [], { limit: 6, perWebhook: 10, perAccount: 10 });
    expect(accountsOf(chosen, candidates)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it("takes turns across an account's endpoints", () => {
    const candidates = [...jobs('a', 'wh_1', 5, 0), ...jobs('a', 'wh_2', 5, 10), ...jobs('a', 'wh_3', 5, 20)];
    const chosen = chooseFairly(candidates, [], { limit: 6, perWebhook: 10, perAccount: 10 });
    expect(webhooksOf(chosen, candidates)).toEqual(['wh_1', 'wh_2', 'wh_3', 'wh_1', 'wh_2', 'wh_3']);
  });

  it('counts what is in flight in every worker against the account and the endpoint caps', () => {
    const candidates = [...jobs('a', 'wh_1', 5), ...jobs('a', 'wh_2', 5), ...jobs('b', 'wh_3', 5)];
    const inFlight = [endpoint('a', 'wh_1', { inFlight: 2 }), endpoint('a', 'wh_9', { inFlight: 1 })];
    const chosen = chooseFairly(candidates, inFlight, { limit: 10, perWebhook: 2, perAccount: 4 });
    // a: 3 in flight of 4, and wh_1 is full: one more, on wh_2. b: its endpoint's 2.
    expect(webhooksOf(chosen, candidates).sort()).toEqual(['wh_2', 'wh_3', 'wh_3']);
  });

  it(`gives an endpoint that failed ${FAILING_ENDPOINT_AFTER} times in a row a single slot`, () => {
    const candidates = [...jobs('a', 'wh_failing', 5), ...jobs('a', 'wh_ok', 5)];
    const states = [
      endpoint('a', 'wh_failing', { consecutiveFailures: FAILING_ENDPOINT_AFTER }),
      endpoint('a', 'wh_ok', { consecutiveFailures: 2 }),
    ];
    const chosen = chooseFairly(candidates, states, { limit: 10, perWebhook: 4, perAccount: 10 });
    expect(webhooksOf(chosen, candidates).filter((id) => id === 'wh_failing')).toHaveLength(1);
    expect(webhooksOf(chosen, candidates).filter((id) => id === 'wh_ok')).toHaveLength(4);
  });

  it("starts no more per second than an endpoint's rate limit, counting what already started", () => {
    const candidates = jobs('a', 'wh_limited', 10);
    const chosen = chooseFairly(candidates, [endpoint('a', 'wh_limited', { rateLimit: 3, startedThisSecond: 1 })], {
      limit: 10,
      perWebhook: 10,
      perAccount: 10,
    });
    expect(chosen).toHaveLength(2);
  });

  it('never exceeds the limit, and takes nothing when every account is at its cap', () => {
    const candidates = [...jobs('a', 'wh_1', 5), ...jobs('b', 'wh_2', 5)];
    expect(chooseFairly(candidates, [], { limit: 3, perWebhook: 5, perAccount: 5 })).toHaveLength(3);
    const full = [endpoint('a', 'wh_x', { inFlight: 2 }), endpoint('b', 'wh_y', { inFlight: 2 })];
    expect(chooseFairly(candidates, full, { limit: 10, perWebhook: 5, perAccount: 2 })).toEqual([]);
  });
});
