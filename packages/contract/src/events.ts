// The one event-pattern matcher of the project: fan-out, subscriptions and the list filter all use
// it. The catalog and the wildcards come from the spec at generation time (generated/catalog.ts).

import { eventCatalog, eventWildcards } from '../generated/catalog.ts';
import type { components } from '../generated/schema.d.ts';

export type EventType = components['schemas']['EventType'];
export type EventWildcard = components['schemas']['EventWildcard'];
export type EventPattern = components['schemas']['EventPattern'];

export { eventCatalog, eventWildcards };

export const eventTypes: readonly EventType[] = eventCatalog.map((entry) => entry.type);

export class UnknownEventPatternError extends Error {
  readonly pattern: string;
  constructor(pattern: string) {
    super(`unknown event type or pattern: ${JSON.stringify(pattern)}`);
    this.name = 'UnknownEventPatternError';
    this.pattern = pattern;
  }
}

/** `*` covers every type; `category.*` every type that starts with `category.`. */
function expandWildcard(wildcard: EventWildcard): ReadonlySet<EventType> {
  const prefix = wildcard.slice(0, -1);
  const covered = new Set(eventTypes.filter((type) => type.startsWith(prefix)));
  if (covered.size === 0) throw new Error(`wildcard ${wildcard} covers no event type of the catalog`);
  return covered;
}

// Every valid pattern, mapped to the set of concrete types it covers; built once at load.
const coverage: ReadonlyMap<string, ReadonlySet<EventType>> = new Map<string, ReadonlySet<EventType>>([
  ...eventTypes.map((type) => [type, new Set([type])] as const),
  ...eventWildcards.map((wildcard) => [wildcard, expandWildcard(wildcard)] as const),
]);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (eventTypes as readonly string[]).includes(value);
}

export function isEventPattern(value: unknown): value is EventPattern {
  return typeof value === 'string' && coverage.has(value);
}

/** The concrete event types a pattern covers. Throws UnknownEventPatternError for anything else. */
export function eventTypesCoveredBy(pattern: string): ReadonlySet<EventType> {
  const covered = coverage.get(pattern);
  if (!covered) throw new UnknownEventPatternError(pattern);
  return covered;
}

/** Whether `pattern` (a type or a wildcard) matches the concrete event `type`. */
export function matchesEvent(pattern: string, type: string): boolean {
  if (!isEventType(type)) throw new UnknownEventPatternError(type);
  return eventTypesCoveredBy(pattern).has(type);
}

/** Whether two patterns cover at least one event type in common (`strategy.*` and `*` do). */
export function patternsOverlap(a: string, b: string): boolean {
  const coveredByB = eventTypesCoveredBy(b);
  for (const type of eventTypesCoveredBy(a)) if (coveredByB.has(type)) return true;
  return false;
}

/** Whether a webhook subscribed to `subscriptions` receives events of `type`. */
export function subscriptionMatches(subscriptions: readonly string[], type: string): boolean {
  return subscriptions.some((pattern) => matchesEvent(pattern, type));
}
