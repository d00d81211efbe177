// Waiting for what a test causes, and counting what receivers got. The time limit only turns a
// hang into a failure; no assertion depends on how fast anything happened.
import type { HttpsEndpoint } from '@pipai/testkit/pki';

/** Polls until `condition` holds; fails after `timeoutMs`, saying what it waited for. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string | (() => string),
): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every (receiver, event) pair delivered, with how many times. */
export function deliveryCounts(receivers: HttpsEndpoint[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [index, receiver] of receivers.entries()) {
    for (const request of receiver.received) {
      const pair = `${index}:${String(request.headers['webhook-id'])}`;
      counts.set(pair, (counts.get(pair) ?? 0) + 1);
    }
  }
  return counts;
}
