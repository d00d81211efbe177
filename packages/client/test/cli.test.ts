// The pipai CLI as a user runs it: a separate process against the real server, tables and --json.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
let server: TestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startServer();
  env = {
    ...process.env,
    PIPAI_BASE_URL: server.baseUrl,
    PIPAI_API_KEY: server.credentials.api_key,
    PIPAI_API_SECRET: server.credentials.api_secret,
  };
});
afterAll(() => server.close());

function pipai(args: string[], environment = env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: environment }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

// The help as users see it; built from the command table, so a table change shows here.
const HELP = `Usage: pipai <command> [options]

Commands:
  webhooks create --url URL --events E1,E2 [--description TEXT] [--threshold DECIMAL]
  webhooks list [--status active|paused|broken] [--event TYPE] [--limit N] [--cursor C] [--all]
  webhooks get WEBHOOK_ID
  webhooks update WEBHOOK_ID [--url URL] [--events E1,E2] [--description TEXT | --clear-description]
                             [--threshold DECIMAL | --clear-threshold] [--status active|paused]
  webhooks delete WEBHOOK_ID
  webhooks rotate-secret WEBHOOK_ID [--grace SECONDS]
  webhooks test WEBHOOK_ID [--type EVENT_TYPE]
  webhooks deliveries WEBHOOK_ID [--status succeeded|failed] [--type EVENT_TYPE] [--event-id EVT]
                             [--limit N] [--cursor C] [--all]
  webhooks delivery WEBHOOK_ID DELIVERY_ID
  webhooks recover WEBHOOK_ID --since TIME [--until TIME]
  webhooks redeliver WEBHOOK_ID DELIVERY_ID
  events list [--type EVENT_TYPE] [--since TIME] [--until TIME] [--limit N] [--cursor C] [--all]
  events get EVENT_ID
  event-types                 list the event types a webhook can subscribe to
  listen [--port 8443] [--events E1,E2] [--threshold 100] [--forward-to URL] [--keep] [--print-secret]
                              a local HTTPS receiver: registers itself (with a balance_low threshold,
                              default 100, when its events take account.balance_low), prints its
                              signing secret, verifies and prints every delivery; --forward-to sends
                              each one on, as received, to your own receiver and prints its status;
                              --keep keeps the webhook and resumes it next time; --print-secret prints
                              the kept webhook's secret and exits (needs the server started with
                              PIPAI_DEV_ALLOW_LOOPBACK=1 on the same data dir, and openssl)

Options:
  --json                      print the API's JSON instead of a table
  --base-url URL              or PIPAI_BASE_URL
  --api-key KEY               or PIPAI_API_KEY
  --api-secret SECRET         or PIPAI_API_SECRET
  -h, --help                  this help (after a command: its usage)
  --version                   pipai's version

Without credentials in flags or the environment, the dev credentials that \`pnpm start\` writes to
$PIPAI_DATA_DIR/dev-credentials.json (default .data/) are used.
`;

describe('pipai webhooks', () => {
  let id: string;

  it('create prints the webhook and its secret (table), or the API JSON (--json)', async () => {
    const table = await pipai([
      'webhooks',
      'create',
      '--url',
      server.hookUrl('cli-a'),
      '--events',
      'strategy.deployed,backtest.*',
      '--description',
      'CLI',
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^id\s+wh_[0-9a-f]{6,8}$/m);
    expect(table.stdout).toMatch(/^events\s+strategy\.deployed,backtest\.\*$/m);
    expect(table.stdout).toMatch(/^secret\s+[A-Za-z0-9_-]{40}$/m);
    expect(table.stdout).toContain('Store this secret immediately');

    const json = await pipai([
      'webhooks',
      'create',
      '--url',
      server.hookUrl('cli-b'),
      '--events',
      'account.balance_low',
      '--threshold',
      '10',
      '--json',
    ]);
    expect(json.code).toBe(0);
    const created = JSON.parse(json.stdout);
    expect(created).toMatchObject({ url: server.hookUrl('cli-b'), balance_low_threshold: '10', status: 'active' });
    id = created.id;
  });

  it('list prints a table or JSON, filters, and follows cursors with --all', async () => {
    const table = await pipai(['webhooks', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+FAILURES\s+EVENTS\s+URL\s+DESCRIPTION$/);
    expect(table.stdout).toContain(id);

    const page = JSON.parse((await pipai(['webhooks', 'list', '--limit', '1', '--json'])).stdout);
    expect(page.data).toHaveLength(1);
    expect(page.next_cursor).toMatch(/^[A-Za-z0-9_-]{1,512}$/);
    const all = JSON.parse((await pipai(['webhooks', 'list', '--limit', '1', '--all', '--json'])).stdout);
    expect(all.data).toHaveLength(2);
    const filtered = JSON.parse((await pipai(['webhooks', 'list', '--event', 'account.*', '--json'])).stdout);
    expect(filtered.data.map((webhook: { id: string }) => webhook.id)).toEqual([id]);
    const paged = await pipai(['webhooks', 'list', '--limit', '1']);
    expect(paged.stdout).toMatch(/More: --cursor [A-Za-z0-9_-]+ \(or --all\)/);
  });

  it('get and update', async () => {
    expect(JSON.parse((await pipai(['webhooks', 'get', id, '--json'])).stdout).id).toBe(id);
    const updated = await pipai(['webhooks', 'update', id, '--status', 'paused', '--clear-description']);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(/^status\s+paused$/m);
    expect(updated.stdout).not.toMatch(/secret/);
  });

  it('rotate-secret, test, deliveries and redeliver', async () => {
    const rotated = await pipai(['webhooks', 'rotate-secret', id, '--grace', '60', '--json']);
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ id, secret: expect.stringMatching(/^[A-Za-z0-9_-]{40}$/) });

    const tested = await pipai(['webhooks', 'test', id, '--type', 'account.balance_low']);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/^success\s+true$/m);
    expect(tested.stdout).toMatch(/^webhook-signature\s+v1,/m);

    const log = await pipai(['webhooks', 'deliveries', id]);
    expect(log.stdout.split('\n')[0]).toMatch(
      /^ID\s+AT\s+TYPE\s+ATTEMPT\s+TRIGGER\s+STATUS\s+RESPONSE\s+LATENCY\s+NEXT RETRY$/,
    );
    expect(log.stdout).toMatch(/dlv_[0-9a-f]{24}\s+\S+\s+account\.balance_low\s+1\s+test\s+succeeded\s+200/);
    const [attempt] = JSON.parse((await pipai(['webhooks', 'deliveries', id, '--all', '--json'])).stdout).data;

    // One attempt as an HTTP exchange: the request sent, signed, then the response.
    const detail = await pipai(['webhooks', 'delivery', id, attempt.id]);
    expect(detail.code).toBe(0);
    expect(detail.stdout).toMatch(
      new RegExp(`^${attempt.id}  account\\.balance_low  ${attempt.event_id}  attempt 1 \\(test\\)  succeeded$`, 'm'),
    );
    expect(detail.stdout).toMatch(/^> POST https:\/\/\S+$/m);
    // Signed with both secrets: the rotation above left the old one in force for its grace period.
    expect(detail.stdout).toMatch(/^> webhook-signature: v1,\S+ v1,\S+$/m);
    expect(detail.stdout).toMatch(/^\{"id":"evt_[0-9a-f]{24}","type":"account\.balance_low",/m);
    expect(detail.stdout).toMatch(/^< 200$/m);
    expect(JSON.parse((await pipai(['webhooks', 'delivery', id, attempt.id, '--json'])).stdout)).toMatchObject({
      delivery: { id: attempt.id },
      request: { method: 'POST' },
    });

    const redelivered = await pipai(['webhooks', 'redeliver', id, attempt.id]);
    expect(redelivered).toMatchObject({
      code: 0,
      stdout: `Queued ${attempt.event_id} for one more delivery to ${id}.\n`,
    });

    // Only a test delivery so far: nothing was missed (a test's event is not one to recover).
    const recovered = await pipai(['webhooks', 'recover', id, '--since', '2026-01-01T00:00:00Z']);
    expect(recovered.code).toBe(0);
    expect(recovered.stdout).toMatch(new RegExp(`^${id} missed nothing between \\S+Z and \\S+Z\\.\n$`));
    expect(
      JSON.parse((await pipai(['webhooks', 'recover', id, '--since', '2026-01-01T00:00:00Z', '--json'])).stdout),
    ).toMatchObject({ webhook_id: id, queued: 0, event_ids: [], next_since: null });
    expect((await pipai(['webhooks', 'recover', id])).code).toBe(2);
  });

  it('delete', async () => {
    const deleted = await pipai(['webhooks', 'delete', id]);
    expect(deleted).toMatchObject({ code: 0, stdout: `Deleted ${id}.\n` });
  });

  it('prints API errors as CODE: detail (request_id) and exits 1', async () => {
    const missing = await pipai(['webhooks', 'get', id]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      new RegExp(`^NOT_FOUND: No webhook ${id} on this account\\. \\(req_[0-9a-f]{24}\\)$`, 'm'),
    );
    const invalid = await pipai(['webhooks', 'create', '--url', 'http://x.test/', '--events', 'nope']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^INVALID_PARAMETER: /);
    expect(invalid.stderr).toContain('  url (body): must start with https://');
    expect(invalid.stderr).toContain('  events[0] (body): must be a known event type');
  });

  it('rejects bad usage with exit code 2 and shows help', async () => {
    expect((await pipai(['webhooks', 'frobnicate'])).code).toBe(2);
    expect((await pipai(['webhooks', 'create', '--url', 'https://x.test/'])).stderr).toContain(
      'needs --url and --events',
    );
    expect((await pipai(['--nope'])).code).toBe(2);
    const help = await pipai(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: pipai');
  });

  it('prints the help built from the command table, and names the command a usage error is about', async () => {
    expect(await pipai(['--help'])).toMatchObject({ code: 0, stdout: HELP, stderr: '' });
    expect(await pipai([])).toMatchObject({ code: 2, stdout: HELP, stderr: '' });
    expect(await pipai(['webhooks', 'frobnicate'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `unknown command: webhooks frobnicate\n\n${HELP}`,
    });
    expect((await pipai(['webhooks'])).stderr).toMatch(/^unknown command: webhooks\n\nUsage: pipai/);
    expect((await pipai(['frobnicate', 'list'])).stderr).toMatch(/^unknown command: frobnicate\n\nUsage: pipai/);
    // A command's usage error shows that command's usage only.
    expect(await pipai(['webhooks', 'get'])).toMatchObject({
      code: 2,
      stderr: 'webhooks get needs a WEBHOOK_ID\n\nUsage: pipai webhooks get WEBHOOK_ID\n',
    });
    expect(await pipai(['webhooks', 'get', '--help'])).toMatchObject({
      code: 0,
      stdout: 'Usage: pipai webhooks get WEBHOOK_ID\n',
    });
    expect((await pipai(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    // --json makes errors JSON too.
    expect(await pipai(['webhooks', 'get', '--json'])).toMatchObject({
      code: 2,
      stderr: `${JSON.stringify({ error: { code: 'USAGE', detail: 'webhooks get needs a WEBHOOK_ID' } })}\n`,
    });
    const missing = await pipai(['webhooks', 'get', 'wh_00000000', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({
      error: { status: 404, code: 'NOT_FOUND', request_id: expect.stringMatching(/^req_/) },
    });
    expect((await pipai(['webhooks', 'redeliver', 'wh_00000000'])).stderr).toMatch(
      /^webhooks redeliver needs WEBHOOK_ID and DELIVERY_ID\n/,
    );
    expect((await pipai(['webhooks', 'update', 'wh_00000000'])).stderr).toMatch(
      /^webhooks update needs at least one field to change\n/,
    );
    // One parse for every command: another command's option is accepted, and ignored.
    expect((await pipai(['event-types', '--port', '1', '--keep', '--json'])).code).toBe(0);
    const { PIPAI_BASE_URL: _url, PIPAI_API_KEY: _key, PIPAI_API_SECRET: _secret, ...bare } = env;
    const nowhere = join(tmpdir(), 'pipai-cli-no-such-dir');
    expect(await pipai(['webhooks', 'list'], { ...bare, PIPAI_DATA_DIR: nowhere })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^no credentials: pass --base-url, --api-key and --api-secret, .*\n\nUsage: pipai webhooks list/,
      ),
    });
    // Some credentials but not all: what is missing, by name.
    expect(
      (await pipai(['webhooks', 'list', '--api-key', 'key_3030fbb9aa81b653'], { ...bare, PIPAI_DATA_DIR: nowhere }))
        .stderr,
    ).toMatch(
      /^incomplete credentials: missing --base-url \(or PIPAI_BASE_URL\) and --api-secret \(or PIPAI_API_SECRET\)\n/,
    );
    // A misspelt command is named before credentials are looked for.
    expect((await pipai(['webhooks', 'frobnicate'], { ...bare, PIPAI_DATA_DIR: nowhere })).stderr).toMatch(
      /^unknown command: webhooks frobnicate\n/,
    );
  });

  it('falls back to the dev credentials file that pnpm start writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipai-cli-'));
    mkdirSync(join(dir, '.data'));
    writeFileSync(
      join(dir, '.data', 'dev-credentials.json'),
      JSON.stringify({ base_url: server.baseUrl, ...server.credentials }),
    );
    const { PIPAI_BASE_URL: _url, PIPAI_API_KEY: _key, PIPAI_API_SECRET: _secret, ...bare } = env;
    const result = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, [CLI, 'event-types'], { env: bare, cwd: dir }, (error, stdout) =>
        resolve({ code: error ? 1 : 0, stdout }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^strategy\.deployed\s+A strategy was deployed/m);
  });
});
