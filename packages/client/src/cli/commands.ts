// The pipai command table: every command, in the order help lists them.
import { resolve } from 'node:path';
import { UsageError } from '@pipai/contract/command-table';
import { keptSecret, listen } from '../listen.ts';
import { command } from './context.ts';
import { EVENT_COMMANDS } from './events.ts';
import { commaList, table } from './text.ts';
import { WEBHOOK_COMMANDS } from './webhooks.ts';

export const COMMANDS = [
  ...WEBHOOK_COMMANDS,
  ...EVENT_COMMANDS,
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
    usage: ['[--port 8443] [--events E1,E2] [--threshold 100] [--forward-to URL] [--keep] [--print-secret]'],
    summary: [
      'a local HTTPS receiver: registers itself (with a balance_low threshold,',
      'default 100, when its events take account.balance_low), prints its',
      'signing secret, verifies and prints every delivery; --forward-to sends',
      'each one on, as received, to your own receiver and prints its status;',
      '--keep keeps the webhook and resumes it next time; --print-secret prints',
      "the kept webhook's secret and exits (needs the server started with",
      'PIPAI_DEV_ALLOW_LOOPBACK=1 on the same data dir, and openssl)',
    ],
    options: {
      port: { type: 'string' },
      events: { type: 'string' },
      threshold: { type: 'string' },
      'forward-to': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'print-secret': { type: 'boolean', default: false },
    },
    // Prints each delivery as it arrives (no render), until Ctrl-C; then removes its webhook unless kept.
    async run({ client, values, env }) {
      const forwardTo = values['forward-to'];
      if (forwardTo !== undefined && !/^https?:\/\/[^/]/.test(forwardTo)) {
        throw new UsageError('listen: --forward-to takes an http:// or https:// URL');
      }
      const dataDir = resolve(env.PIPAI_DATA_DIR || '.data');
      // Only what the kept webhook's secret is: no receiver started, nothing registered or changed.
      if (values['print-secret']) {
        console.log(keptSecret(dataDir));
        return;
      }
      const listener = await listen({
        client,
        dataDir,
        port: Number(values.port ?? 8443),
        events: commaList(values.events) ?? ['*'],
        threshold: values.threshold ?? '100',
        keep: values.keep,
        forwardTo,
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
