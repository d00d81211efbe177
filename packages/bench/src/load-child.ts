// The load generator, in its own process: autocannon with every request signed afresh (the server
// rejects a reused signature as a replay). Prints one JSON line: throughput, latency, its own CPU.
import { signature as sign, timestamps } from '@pipai/testkit/signing';
import autocannon from 'autocannon';

const config = JSON.parse(process.argv[2]!) as {
  url: string;
  path: string;
  connections: number;
  durationS: number;
  keys: { apiKey: string; apiSecret: string }[];
};

// Requests take the keys in turn, each with its own strictly increasing timestamps: one key's
// identical requests past 1,000 a second run their timestamps ahead of the clock, and a fast server
// would take them out of the signature window within the run.
const signers = config.keys.map((key) => ({ ...key, nextTimestamp: timestamps() }));
let turn = 0;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const result = await autocannon({
  url: config.url,
  connections: config.connections,
  duration: config.durationS,
  requests: [
    {
      method: 'GET',
      path: config.path,
      setupRequest: (request) => {
        const signer = signers[turn++ % signers.length]!;
        const timestamp = signer.nextTimestamp();
        const signature = sign(signer.apiSecret, timestamp, 'GET', config.path, '');
        return {
          ...request,
          headers: {
            ...request.headers,
            'X-PipAI-API-Key': signer.apiKey,
            'X-PipAI-Timestamp': timestamp,
            'X-PipAI-Signature': signature,
          },
        };
      },
    },
  ],
});
const cpu = process.cpuUsage(cpuBefore);
const elapsedMs = performance.now() - started;
console.log(
  JSON.stringify({
    requestsPerSec: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    statusCodes: result.statusCodeStats,
    loadCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100),
  }),
);
