// The pipai command table: every command, in the order help lists them.
import { resolve } from 'node:path';
import { listen } from '../listen.ts';
import { command } from './context.ts';
import { commaList, table } from './text.ts';
import { WEBHOOK_COMMANDS } from './webhooks.ts';

export const COMMANDS = [
  ...WEBHOOK_COMMANDS,
  command({
    name: 'event-types',
    usage: [],
    summary: ['list the event types a webhook can subscribe to'],
    options: {},
    run: async ({ client }) => (await client.GET('/v1/webhook-event-types')).data,
    render: (result) => table([['TYPE', 'SUMMARY'], ...result.data.map((entry) => [entry.type, entry.summary])]),
  }),
  command({
    name: 'listen',
    usage: ['[--port 8443] [--events E1,E2] [--keep]'],
    summary: [
      'a local HTTPS receiver: registers itself, verifies and prints every',
      'delivery (needs the server started with PIPAI_DEV_ALLOW_LOOPBACK=1',
      'on the same data dir, and openssl)',
    ],
    options: { port: { type: 'string' }, events: { type: 'string' }, keep: { type: 'boolean', default: false } },
    // Prints each delivery as it arrives (no render), until Ctrl-C; then removes its webhook.
    async run({ client, values, env }) {
      const listener = await listen({
        client,
        dataDir: resolve(env.PIPAI_DATA_DIR || '.data'),
        port: Number(values.port ?? 8443),
        events: commaList(values.events) ?? ['*'],
        keep: values.keep,
        json: values.json,
        log: (line) => console.log(line),
      });
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await listener.close();
    },
  }),
];
