#!/usr/bin/env node
// `pipai`: the API from the command line, built on the SDK. Tables for people, --json for scripts.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { components } from '@pipai/contract';
import { createPipAIClient, type PipAIClient } from './client.ts';
import { PipAIError } from './errors.ts';
import { listen } from './listen.ts';
import { paginate } from './paginate.ts';

type Webhook = components['schemas']['Webhook'];

const USAGE = `Usage: pipai <command> [options]

Commands:
  webhooks create --url URL --events E1,E2 [--description TEXT] [--threshold DECIMAL]
  webhooks list [--status active|paused|broken] [--event TYPE] [--limit N] [--cursor C] [--all]
  webhooks get WEBHOOK_ID
  webhooks update WEBHOOK_ID [--url URL] [--events E1,E2] [--description TEXT | --clear-description]
                             [--threshold DECIMAL | --clear-threshold] [--status active|paused]
  webhooks delete WEBHOOK_ID
  webhooks rotate-secret WEBHOOK_ID [--grace SECONDS]
  webhooks test WEBHOOK_ID [--type EVENT_TYPE]
  webhooks deliveries WEBHOOK_ID [--status succeeded|failed] [--type EVENT_TYPE] [--event-id EVT]
                             [--limit N] [--cursor C] [--all]
  webhooks redeliver WEBHOOK_ID DELIVERY_ID
  event-types                 list the event types a webhook can subscribe to
  listen [--port 8443] [--events E1,E2] [--keep]
                              a local HTTPS receiver: registers itself, verifies and prints every
                              delivery (needs the server started with PIPAI_DEV_ALLOW_LOOPBACK=1
                              on the same data dir, and openssl)

Options:
  --json                      print the API's JSON instead of a table
  --base-url URL              or PIPAI_BASE_URL
  --api-key KEY               or PIPAI_API_KEY
  --api-secret SECRET         or PIPAI_API_SECRET
  -h, --help                  this help

Without credentials in flags or the environment, the dev credentials that \`pnpm start\` writes to
$PIPAI_DATA_DIR/dev-credentials.json (default .data/) are used.`;

class UsageError extends Error {}

const OPTIONS = {
  json: { type: 'boolean', default: false },
  all: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  'api-secret': { type: 'string' },
  url: { type: 'string' },
  events: { type: 'string' },
  description: { type: 'string' },
  'clear-description': { type: 'boolean', default: false },
  threshold: { type: 'string' },
  'clear-threshold': { type: 'boolean', default: false },
  status: { type: 'string' },
  event: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  grace: { type: 'string' },
  type: { type: 'string' },
  'event-id': { type: 'string' },
  port: { type: 'string' },
  keep: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function credentials(values: Values, env: NodeJS.ProcessEnv) {
  let baseUrl = values['base-url'] ?? env.PIPAI_BASE_URL;
  let apiKey = values['api-key'] ?? env.PIPAI_API_KEY;
  let apiSecret = values['api-secret'] ?? env.PIPAI_API_SECRET;
  const devFile = join(resolve(env.PIPAI_DATA_DIR || '.data'), 'dev-credentials.json');
  if ((!apiKey || !apiSecret || !baseUrl) && existsSync(devFile)) {
    const dev = JSON.parse(readFileSync(devFile, 'utf8'));
    baseUrl ??= dev.base_url;
    if (!apiKey && !apiSecret) {
      apiKey = dev.api_key;
      apiSecret = dev.api_secret;
    }
  }
  if (!baseUrl || !apiKey || !apiSecret) {
    throw new UsageError(
      'no credentials: pass --base-url, --api-key and --api-secret, set PIPAI_BASE_URL, PIPAI_API_KEY and PIPAI_API_SECRET, or run `pnpm start` once for dev credentials',
    );
  }
  return { baseUrl, apiKey, apiSecret };
}

const list = (text: string | undefined) =>
  text
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
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

function details(record: Record<string, unknown>): string {
  return table(
    Object.entries(record).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : String(value ?? '')]),
  );
}

async function run(
  client: PipAIClient,
  group: string,
  command: string | undefined,
  args: string[],
  values: Values,
): Promise<unknown> {
  const id = () => {
    if (!args[0]) throw new UsageError(`webhooks ${command} needs a WEBHOOK_ID`);
    return args[0];
  };
  const path = () => ({ params: { path: { webhook_id: id() } } });
  if (group === 'event-types') return (await client.GET('/v1/webhook-event-types')).data;
  if (group !== 'webhooks') throw new UsageError(`unknown command: ${group}`);
  switch (command) {
    case 'create': {
      const events = list(values.events);
      if (!values.url || !events) throw new UsageError('webhooks create needs --url and --events');
      const body = {
        url: values.url,
        events: events as components['schemas']['EventSubscriptions'],
        ...(values.description !== undefined ? { description: values.description } : {}),
        ...(values.threshold !== undefined ? { balance_low_threshold: values.threshold } : {}),
      };
      return (await client.POST('/v1/webhooks', { body })).data;
    }
    case 'list': {
      const query = {
        ...(values.status ? { status: values.status as Webhook['status'] } : {}),
        ...(values.event ? { event: values.event as components['schemas']['EventPattern'] } : {}),
        ...(values.limit ? { limit: Number(values.limit) } : {}),
      };
      if (values.all) {
        const data: Webhook[] = [];
        for await (const webhook of paginate(client, '/v1/webhooks', { params: { query } })) data.push(webhook);
        return { data, next_cursor: null };
      }
      return (
        await client.GET('/v1/webhooks', {
          params: { query: { ...query, ...(values.cursor ? { cursor: values.cursor } : {}) } },
        })
      ).data;
    }
    case 'get':
      return (await client.GET('/v1/webhooks/{webhook_id}', path())).data;
    case 'update': {
      const events = list(values.events);
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
      return (await client.PATCH('/v1/webhooks/{webhook_id}', { ...path(), body })).data;
    }
    case 'delete':
      await client.DELETE('/v1/webhooks/{webhook_id}', path());
      return { deleted: id() };
    case 'rotate-secret':
      return (
        await client.POST('/v1/webhooks/{webhook_id}/secret/rotate', {
          ...path(),
          ...(values.grace === undefined ? {} : { body: { grace_period_seconds: Number(values.grace) } }),
        })
      ).data;
    case 'test':
      return (
        await client.POST('/v1/webhooks/{webhook_id}/test', {
          ...path(),
          body: values.type ? { type: values.type as components['schemas']['EventType'] } : {},
        })
      ).data;
    case 'deliveries': {
      const query = {
        ...(values.status ? { status: values.status as components['schemas']['DeliveryStatus'] } : {}),
        ...(values.type ? { type: values.type as components['schemas']['EventType'] } : {}),
        ...(values['event-id'] ? { event_id: values['event-id'] } : {}),
        ...(values.limit ? { limit: Number(values.limit) } : {}),
      };
      if (values.all) {
        const data: components['schemas']['Delivery'][] = [];
        for await (const delivery of paginate(client, '/v1/webhooks/{webhook_id}/deliveries', {
          params: { path: { webhook_id: id() }, query },
        }))
          data.push(delivery);
        return { data, next_cursor: null };
      }
      return (
        await client.GET('/v1/webhooks/{webhook_id}/deliveries', {
          params: {
            path: { webhook_id: id() },
            query: { ...query, ...(values.cursor ? { cursor: values.cursor } : {}) },
          },
        })
      ).data;
    }
    case 'redeliver': {
      if (!args[1]) throw new UsageError('webhooks redeliver needs WEBHOOK_ID and DELIVERY_ID');
      return (
        await client.POST('/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver', {
          params: { path: { webhook_id: id(), delivery_id: args[1] } },
        })
      ).data;
    }
    default:
      throw new UsageError(`unknown command: webhooks ${command ?? ''}`.trim());
  }
}

function render(group: string, command: string | undefined, result: any): string {
  if (group === 'event-types')
    return table([['TYPE', 'SUMMARY'], ...result.data.map((entry: any) => [entry.type, entry.summary])]);
  if (command === 'list') {
    const more = result.next_cursor ? `\n\nMore: --cursor ${result.next_cursor} (or --all)` : '';
    return `${webhookTable(result.data)}${more}`;
  }
  if (command === 'delete') return `Deleted ${result.deleted}.`;
  if (command === 'deliveries') {
    if (result.data.length === 0) return 'No delivery attempts.';
    const rows = result.data.map((attempt: components['schemas']['Delivery']) => [
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
    const more = result.next_cursor ? `\n\nMore: --cursor ${result.next_cursor} (or --all)` : '';
    return `${table([['ID', 'AT', 'TYPE', 'ATTEMPT', 'TRIGGER', 'STATUS', 'RESPONSE', 'LATENCY', 'NEXT RETRY'], ...rows])}${more}`;
  }
  if (command === 'test') {
    const { request_headers: headers, ...outcome } = result;
    return `${details(outcome)}\n\nSent with:\n${details(headers)}`;
  }
  if (command === 'redeliver') return `Queued ${result.event_id} for one more delivery to ${result.webhook_id}.`;
  const { secret, _secret_warning: warning, ...webhook } = result;
  return [details(webhook), secret ? `\nsecret  ${secret}\n${warning}` : ''].join('');
}

async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [group, command, ...args] = positionals;
  if (values.help || !group) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    const client = createPipAIClient({ ...credentials(values, env), throwOnError: true, timeoutMs: 30_000 });
    if (group === 'listen') {
      const listener = await listen({
        client,
        dataDir: resolve(env.PIPAI_DATA_DIR || '.data'),
        port: Number(values.port ?? 8443),
        events: list(values.events) ?? ['*'],
        keep: values.keep,
        json: values.json,
        log: (line) => console.log(line),
      });
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await listener.close();
      return 0;
    }
    const result = await run(client, group, command, args, values);
    console.log(values.json ? JSON.stringify(result, null, 2) : render(group, command, result));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof PipAIError) {
      console.error(error.toString());
      for (const item of error.errors) console.error(`  ${item.parameter} (${item.in}): ${item.message}`);
      return 1;
    }
    console.error(`error: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
