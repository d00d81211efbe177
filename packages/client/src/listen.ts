// `pipai listen`: a local HTTPS receiver for development. It registers itself as a webhook, verifies
// every delivery with the SDK's verifyWebhook, prints it, and removes the webhook when stopped.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { components } from '@pipai/contract';
import type { PipAIClient } from './client.ts';
import { devCertificate } from './dev-tls.ts';
import { verifyWebhook, WebhookVerificationError } from './verify.ts';

export interface ListenOptions {
  client: PipAIClient;
  dataDir: string;
  port: number;
  events: string[];
  keep: boolean;
  json: boolean;
  log: (line: string) => void;
}

export async function listen(options: ListenOptions): Promise<{ close(): Promise<void> }> {
  const certificate = devCertificate(options.dataDir);
  let secret = '';
  const server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const event = await verifyWebhook({ secret, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
        options.log(
          options.json
            ? JSON.stringify(event)
            : `✔ verified  ${event.type}  ${event.id}  ${JSON.stringify(event.data)}`,
        );
      } catch (error) {
        const reason = error instanceof WebhookVerificationError ? error.message : 'body is not JSON';
        res.writeHead(400, { 'content-type': 'text/plain' }).end(reason);
        options.log(`✘ rejected  ${reason}`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  const created = await options.client.POST('/v1/webhooks', {
    body: { url, events: options.events as components['schemas']['EventSubscriptions'], description: 'pipai listen' },
  });
  const webhook = created.data!;
  secret = webhook.secret;
  options.log(
    `Listening on ${url} as ${webhook.id} (events: ${options.events.join(',')}). Waiting for deliveries; Ctrl-C to stop.`,
  );
  return {
    async close() {
      if (!options.keep)
        await options.client.DELETE('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: webhook.id } } });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
