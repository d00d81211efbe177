// The README's delivery walk-through, as a newcomer runs it: the server with the dev loopback setting,
// `pipai listen` (dev certificate, registers itself, verifies with the SDK), an event emitted with
// pipai-admin, and the event printed as verified. All separate processes on one data dir.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventCatalog } from '@pipai/contract';
import { Webhook } from 'standardwebhooks';
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

let server: ReturnType<typeof start> | undefined;

/** One server for the file: the CLI finds it through the dev credentials its first start wrote. */
async function startServer(): Promise<void> {
  if (server) return;
  server = start('packages/server/src/main.ts', []);
  await waitFor(server, /PipAI API listening/);
}

const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [join(REPO, 'packages/client/src/cli.ts'), ...args], { env: { ...env, ...extraEnv } });

const emit = (type: string, data: object) =>
  run(
    process.execPath,
    [
      join(REPO, 'packages/server/src/admin.ts'),
      'events',
      'emit',
      '--account',
      'dev',
      '--type',
      type,
      '--data',
      JSON.stringify(data),
    ],
    { env },
  );

const DEPLOYED = {
  strategy_id: 'stg_7d2c90e1',
  name: 'BTC mean reversion',
  version: 3,
  mode: 'live',
  exchange: 'binance',
  symbols: ['BTC-USDT'],
  deployed_at: '2026-04-29T11:58:30Z',
};

describe('watching a delivery arrive', () => {
  it('pnpm start, pipai listen, pipai-admin events emit: the listener prints the verified event', async () => {
    await startServer();
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

    const { stdout } = await emit('strategy.deployed', DEPLOYED);
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

  it('--forward-to sends each delivery on as received; the receiver verifies it with standardwebhooks', async () => {
    await startServer();
    const received: { headers: Record<string, string>; body: string; verified: unknown }[] = [];
    let secret = '';
    let redirecting = false;
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = req.headers as Record<string, string>;
        if (redirecting) {
          res.writeHead(307, { location: '/elsewhere' }).end();
          return;
        }
        try {
          const verified = new Webhook(`whsec_${Buffer.from(secret, 'base64url').toString('base64')}`).verify(
            body,
            headers,
          );
          received.push({ headers, body, verified });
          res.writeHead(202, { 'content-type': 'text/plain' }).end('taken');
        } catch (error) {
          res.writeHead(401, { 'content-type': 'text/plain' }).end((error as Error).message);
        }
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    try {
      const listener = start('packages/client/src/cli.ts', [
        'listen',
        '--port',
        '0',
        '--events',
        'strategy.deployed',
        '--forward-to',
        receiverUrl,
      ]);
      const [, webhookId] = (await waitFor(listener, /as (wh_[0-9a-f]+) \(events: strategy\.deployed\)/))!;
      secret = (await waitFor(listener, /Signing secret: (\S+)/))[1]!;
      const { stdout } = await emit('strategy.deployed', DEPLOYED);
      const eventId = stdout.match(/^(evt_[0-9a-f]{24})\s+strategy\.deployed/m)![1]!;
      await waitFor(listener, new RegExp(`→ forwarded  ${receiverUrl.replace(/[.]/g, '\\.')}  202  \\d+ ms`));
      expect(received).toHaveLength(1);
      expect(received[0]!.headers['webhook-id']).toBe(eventId);
      expect(received[0]!.verified).toMatchObject({ id: eventId, type: 'strategy.deployed', data: DEPLOYED });
      // A redirect is the receiver's answer, as for a real delivery: not followed.
      redirecting = true;
      await emit('strategy.deployed', { ...DEPLOYED, version: 5 });
      await waitFor(listener, /→ forwarded {2}\S+ {2}307 {2}\d+ ms/);
      expect(received).toHaveLength(1);
      redirecting = false;
      // PipAI was answered with the receiver's status: the delivery log shows it.
      const deliveries = JSON.parse((await cli(['webhooks', 'deliveries', webhookId!, '--json'])).stdout);
      expect(deliveries.data.find((attempt: { event_id: string }) => attempt.event_id === eventId)).toMatchObject({
        status: 'succeeded',
        response_status: 202,
      });
      expect(deliveries.data[0]).toMatchObject({ status: 'failed', response_status: 307 });
      listener.child.kill('SIGINT');
      await new Promise((resolve) => listener.child.once('exit', resolve));
    } finally {
      receiver.close();
    }
  }, 60_000);

  it('exits 1 with one line when it cannot register, and stops listening', async () => {
    await startServer();
    // A server that is not there: the listener must not linger with a webhook it never got.
    const refused = await cli(['listen', '--port', '0'], { PIPAI_BASE_URL: 'http://127.0.0.1:9' }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused?.stderr).toMatch(/^error: pipai listen could not register its webhook: fetch failed/);
    // Nothing kept yet: --print-secret says so, and starts nothing.
    const nothingKept = await cli(['listen', '--print-secret']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(nothingKept).toMatchObject({ code: 1 });
    expect((nothingKept as { stderr: string }).stderr).toMatch(
      /^error: no kept listener webhook in \S+listen-webhook\.json: /,
    );
  }, 30_000);

  it('--keep resumes the same webhook and secret on the next run; --print-secret prints that secret', async () => {
    await startServer();
    const first = start('packages/client/src/cli.ts', ['listen', '--port', '0', '--keep']);
    const [, webhookId] = (await waitFor(first, /as (wh_[0-9a-f]+) /))!;
    const secret = (await waitFor(first, /Signing secret: (\S+)/))[1]!;
    first.child.kill('SIGINT');
    await new Promise((resolve) => first.child.once('exit', resolve));

    // The second run listens on another port: the kept webhook follows it, same id, same secret.
    const second = start('packages/client/src/cli.ts', ['listen', '--port', '0', '--keep']);
    const [, url, resumedId] = (await waitFor(second, /Listening on (\S+) as (wh_[0-9a-f]+) /))!;
    expect(resumedId).toBe(webhookId);
    expect((await waitFor(second, /Signing secret: (\S+)/))[1]).toBe(secret);
    expect(JSON.parse((await cli(['webhooks', 'get', webhookId!, '--json'])).stdout)).toMatchObject({ url });
    second.child.kill('SIGINT');
    await new Promise((resolve) => second.child.once('exit', resolve));

    const printed = await cli(['listen', '--port', '0', '--print-secret']);
    expect(printed.stdout).toBe(`${secret}\n`);
    expect(JSON.parse((await cli(['webhooks', 'get', webhookId!, '--json'])).stdout)).toMatchObject({
      status: 'active',
    });
  }, 60_000);

  it("events trigger publishes each of the 11 types with the spec's example payload; events balance reaches the listener", async () => {
    await startServer();
    const listener = start('packages/client/src/cli.ts', ['listen', '--port', '0']);
    await waitFor(listener, /Signing secret: /);
    const admin = (args: string[]) =>
      run(process.execPath, [join(REPO, 'packages/server/src/admin.ts'), ...args], { env });
    for (const { type } of eventCatalog) {
      const overrides = type === 'strategy.deployed' ? ['--set', 'version=4', '--set', 'symbols[0]=ETH-USDT'] : [];
      const { stdout } = await admin(['events', 'trigger', type, ...overrides, '--json']);
      const [published] = JSON.parse(stdout).events;
      expect(published).toMatchObject({ type });
      // The listener verified it: the payload the spec documents, with the overrides applied.
      const [line] = await waitFor(
        listener,
        new RegExp(`✔ verified  ${type.replace('.', '\\.')}  ${published.id}  (.*)`),
      );
      if (type === 'strategy.deployed') expect(line).toContain('"version":4,');
      if (type === 'strategy.deployed') expect(line).toContain('"symbols":["ETH-USDT"]');
    }
    // A balance below the listener's threshold (100 by default) fires account.balance_low end to end.
    const { stdout } = await admin(['events', 'balance', '--account', 'dev', '--asset', 'USDT', '--available', '5']);
    // One account.balance_low per webhook whose threshold it crosses (an earlier test kept one).
    const published = [...stdout.matchAll(/^(evt_[0-9a-f]{24})\s+account\.balance_low/gm)].map((match) => match[1]);
    const [, received] = (await waitFor(
      listener,
      /✔ verified {2}account\.balance_low {2}(evt_[0-9a-f]{24}) .*"available":"5"/,
    ))!;
    expect(published).toContain(received);
    // The account's events, as pipai lists them, and one with its delivery to the listener.
    const deployedId = (
      await waitFor(listener, /✔ verified {2}strategy\.deployed {2}(evt_[0-9a-f]{24}) .*"version":4/)
    )[1]!;
    const listed = JSON.parse((await cli(['events', 'list', '--type', 'strategy.deployed', '--all', '--json'])).stdout);
    expect(listed.data.map((event: { id: string }) => event.id)).toContain(deployedId);
    const shown = await cli(['events', 'get', deployedId]);
    expect(shown.stdout).toMatch(new RegExp(`^${deployedId}  strategy\\.deployed  `));
    expect(shown.stdout).toMatch(/^wh_[0-9a-f]+\s+1\s+no\s+succeeded 200\s+dlv_[0-9a-f]{24}$/m);

    const unknown = await admin(['events', 'trigger', 'strategy.nope']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(unknown).toMatchObject({ code: 2 });
    expect((unknown as { stderr: string }).stderr).toMatch(
      /^unknown event type: strategy\.nope\. Known types: strategy\.deployed, /,
    );
    listener.child.kill('SIGINT');
    await new Promise((resolve) => listener.child.once('exit', resolve));
  }, 90_000);

  it('after a restart on another port, the dev credentials name it and the CLI finds the server', async () => {
    await startServer();
    const before = JSON.parse(readFileSync(join(dataDir, 'dev-credentials.json'), 'utf8'));
    server!.child.kill('SIGTERM');
    await new Promise((resolve) => server!.child.once('exit', resolve));
    // PORT=0: the new server gets another free port.
    server = start('packages/server/src/main.ts', []);
    await waitFor(server, /PipAI API listening/);
    const [, port] = (await waitFor(server, /"url":"http:\/\/localhost:(\d+)"/))!;
    const after = JSON.parse(readFileSync(join(dataDir, 'dev-credentials.json'), 'utf8'));
    expect(after).toEqual({ ...before, base_url: `http://localhost:${port}` });
    expect(statSync(join(dataDir, 'dev-credentials.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse((await cli(['webhooks', 'list', '--json'])).stdout)).toHaveProperty('data');
  }, 60_000);
});
