// The `pipai-admin events …` commands: one table entry each.

import { type EventType, eventTypes, isEventType } from '@pipai/contract';
import { UsageError } from '@pipai/contract/command-table';
import type { EventService } from '../domain/event-service.ts';
import { command, JSON_OPTION } from './context.ts';

/** Every events command names its account, and checks that before anything else. */
export function needsAccount(name: string, values: { account?: string | undefined }): string {
  if (!values.account) throw new UsageError(`${name} needs --account`);
  return values.account;
}

type Published = Awaited<ReturnType<EventService['publish']>>;

/** The event type named, or a usage error that lists the known ones. */
function knownType(type: string): EventType {
  if (isEventType(type)) return type;
  throw new UsageError(`unknown event type: ${type}. Known types: ${eventTypes.join(', ')}`);
}

/**
 * `--set path=value` overrides on a payload: the path in dots and [index] (`symbols[0]`,
 * `metrics.sharpe`), the value JSON when it reads as JSON (`4`, `true`, `["a"]`), else text.
 */
export function applySets(data: unknown, sets: readonly string[]): unknown {
  for (const set of sets) {
    const at = set.indexOf('=');
    if (at <= 0) throw new UsageError(`--set takes path=value, not ${JSON.stringify(set)}`);
    const path = set
      .slice(0, at)
      .split(/\.|\[(\d+)\]/)
      .filter((segment) => segment !== undefined && segment !== '');
    const text = set.slice(at + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: the text itself.
    }
    let node = data as Record<string, unknown>;
    for (const segment of path.slice(0, -1)) {
      const next = node[segment];
      if (typeof next !== 'object' || next === null) {
        throw new UsageError(`--set ${set}: ${segment} is not an object or array in the payload`);
      }
      node = next as Record<string, unknown>;
    }
    node[path.at(-1)!] = value;
  }
  return data;
}

/** --data as given, or the type's example payload; then the --set overrides. */
function payloadOf(
  events: EventService,
  type: EventType,
  values: { data?: string | undefined; set?: string[] | undefined },
) {
  let data: unknown;
  if (values.data === undefined) data = events.examplePayload(type);
  else {
    try {
      data = JSON.parse(values.data);
    } catch {
      throw new UsageError('--data must be JSON');
    }
  }
  return applySets(data, values.set ?? []);
}

/** The payload of an emitted or triggered event: --data, else the example; then each --set. */
const PAYLOAD_OPTIONS = {
  data: { type: 'string' },
  set: { type: 'string', multiple: true },
} as const;

const renderPublished = ({ events }: { events: Published }) =>
  events.length === 0
    ? 'No event: no threshold was crossed.'
    : events.map((event) => `${event.id}  ${event.type}  stored; the worker delivers it`).join('\n');

export const EVENT_COMMANDS = [
  command({
    name: 'events emit',
    usage: ['--account NAME --type TYPE [--data JSON] [--set PATH=VALUE]…'],
    summary: ["publish an event, as PipAI's services do (no --data: the spec's example)"],
    options: { account: { type: 'string' }, type: { type: 'string' }, ...PAYLOAD_OPTIONS, json: JSON_OPTION },
    async run({ events, name, values }) {
      const account = needsAccount(name, values);
      if (!values.type) throw new UsageError('events emit needs --type');
      const type = knownType(values.type);
      return { events: await events.publish(account, type, payloadOf(events, type, values)) };
    },
    render: renderPublished,
  }),
  command({
    name: 'events trigger',
    usage: ['TYPE [--account NAME] [--data JSON] [--set PATH=VALUE]…'],
    summary: ['a fixture event of any type, to account dev unless --account (no --data: the example)'],
    options: { account: { type: 'string' }, ...PAYLOAD_OPTIONS, json: JSON_OPTION },
    async run({ events, args, values }) {
      if (args.length !== 1) throw new UsageError('events trigger needs one event type');
      const type = knownType(args[0]!);
      return { events: await events.trigger(values.account ?? 'dev', type, payloadOf(events, type, values)) };
    },
    render: renderPublished,
  }),
  command({
    name: 'events balance',
    usage: ['--account NAME --asset ASSET --available DECIMAL'],
    summary: ['report a balance (derives account.balance_low)'],
    options: {
      account: { type: 'string' },
      asset: { type: 'string' },
      available: { type: 'string' },
      json: JSON_OPTION,
    },
    async run({ events, name, values }) {
      const account = needsAccount(name, values);
      if (!values.asset || !values.available) throw new UsageError('events balance needs --asset and --available');
      return { events: await events.reportBalance(account, values.asset, values.available) };
    },
    render: renderPublished,
  }),
];
