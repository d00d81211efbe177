// The load generator, in its own process: autocannon with every request signed afresh (the server
// rejects a reused signature as a replay). Prints one JSON line: throughput, latency, its own CPU.
import { signature as sign, timestamps } from '@pipai/testkit/signing';
import autocannon from 'autocannon';

const config = JSON.parse(process.argv[2]!) as {
  url: string;
  path: string;
  connections: number;
  durationS: number;
  apiKey: string;
  apiSecret: string;
};

const nextTimestamp = timestamps();
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
        const timestamp = nextTimestamp();
        const signature = sign(config.apiSecret, timestamp, 'GET', config.path, '');
        return {
          ...request,
          headers: {
            ...request.headers,
            'X-PipAI-API-Key': config.apiKey,
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
