// Which due delivery jobs a worker takes next: fair across accounts first and endpoints second, so
// that one account's slow, hanging, failing or flooded endpoints cannot delay another account's.
//
// Round robin: accounts take turns, oldest waiting first, one job per turn; within an account its
// endpoints take turns the same way. Every account has an in-flight cap and every endpoint has one,
// counted over all workers (the store counts unexpired leases); an endpoint that keeps failing gets
// one slot only, so its timeouts occupy as little as possible. Both stores and every worker share
// this one policy; the stores only fetch candidates and count what is in flight.

export interface ClaimCandidate {
  jobId: number;
  webhookId: string;
  accountId: string;
  dueAt: number;
}

export interface EndpointState {
  webhookId: string;
  accountId: string;
  /** Jobs of this webhook under an unexpired lease, in any worker. */
  inFlight: number;
  consecutiveFailures: number;
  /** Deliveries per second it accepts (its `rate_limit`), and how many already started this second. */
  rateLimit: number | null;
  startedThisSecond: number;
}

export interface ClaimCaps {
  /** Jobs to take at most (the worker's free slots). */
  limit: number;
  perWebhook: number;
  perAccount: number;
}

/** From this many failures in a row, an endpoint is given a single slot until it succeeds again. */
export const FAILING_ENDPOINT_AFTER = 3;

/** How many more jobs an endpoint may start now. */
export function endpointRoom(endpoint: EndpointState | undefined, perWebhook: number): number {
  if (!endpoint) return perWebhook;
  const cap = endpoint.consecutiveFailures >= FAILING_ENDPOINT_AFTER ? 1 : perWebhook;
  const byRate =
    endpoint.rateLimit === null ? Number.POSITIVE_INFINITY : endpoint.rateLimit - endpoint.startedThisSecond;
  return Math.max(0, Math.min(cap - endpoint.inFlight, byRate));
}

/** The job ids to lease now, in the order they were chosen. */
export function chooseFairly(
  candidates: readonly ClaimCandidate[],
  endpoints: readonly EndpointState[],
  caps: ClaimCaps,
): number[] {
  const endpointOf = new Map(endpoints.map((endpoint) => [endpoint.webhookId, endpoint]));
  const accountInFlight = new Map<string, number>();
  for (const endpoint of endpoints)
    accountInFlight.set(endpoint.accountId, (accountInFlight.get(endpoint.accountId) ?? 0) + endpoint.inFlight);

  // account -> webhook -> its candidates, oldest first; accounts and webhooks ordered by their oldest.
  const byAccount = new Map<string, Map<string, ClaimCandidate[]>>();
  for (const candidate of [...candidates].sort((a, b) => a.dueAt - b.dueAt || a.jobId - b.jobId)) {
    const webhooks = byAccount.get(candidate.accountId) ?? new Map<string, ClaimCandidate[]>();
    byAccount.set(candidate.accountId, webhooks);
    const queue = webhooks.get(candidate.webhookId) ?? [];
    webhooks.set(candidate.webhookId, queue);
    queue.push(candidate);
  }
  const accounts = [...byAccount].map(([accountId, webhooks]) => ({
    room: caps.perAccount - (accountInFlight.get(accountId) ?? 0),
    webhooks: [...webhooks].map(([webhookId, queue]) => ({
      queue,
      room: endpointRoom(endpointOf.get(webhookId), caps.perWebhook),
    })),
    turn: 0,
  }));

  const chosen: number[] = [];
  for (let progress = true; progress && chosen.length < caps.limit; ) {
    progress = false;
    for (const account of accounts) {
      if (chosen.length >= caps.limit) break;
      if (account.room <= 0) continue;
      // The next of its webhooks, in turn, that has a job and room for it.
      for (let tried = 0; tried < account.webhooks.length; tried += 1) {
        const webhook = account.webhooks[account.turn % account.webhooks.length]!;
        account.turn += 1;
        if (webhook.room <= 0 || webhook.queue.length === 0) continue;
        chosen.push(webhook.queue.shift()!.jobId);
        webhook.room -= 1;
        account.room -= 1;
        progress = true;
        break;
      }
    }
  }
  return chosen;
}
