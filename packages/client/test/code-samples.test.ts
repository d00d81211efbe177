// The docs' code samples (scripts/lib/code-samples.ts) as a reader would use them: every public
// operation's curl, TypeScript and CLI sample, run against the real server with the reader's three
// environment variables, in an order where each finds what it needs (delete last). Only the spec's
// example IDs and URL are swapped for real ones, through the same renderer; the TypeScript samples
// are typechecked with tsc --strict first. Each must succeed: curl --fail-with-body, the SDK's
// throwOnError and the CLI all exit non-zero on an error status.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import publicSpec from '@pipai/contract/openapi.json' with { type: 'json' };
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CodeSample,
  codeSamplesOf,
  type SampleRequest,
  sampleRequests,
} from '../../../scripts/lib/code-samples.ts';
import { createPipAIClient } from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';

const run = promisify(execFile);
const CLIENT_DIR = fileURLToPath(new URL('../', import.meta.url));
// Inside the package, so that `import '@pipai/client'` resolves to it by name, as it does for a reader.
const SAMPLES_DIR = join(CLIENT_DIR, '.scratch/samples');
const TSC = join(CLIENT_DIR, 'node_modules/typescript/bin/tsc');

const requests = sampleRequests(publicSpec);
// Deleting the webhook comes last; everything else in the spec's order.
const ordered = [
  ...requests.filter((r) => r.operationId !== 'deleteWebhook'),
  ...requests.filter((r) => r.operationId === 'deleteWebhook'),
];

let server: TestServer;
let env: NodeJS.ProcessEnv;
let bin: string;

beforeAll(async () => {
  server = await startServer();
  bin = mkdtempSync(join(tmpdir(), 'pipai-samples-bin-'));
  // `pipai` on PATH, as after `npm install -g @pipai/client`.
  writeFileSync(
    join(bin, 'pipai'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(CLIENT_DIR, 'src/cli.ts'))} "$@"\n`,
  );
  chmodSync(join(bin, 'pipai'), 0o755);
  env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    PIPAI_BASE_URL: server.baseUrl,
    PIPAI_API_KEY: server.credentials.api_key,
    PIPAI_API_SECRET: server.credentials.api_secret,
  };
  rmSync(SAMPLES_DIR, { recursive: true, force: true });
  mkdirSync(SAMPLES_DIR, { recursive: true });
});
afterAll(async () => {
  await server?.close();
  rmSync(SAMPLES_DIR, { recursive: true, force: true });
  if (bin) rmSync(bin, { recursive: true, force: true });
});

/** A webhook with one delivery attempt (a test delivery), and an event: what the samples' IDs name. */
async function fixtures(name: string) {
  const client = createPipAIClient({ baseUrl: server.baseUrl, ...apiCredentials(), throwOnError: true });
  const webhook = await client.POST('/v1/webhooks', { body: { url: server.hookUrl(name), events: ['strategy.*'] } });
  const test = await client.POST('/v1/webhooks/{webhook_id}/test', {
    params: { path: { webhook_id: webhook.data.id } },
    body: { type: 'strategy.deployed' },
  });
  // The events log holds what PipAI's services publish (a test delivery's event is not one of them).
  const eventId = await server.publish('strategy.deployed');
  return {
    ids: { webhook_id: webhook.data.id, delivery_id: test.data.delivery_id, event_id: eventId },
    client,
  };
}

const apiCredentials = () => ({ apiKey: server.credentials.api_key, apiSecret: server.credentials.api_secret });

/** The request with the spec's example IDs and URL replaced by real ones; nothing else changes. */
function withReal(request: SampleRequest, ids: Record<string, string>, url: string): SampleRequest {
  const pathParams = Object.fromEntries(Object.keys(request.pathParams).map((name) => [name, ids[name]!]));
  const body = request.body && 'url' in request.body ? { ...request.body, url } : request.body;
  return { ...request, pathParams, ...(body ? { body } : {}) };
}

function sampleOf(request: SampleRequest, label: CodeSample['label']): string {
  return codeSamplesOf(request).find((sample) => sample.label === label)!.source;
}

describe('the code samples', () => {
  it('cover every public operation, three ways each', () => {
    const operations = Object.values(publicSpec.paths).flatMap((item) =>
      Object.values(item as Record<string, { operationId?: string }>).map((operation) => operation.operationId),
    );
    expect(requests.map((r) => r.operationId).sort()).toEqual(operations.filter(Boolean).sort());
    for (const request of requests) {
      expect(codeSamplesOf(request).map((sample) => sample.label)).toEqual(['curl', 'TypeScript', 'CLI']);
    }
  });

  it('render nulls, unknown fields and odd strings faithfully', () => {
    const update = requests.find((r) => r.operationId === 'updateWebhook')!;
    const cleared = codeSamplesOf({ ...update, body: { description: null, balance_low_threshold: null } });
    expect(cleared.find((sample) => sample.label === 'CLI')!.source).toBe(
      'pipai webhooks update wh_2a4f10 --clear-description --clear-threshold',
    );
    // The CLI has no flag for rate_limit: no sample that quietly differs from the other two.
    expect(() => codeSamplesOf({ ...update, body: { rate_limit: 5 } })).toThrow(
      /no flag for the body field rate_limit/,
    );
    const odd = codeSamplesOf({ ...update, body: { description: "it's\na line\u2028" } });
    expect(odd.find((sample) => sample.label === 'TypeScript')!.source).toContain(
      "description: 'it\\'s\\na line\u2028'",
    );
    expect(odd.find((sample) => sample.label === 'CLI')!.source).toContain("--description 'it'\\''s\na line\u2028'");
  });

  it('reproduce the documented test vector when the curl signing steps run', async () => {
    // The curl sample's signing lines, with the description's test-vector inputs.
    const create = requests.find((r) => r.operationId === 'createWebhook')!;
    const source = sampleOf(
      { ...create, body: { url: 'https://example.com/pipai-webhook', events: ['strategy.deployed'] } },
      'curl',
    );
    const signing = source.slice(0, source.indexOf('\ncurl ')).replace(/^TS=.*$/m, 'TS=1777464000000');
    const { stdout } = await run('bash', ['-ec', `${signing}\necho "$SIG"`], {
      env: { ...process.env, PIPAI_API_SECRET: 'sk_qHXetHD_JaJAFvroIFBAzYx20whzBAUQwIByH46M' },
    });
    expect(stdout.trim()).toBe('e232c65dcedd3029b60391ceae13d2e2b23890e82927a5a014e2c76ead16e70c');
  });

  it.each(['curl', 'CLI'] as const)(
    '%s: each runs in bash against the real server and succeeds',
    async (label) => {
      const { ids, client } = await fixtures(label.toLowerCase());
      for (const request of ordered) {
        const real = withReal(request, ids, server.hookUrl(`${label.toLowerCase()}-created`));
        const { stdout } = await run('bash', ['-ec', sampleOf(real, label)], { env }).catch((error) => {
          throw new Error(`${request.operationId}: ${error.stdout}${error.stderr}`);
        });
        await expectEffect(real, client);
        // curl prints the JSON answer (none for a 204); the CLI always says what it did.
        if (label === 'CLI') expect(stdout, request.operationId).not.toBe('');
        else if (request.method !== 'DELETE') expect(JSON.parse(stdout), request.operationId).toBeTypeOf('object');
      }
      await expectDeleted(client, ids.webhook_id);
    },
    60_000,
  );

  it('TypeScript: each typechecks under tsc --strict and runs against the real server', async () => {
    const { ids, client } = await fixtures('typescript');
    for (const request of ordered) {
      const real = withReal(request, ids, server.hookUrl('typescript-created'));
      writeFileSync(join(SAMPLES_DIR, `${request.operationId}.ts`), sampleOf(real, 'TypeScript'));
    }
    writeFileSync(
      join(SAMPLES_DIR, 'tsconfig.json'),
      JSON.stringify({ extends: '../../../../tsconfig.base.json', include: ['*.ts'] }),
    );
    // tsc prints its diagnostics on stdout: none.
    await expect(run(process.execPath, [TSC, '-p', SAMPLES_DIR])).resolves.toMatchObject({ stdout: '' });
    for (const request of ordered) {
      await run(process.execPath, [join(SAMPLES_DIR, `${request.operationId}.ts`)], { env }).catch((error) => {
        throw new Error(`${request.operationId}: ${error.stdout}${error.stderr}`);
      });
      await expectEffect(withReal(request, ids, server.hookUrl('typescript-created')), client);
    }
    await expectDeleted(client, ids.webhook_id);
  }, 120_000);
});

/** A sample that writes did what its request says: the webhook it created or changed holds the body. */
async function expectEffect(request: SampleRequest, client: ReturnType<typeof createPipAIClient>) {
  if (request.operationId === 'createWebhook') {
    const { data } = await client.GET('/v1/webhooks', { params: { query: { limit: 100 } } });
    expect(data!.data.find((webhook) => webhook.url === request.body!.url)).toMatchObject(request.body!);
  }
  if (request.operationId === 'updateWebhook') {
    const { data } = await client.GET('/v1/webhooks/{webhook_id}', {
      params: { path: { webhook_id: request.pathParams.webhook_id! } },
    });
    expect(data).toMatchObject(request.body!);
  }
}

/** The delete sample, run last, did delete: the webhook is gone. */
async function expectDeleted(client: ReturnType<typeof createPipAIClient>, webhookId: string) {
  await expect(
    client.GET('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: webhookId } } }),
  ).rejects.toMatchObject({ code: 'NOT_FOUND' });
}
