// The delivery-throughput peer, in its own process: graphile-worker on the same PostgreSQL server
// (its own database), whose task sends the same signed body (Standard Webhooks headers, the server's
// signing function) with undici, keep-alive connections per origin, to the same receivers. Jobs are
// added in bulk before the runner starts, as our scenario queues its jobs before the worker starts.
// Usage: graphile-peer.ts JSON({ databaseUrl, urls, secrets, events, data, concurrency })
// Prints {"queued":N} once the jobs are in; SIGTERM stops it.
import { type AddJobsJobSpec, Logger, makeWorkerUtils, run } from 'graphile-worker';
import { Agent, request } from 'undici';
import { formatTimestamp } from '../../server/src/domain/clock.ts';
import { deliveryHeaders } from '../../server/src/domain/delivery-signing.ts';
import { newEventId } from '../../server/src/domain/ids.ts';

const config = JSON.parse(process.argv[2]!) as {
  databaseUrl: string;
  urls: string[];
  secrets: string[];
  events: number;
  data: unknown;
  concurrency: number;
};
const quiet = new Logger(() => () => {});

const utils = await makeWorkerUtils({ connectionString: config.databaseUrl, logger: quiet });
await utils.migrate();
// The same envelope our worker sends: {"id","type","created_at","data"}, one event to every webhook.
for (let first = 0; first < config.events; first += 200) {
  const specs: AddJobsJobSpec[] = [];
  for (let index = first; index < Math.min(config.events, first + 200); index += 1) {
    const id = newEventId();
    const body = JSON.stringify({
      id,
      type: 'account.api_key_rotated',
      created_at: formatTimestamp(Date.now()),
      data: config.data,
    });
    for (let webhook = 0; webhook < config.urls.length; webhook += 1)
      specs.push({ identifier: 'deliver', payload: { webhook, id, body } });
  }
  await utils.addJobs(specs);
}
await utils.release();
console.log(JSON.stringify({ queued: config.events * config.urls.length }));

// Connections per origin as our sender keeps them.
const agent = new Agent({ connections: 8, keepAliveTimeout: 30_000, connect: { rejectUnauthorized: true } });
const runner = await run({
  logger: quiet,
  noHandleSignals: true,
  taskList: {
    deliver: async (payload) => {
      const { webhook, id, body } = payload as { webhook: number; id: string; body: string };
      const response = await request(config.urls[webhook]!, {
        method: 'POST',
        headers: deliveryHeaders([config.secrets[webhook]!], id, Date.now(), body),
        body,
        dispatcher: agent,
      });
      await response.body.dump();
      if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`answered ${response.statusCode}`);
    },
  },
  // graphile-worker's documented throughput configuration: a pool of concurrency + 1 connections, a
  // local queue fetching jobs in batches, job completions and failures batched; polling as our worker's.
  preset: {
    worker: {
      connectionString: config.databaseUrl,
      concurrentJobs: config.concurrency,
      maxPoolSize: config.concurrency + 1,
      pollInterval: 250,
      localQueue: { size: 500 },
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
    },
  },
});

process.once('SIGTERM', async () => {
  await runner.stop();
  await agent.close();
  process.exit(0);
});
