// The `pipai-admin events …` commands: one table entry each.

import { UsageError } from '@pipai/contract/command-table';
import type { EventService } from '../domain/event-service.ts';
import { command, JSON_OPTION } from './context.ts';

/** Every events command names its account, and checks that before anything else. */
export function needsAccount(name: string, values: { account?: string | undefined }): string {
  if (!values.account) throw new UsageError(`${name} needs --account`);
  return values.account;
}

type Published = Awaited<ReturnType<EventService['publish']>>;

const renderPublished = ({ events }: { events: Published }) =>
  events.length === 0
    ? 'No event: no threshold was crossed.'
    : events.map((event) => `${event.id}  ${event.type}  stored; the worker delivers it`).join('\n');

export const EVENT_COMMANDS = [
  command({
    name: 'events emit',
    usage: ['--account NAME --type TYPE --data JSON'],
    summary: ["publish an event, as PipAI's services do"],
    options: { account: { type: 'string' }, type: { type: 'string' }, data: { type: 'string' }, json: JSON_OPTION },
    async run({ events, name, values }) {
      const account = needsAccount(name, values);
      if (!values.type || values.data === undefined) throw new UsageError('events emit needs --type and --data');
      let data: unknown;
      try {
        data = JSON.parse(values.data);
      } catch {
        throw new UsageError('--data must be JSON');
      }
      return { events: await events.publish(account, values.type, data) };
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
