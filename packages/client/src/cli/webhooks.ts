// The `pipai webhooks …` commands: one table entry each.
import type { components } from '@pipai/contract';
import { UsageError } from '@pipai/contract/command-table';
import { type Context, command, listing, PAGING } from './context.ts';
import { commaList, details, more, table } from './text.ts';

type Webhook = components['schemas']['Webhook'];

function webhookId({ name, args }: Pick<Context, 'name' | 'args'>): string {
  if (!args[0]) throw new UsageError(`${name} needs a WEBHOOK_ID`);
  return args[0];
}

const path = (context: Pick<Context, 'name' | 'args'>) => ({ params: { path: { webhook_id: webhookId(context) } } });

/** WEBHOOK_ID DELIVERY_ID, as the path of an operation on one delivery attempt. */
function deliveryPath(context: Pick<Context, 'name' | 'args'>) {
  if (!context.args[1]) throw new UsageError(`${context.name} needs WEBHOOK_ID and DELIVERY_ID`);
  return { params: { path: { webhook_id: webhookId(context), delivery_id: context.args[1] } } };
}

function webhookTable(webhooks: readonly Webhook[]): string {
  if (webhooks.length === 0) return 'No webhooks.';
  return table([
    ['ID', 'STATUS', 'FAILURES', 'EVENTS', 'URL', 'DESCRIPTION'],
    ...webhooks.map((webhook) => [
      webhook.id,
      webhook.status,
      String(webhook.consecutive_failures),
      webhook.events.join(','),
      webhook.url,
      webhook.description ?? '',
    ]),
  ]);
}

/** A webhook, or a new secret, as name/value lines; a secret is shown once, so it comes with its warning. */
function renderWebhook(result: Record<string, unknown> & { secret?: string; _secret_warning?: string }): string {
  const { secret, _secret_warning: warning, ...webhook } = result;
  return [details(webhook), secret ? `\nsecret  ${secret}\n${warning}` : ''].join('');
}

export const WEBHOOK_COMMANDS = [
  command({
    name: 'webhooks create',
    usage: ['--url URL --events E1,E2 [--description TEXT] [--threshold DECIMAL]'],
    options: {
      url: { type: 'string' },
      events: { type: 'string' },
      description: { type: 'string' },
      threshold: { type: 'string' },
    },
    async run({ client, values }) {
      const events = commaList(values.events);
      if (!values.url || !events) throw new UsageError('webhooks create needs --url and --events');
      const body = {
        url: values.url,
        events: events as components['schemas']['EventSubscriptions'],
        ...(values.description !== undefined ? { description: values.description } : {}),
        ...(values.threshold !== undefined ? { balance_low_threshold: values.threshold } : {}),
      };
      return (await client.POST('/v1/webhooks', { body })).data;
    },
    render: renderWebhook,
  }),
  command({
    name: 'webhooks list',
    usage: ['[--status active|paused|broken] [--event TYPE] [--limit N] [--cursor C] [--all]'],
    options: { status: { type: 'string' }, event: { type: 'string' }, ...PAGING },
    async run({ client, values }) {
      const query = {
        ...(values.status ? { status: values.status as Webhook['status'] } : {}),
        ...(values.event ? { event: values.event as components['schemas']['EventPattern'] } : {}),
        ...(values.limit ? { limit: Number(values.limit) } : {}),
      };
      return listing(client, '/v1/webhooks', { params: { query } }, values);
    },
    render: (result) => `${webhookTable(result.data)}${more(result.next_cursor)}`,
  }),
  command({
    name: 'webhooks get',
    usage: ['WEBHOOK_ID'],
    options: {},
    run: async (context) => (await context.client.GET('/v1/webhooks/{webhook_id}', path(context))).data,
    render: renderWebhook,
  }),
  command({
    name: 'webhooks update',
    usage: [
      'WEBHOOK_ID [--url URL] [--events E1,E2] [--description TEXT | --clear-description]',
      '[--threshold DECIMAL | --clear-threshold] [--status active|paused]',
    ],
    options: {
      url: { type: 'string' },
      events: { type: 'string' },
      description: { type: 'string' },
      'clear-description': { type: 'boolean', default: false },
      threshold: { type: 'string' },
      'clear-threshold': { type: 'boolean', default: false },
      status: { type: 'string' },
    },
    async run(context) {
      const { values } = context;
      const events = commaList(values.events);
      const body = {
        ...(values.url !== undefined ? { url: values.url } : {}),
        ...(events ? { events: events as components['schemas']['EventSubscriptions'] } : {}),
        ...(values.description !== undefined ? { description: values.description } : {}),
        ...(values['clear-description'] ? { description: null } : {}),
        ...(values.threshold !== undefined ? { balance_low_threshold: values.threshold } : {}),
        ...(values['clear-threshold'] ? { balance_low_threshold: null } : {}),
        ...(values.status !== undefined
          ? { status: values.status as NonNullable<components['schemas']['UpdateWebhookRequest']['status']> }
          : {}),
      };
      if (Object.keys(body).length === 0) throw new UsageError('webhooks update needs at least one field to change');
      return (await context.client.PATCH('/v1/webhooks/{webhook_id}', { ...path(context), body })).data;
    },
    render: renderWebhook,
  }),
  command({
    name: 'webhooks delete',
    usage: ['WEBHOOK_ID'],
    options: {},
    async run(context) {
      await context.client.DELETE('/v1/webhooks/{webhook_id}', path(context));
      return { deleted: webhookId(context) };
    },
    render: (result) => `Deleted ${result.deleted}.`,
  }),
  command({
    name: 'webhooks rotate-secret',
    usage: ['WEBHOOK_ID [--grace SECONDS]'],
    options: { grace: { type: 'string' } },
    run: async (context) =>
      (
        await context.client.POST('/v1/webhooks/{webhook_id}/secret/rotate', {
          ...path(context),
          ...(context.values.grace === undefined
            ? {}
            : { body: { grace_period_seconds: Number(context.values.grace) } }),
        })
      ).data,
    render: renderWebhook,
  }),
  command({
    name: 'webhooks test',
    usage: ['WEBHOOK_ID [--type EVENT_TYPE]'],
    options: { type: { type: 'string' } },
    run: async (context) =>
      (
        await context.client.POST('/v1/webhooks/{webhook_id}/test', {
          ...path(context),
          body: context.values.type ? { type: context.values.type as components['schemas']['EventType'] } : {},
        })
      ).data,
    render(result) {
      const { request_headers: headers, ...outcome } = result;
      return `${details(outcome)}\n\nSent with:\n${details(headers)}`;
    },
  }),
  command({
    name: 'webhooks deliveries',
    usage: [
      'WEBHOOK_ID [--status succeeded|failed] [--type EVENT_TYPE] [--event-id EVT]',
      '[--limit N] [--cursor C] [--all]',
    ],
    options: { status: { type: 'string' }, type: { type: 'string' }, 'event-id': { type: 'string' }, ...PAGING },
    async run(context) {
      const { client, values } = context;
      const query = {
        ...(values.status ? { status: values.status as components['schemas']['DeliveryStatus'] } : {}),
        ...(values.type ? { type: values.type as components['schemas']['EventType'] } : {}),
        ...(values['event-id'] ? { event_id: values['event-id'] } : {}),
        ...(values.limit ? { limit: Number(values.limit) } : {}),
      };
      return listing(
        client,
        '/v1/webhooks/{webhook_id}/deliveries',
        { params: { path: { webhook_id: webhookId(context) }, query } },
        values,
      );
    },
    render(result) {
      if (result.data.length === 0) return 'No delivery attempts.';
      const rows = result.data.map((attempt) => [
        attempt.id,
        attempt.created_at,
        attempt.type,
        String(attempt.attempt),
        attempt.trigger,
        attempt.status,
        attempt.response_status === null ? (attempt.error_class ?? '') : String(attempt.response_status),
        attempt.latency_ms === null ? '' : `${attempt.latency_ms} ms`,
        attempt.next_attempt_at ?? '',
      ]);
      const header = ['ID', 'AT', 'TYPE', 'ATTEMPT', 'TRIGGER', 'STATUS', 'RESPONSE', 'LATENCY', 'NEXT RETRY'];
      return `${table([header, ...rows])}${more(result.next_cursor)}`;
    },
  }),
  command({
    name: 'webhooks delivery',
    usage: ['WEBHOOK_ID DELIVERY_ID'],
    options: {},
    async run(context) {
      return (await context.client.GET('/v1/webhooks/{webhook_id}/deliveries/{delivery_id}', deliveryPath(context)))
        .data;
    },
    // As an HTTP exchange: the request sent (> lines), then what came back (< lines).
    render({ delivery, request, response_headers }) {
      const outcome =
        delivery.status === 'succeeded' ? 'succeeded' : `failed (${delivery.error_class}: ${delivery.error})`;
      const lines = [
        `${delivery.id}  ${delivery.type}  ${delivery.event_id}  attempt ${delivery.attempt} (${delivery.trigger})  ${outcome}`,
        `at ${delivery.created_at}${delivery.latency_ms === null ? '' : `, ${delivery.latency_ms} ms`}${delivery.next_attempt_at ? `; next retry ${delivery.next_attempt_at}` : ''}`,
        '',
      ];
      if (request) {
        lines.push(`> ${request.method} ${request.url}`);
        for (const [name, value] of Object.entries(request.headers)) lines.push(`> ${name}: ${value}`);
        lines.push('', request.body ?? '(the body is past retention)', '');
      } else lines.push('(the request was logged before PipAI kept requests)', '');
      if (delivery.response_status === null) lines.push('< no response');
      else {
        lines.push(`< ${delivery.response_status}`);
        for (const [name, value] of Object.entries(response_headers ?? {})) lines.push(`< ${name}: ${value}`);
        if (delivery.response_body !== null) lines.push('', delivery.response_body);
      }
      return lines.join('\n');
    },
  }),
  command({
    name: 'webhooks recover',
    usage: ['WEBHOOK_ID --since TIME [--until TIME]'],
    options: { since: { type: 'string' }, until: { type: 'string' } },
    async run(context) {
      const { since, until } = context.values;
      if (!since) throw new UsageError('webhooks recover needs --since (e.g. 2026-04-28T00:00:00Z)');
      return (
        await context.client.POST('/v1/webhooks/{webhook_id}/recover', {
          ...path(context),
          body: { since, ...(until ? { until } : {}) },
        })
      ).data;
    },
    render(result) {
      const window = `between ${result.since} and ${result.until}`;
      if (result.queued === 0) return `${result.webhook_id} missed nothing ${window}.`;
      const next = result.next_since ? `\n\nMore were missed: recover again with --since ${result.next_since}.` : '';
      return `Queued ${result.queued} missed events for ${result.webhook_id} (${window}):\n${result.event_ids.join('\n')}${next}`;
    },
  }),
  command({
    name: 'webhooks redeliver',
    usage: ['WEBHOOK_ID DELIVERY_ID'],
    options: {},
    async run(context) {
      return (
        await context.client.POST('/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver', deliveryPath(context))
      ).data;
    },
    render: (result) => `Queued ${result.event_id} for one more delivery to ${result.webhook_id}.`,
  }),
];
