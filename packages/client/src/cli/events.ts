// The pipai events commands: the account's events, and how one was delivered.
import type { components } from '@pipai/contract';
import { UsageError } from '@pipai/contract/command-table';
import { command, listing, PAGING } from './context.ts';
import { more, table } from './text.ts';

type Event = components['schemas']['Event'];

export const EVENT_COMMANDS = [
  command({
    name: 'events list',
    usage: ['[--type EVENT_TYPE] [--since TIME] [--until TIME] [--limit N] [--cursor C] [--all]'],
    options: { type: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, ...PAGING },
    async run({ client, values }) {
      const query = {
        ...(values.type ? { type: values.type as Event['type'] } : {}),
        ...(values.since ? { since: values.since } : {}),
        ...(values.until ? { until: values.until } : {}),
        ...(values.limit ? { limit: Number(values.limit) } : {}),
      };
      return listing(client, '/v1/events', { params: { query } }, values);
    },
    render(result) {
      if (result.data.length === 0) return 'No events.';
      const rows = result.data.map((event) => [event.id, event.created_at, event.type]);
      return `${table([['ID', 'AT', 'TYPE'], ...rows])}${more(result.next_cursor)}`;
    },
  }),
  command({
    name: 'events get',
    usage: ['EVENT_ID'],
    options: {},
    async run({ client, name, args }) {
      if (!args[0]) throw new UsageError(`${name} needs an EVENT_ID`);
      return (await client.GET('/v1/events/{event_id}', { params: { path: { event_id: args[0] } } })).data;
    },
    render({ event, deliveries }) {
      const head = `${event.id}  ${event.type}  ${event.created_at}\n${JSON.stringify(event.data)}\n\n`;
      if (deliveries.length === 0) return `${head}No webhook was to receive it.`;
      const rows = deliveries.map((delivery) => [
        delivery.webhook_id,
        String(delivery.attempts),
        delivery.waiting ? 'yes' : 'no',
        delivery.last_attempt
          ? `${delivery.last_attempt.status} ${delivery.last_attempt.response_status ?? delivery.last_attempt.error_class ?? ''}`.trim()
          : '',
        delivery.last_attempt?.id ?? '',
      ]);
      return head + table([['WEBHOOK', 'ATTEMPTS', 'WAITING', 'LAST', 'LAST ATTEMPT'], ...rows]);
    },
  }),
];
