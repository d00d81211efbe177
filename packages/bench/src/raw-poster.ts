// The delivery-throughput baseline, in its own process: undici posting the same bodies to the same
// receivers with the same concurrency, no signing, no store, no bookkeeping.
// Usage: raw-poster.ts JSON({ urls, total, concurrency, body })
import { Agent, request } from 'undici';

const { urls, total, concurrency, body } = JSON.parse(process.argv[2]!) as {
  urls: string[];
  total: number;
  concurrency: number;
  body: string;
};
const agent = new Agent({ connections: 8, keepAliveTimeout: 30_000, connect: { rejectUnauthorized: true } });
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let index = next++; index < total; index = next++) {
      const response = await request(urls[index % urls.length]!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        dispatcher: agent,
      });
      await response.body.dump();
    }
  }),
);
console.log(JSON.stringify({ total, wallMs: performance.now() - started }));
await agent.close();
