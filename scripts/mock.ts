// `pnpm mock`: the public API served by Prism from the bundled spec, for frontend teams.
//   --port N (or MOCK_PORT; default 4010)   --dynamic   generate responses from the schemas
// Static mode answers with the spec's examples (a bad request gets its operation's own 400
// example); `Prefer: code=409` or `Prefer: example=rateLimited` picks a documented one. Requests are validated and signed-request headers required, like the
// server; CORS is open so a browser app on another port can call it.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/redocly.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', short: 'p' },
    dynamic: { type: 'boolean', short: 'd', default: false },
    host: { type: 'string' },
  },
});
const prism = createRequire(import.meta.url).resolve('@stoplight/prism-cli/dist/index.js');
const args = [
  prism,
  'mock',
  join(REPO_ROOT, 'packages/contract/generated/openapi.json'),
  '--host',
  values.host ?? '0.0.0.0',
  '--port',
  values.port ?? process.env.MOCK_PORT ?? '4010',
  ...(values.dynamic ? ['--dynamic'] : []),
];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
