// `pipai listen`: a local HTTPS receiver for development. It registers itself as a webhook (or, with
// `keep`, resumes the webhook it kept last time), verifies every delivery with the SDK's
// verifyWebhook, prints it, optionally forwards it as received to the user's own receiver, and
// removes the webhook when stopped unless kept.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type components, matchesEvent } from '@pipai/contract';
import type { PipAIClient } from './client.ts';
import { devCertificate } from './dev-tls.ts';
import { PipAIError } from './errors.ts';
import { verifyWebhook, WebhookVerificationError } from './verify.ts';

type EventSubscriptions = components['schemas']['EventSubscriptions'];

export interface ListenOptions {
  client: PipAIClient;
  dataDir: string;
  port: number;
  events: string[];
  /** The webhook's balance_low_threshold, when its events take account.balance_low. */
  threshold: string;
  /** Keep the webhook when stopped, and resume it (same id and secret) on the next run. */
  keep: boolean;
  /** Forward each delivery, as received, to this URL, and answer with its response. */
  forwardTo?: string | undefined;
  json: boolean;
  log: (line: string) => void;
}

export interface Listener {
  close(): Promise<void>;
}

/** Registration failed: the listener has stopped and says why in one line. */
export class ListenError extends Error {}

/** The webhook a `--keep` run left registered, and its secret (a file only this user can read). */
interface KeptWebhook {
  id: string;
  secret: string;
}

const keptFile = (dataDir: string) => join(dataDir, 'listen-webhook.json');

function readKept(dataDir: string): KeptWebhook | undefined {
  if (!existsSync(keptFile(dataDir))) return undefined;
  try {
    const kept = JSON.parse(readFileSync(keptFile(dataDir), 'utf8')) as Partial<KeptWebhook>;
    return typeof kept.id === 'string' && typeof kept.secret === 'string'
      ? { id: kept.id, secret: kept.secret }
      : undefined;
  } catch {
    return undefined;
  }
}

function writeKept(dataDir: string, kept: KeptWebhook): void {
  writeFileSync(keptFile(dataDir), `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
  chmodSync(keptFile(dataDir), 0o600);
}

/**
 * Headers that describe one hop, not the delivery (RFC 9110, section 7.6.1, and the framing ones):
 * the forwarding request sets its own. So are the headers its Connection header names.
 */
const HOP_HEADERS = [
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'expect',
];

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_HEADERS.includes(name) || named.includes(name)) continue;
    result[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/** As long as PipAI waits for an endpoint. */
const FORWARD_TIMEOUT_MS = 15_000;

/** The secret a `--keep` run left, for `--print-secret`; a clear error when there is none. */
export function keptSecret(dataDir: string): string {
  const kept = readKept(dataDir);
  if (!kept) {
    throw new ListenError(
      `no kept listener webhook in ${keptFile(dataDir)}: run \`pipai listen --keep\` once, then --print-secret`,
    );
  }
  return kept.secret;
}

export async function listen(options: ListenOptions): Promise<Listener> {
  const certificate = devCertificate(options.dataDir);
  let secret = '';
  const server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      try {
        const event = await verifyWebhook({ secret, headers: req.headers, body });
        options.log(
          options.json
            ? JSON.stringify(event)
            : `✔ verified  ${event.type}  ${event.id}  ${JSON.stringify(event.data)}`,
        );
      } catch (error) {
        const reason = error instanceof WebhookVerificationError ? error.message : 'body is not JSON';
        options.log(`✘ rejected  ${reason}`);
        if (!options.forwardTo) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(reason);
          return;
        }
      }
      if (!options.forwardTo) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
        return;
      }
      // As received: same headers, same bytes, so the user's receiver verifies exactly what PipAI signed.
      const started = performance.now();
      try {
        // Like a delivery: redirects are answers, not followed; no answer in time is a failure.
        const forwarded = await fetch(options.forwardTo, {
          method: 'POST',
          headers: forwardedHeaders(req.headers),
          body: raw,
          redirect: 'manual',
          signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
        });
        const answer = Buffer.from(await forwarded.arrayBuffer());
        const ms = Math.round(performance.now() - started);
        options.log(`→ forwarded  ${options.forwardTo}  ${forwarded.status}  ${ms} ms`);
        res
          .writeHead(forwarded.status, {
            'content-type': forwarded.headers.get('content-type') ?? 'application/octet-stream',
          })
          .end(answer);
      } catch (error) {
        const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
        options.log(`→ forwarding to ${options.forwardTo} failed: ${reason}`);
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`forwarding failed: ${reason}`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  let webhook: KeptWebhook;
  try {
    webhook = await register(options, url);
  } catch (error) {
    await stop();
    throw new ListenError(`pipai listen could not register its webhook: ${describe(error)}`);
  }
  secret = webhook.secret;
  if (options.keep) writeKept(options.dataDir, webhook);
  options.log(
    `Listening on ${url} as ${webhook.id} (events: ${options.events.join(',')}). Waiting for deliveries; Ctrl-C to stop.`,
  );
  options.log(`Signing secret: ${webhook.secret}`);
  if (options.forwardTo) options.log(`Forwarding every delivery, as received, to ${options.forwardTo}`);
  return {
    async close() {
      if (!options.keep)
        await options.client.DELETE('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: webhook.id } } });
      await stop();
    },
  };
}

/** The kept webhook, pointed at this run's URL and events; else a new one. */
async function register(options: ListenOptions, url: string): Promise<KeptWebhook> {
  const events = options.events as EventSubscriptions;
  // A threshold lets balance reports reach the listener (`pipai-admin events balance`).
  const threshold = options.events.some((pattern) => matchesEvent(pattern, 'account.balance_low'))
    ? { balance_low_threshold: options.threshold }
    : {};
  const kept = options.keep ? readKept(options.dataDir) : undefined;
  if (kept) {
    try {
      const resumed = await options.client.PATCH('/v1/webhooks/{webhook_id}', {
        params: { path: { webhook_id: kept.id } },
        body: { url, events, status: 'active', ...threshold },
      });
      if (resumed.response.ok) return kept;
      if (resumed.response.status !== 404) throw await PipAIError.fromResponse(resumed.response);
    } catch (error) {
      if (!(error instanceof PipAIError && error.status === 404)) throw error;
    }
    // Deleted since: register afresh.
  }
  const created = await options.client.POST('/v1/webhooks', {
    body: { url, events, description: 'pipai listen', ...threshold },
  });
  if (!created.data) throw await PipAIError.fromResponse(created.response);
  return { id: created.data.id, secret: created.data.secret };
}

function describe(error: unknown): string {
  if (error instanceof PipAIError) {
    const details = error.errors.map((item) => `${item.parameter}: ${item.message}`).join('; ');
    return `${error.toString()}${details ? ` (${details})` : ''}`;
  }
  const cause = (error as Error & { cause?: Error }).cause;
  return cause ? `${(error as Error).message} (${cause.message})` : (error as Error).message;
}
