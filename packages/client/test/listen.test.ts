// The README's delivery walk-through, as a newcomer runs it: the server with the dev loopback setting,
// `pipai listen` (dev certificate, registers itself, verifies with the SDK), an event emitted with
// pipai-admin, and the event printed as verified. All separate processes on one data dir.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);
let dataDir: string;
let env: NodeJS.ProcessEnv;
const processes: { child: ChildProcess; output: () => string }[] = [];

function start(script: string, args: string[]) {
  const child = spawn(process.execPath, [join(REPO, script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const handle = { child, output: () => output };
  processes.push(handle);
  return handle;
}

async function waitFor(
  handle: { output: () => string },
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<RegExpMatchArray> {
  const started = Date.now();
  for (;;) {
    const match = handle.output().match(pattern);
    if (match) return match;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${pattern}:\n${handle.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'pipai-walkthrough-'));
  env = {
    ...process.env,
    PIPAI_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    PIPAI_DEV_ALLOW_LOOPBACK: '1',
    LOG_LEVEL: 'info',
  };
  delete env.DATABASE_URL;
  delete env.PIPAI_MASTER_KEY;
  delete env.NODE_EXTRA_CA_CERTS;
});
afterAll(() => {
  for (const { child } of processes) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('watching a delivery arrive', () => {
  it('pnpm start, pipai listen, pipai-admin events emit: the listener prints the verified event', async () => {
    const server = start('packages/server/src/main.ts', []);
    await waitFor(server, /PipAI API listening/);
    const listener = start('packages/client/src/cli.ts', ['listen', '--port', '0']);
    const [, url, webhookId] = (await waitFor(
      listener,
      /Listening on (https:\/\/127\.0\.0\.1:\d+\/webhook) as (wh_[0-9a-f]+)/,
    ))!;
    // The listener registered itself: the server has that webhook, at the URL it printed.
    const registered = await run(
      process.execPath,
      [join(REPO, 'packages/client/src/cli.ts'), 'webhooks', 'get', webhookId!, '--json'],
      { env },
    );
    expect(JSON.parse(registered.stdout)).toMatchObject({ id: webhookId, url, status: 'active' });

    const data = {
      strategy_id: 'stg_7d2c90e1',
      name: 'BTC mean reversion',
      version: 3,
      mode: 'live',
      exchange: 'binance',
      symbols: ['BTC-USDT'],
      deployed_at: '2026-04-29T11:58:30Z',
    };
    const { stdout } = await run(
      process.execPath,
      [
        join(REPO, 'packages/server/src/admin.ts'),
        'events',
        'emit',
        '--account',
        'dev',
        '--type',
        'strategy.deployed',
        '--data',
        JSON.stringify(data),
      ],
      { env },
    );
    const eventId = stdout.match(/^(evt_[0-9a-f]{24})\s+strategy\.deployed/m)![1]!;

    const [line] = await waitFor(listener, new RegExp(`✔ verified  strategy\\.deployed  ${eventId}  .*`));
    expect(line).toContain('"strategy_id":"stg_7d2c90e1"');

    // Ctrl-C removes the listener's webhook again.
    listener.child.kill('SIGINT');
    await new Promise((resolve) => listener.child.once('exit', resolve));
    const list = await run(process.execPath, [join(REPO, 'packages/client/src/cli.ts'), 'webhooks', 'list', '--json'], {
      env,
    });
    expect(JSON.parse(list.stdout).data.map((webhook: { id: string }) => webhook.id)).not.toContain(webhookId);
  }, 60_000);
});
