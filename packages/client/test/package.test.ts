// "The generated client imports" for a consumer who is not on our toolchain: build and pack
// @pipai/contract and @pipai/client, install the tarballs with npm into a project outside the
// workspace, typecheck a sample with TypeScript (node16 and bundler resolution), and run it on the
// machine's Node 20 against the real server; the packed CLI too, and a Vite app in Chromium.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deliveryTestVector } from '@pipai/contract/test-vectors';
import { startPrism } from '@pipai/testkit/prism';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startServer, type TestServer } from './support/server.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
// The machine's own Node (20 here); PIPAI_CONSUMER_NODE points elsewhere.
const CONSUMER_NODE =
  process.env.PIPAI_CONSUMER_NODE ?? (existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath);
const PNPM = process.env.npm_execpath;

let work: string;
let consumer: string;
let server: TestServer;
let consumerNodeVersion: string;

/** `pnpm pack` as a publisher runs it, with no build before: prepack builds dist/ from nothing. */
async function pack(packageDir: string): Promise<string> {
  rmSync(join(packageDir, 'dist'), { recursive: true, force: true });
  const [command, args] =
    PNPM?.endsWith('.js') || PNPM?.endsWith('.cjs') ? [process.execPath, [PNPM]] : [PNPM ?? 'pnpm', []];
  await run(command, [...args, 'pack', '--pack-destination', work], { cwd: packageDir });
  const name = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
    .name.replace('@', '')
    .replace('/', '-');
  return join(work, readdirSync(work).find((file) => file.startsWith(name) && file.endsWith('.tgz'))!);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pipai-pack-'));
  consumer = join(work, 'consumer');
  const contract = await pack(join(REPO, 'packages/contract'));
  const client = await pack(join(REPO, 'packages/client'));
  server = await startServer();
  consumerNodeVersion = (await run(CONSUMER_NODE, ['--version'])).stdout.trim();

  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({
      name: 'pipai-consumer',
      private: true,
      type: 'module',
      dependencies: { '@pipai/client': `file:${client}`, '@pipai/contract': `file:${contract}` },
      // The workspace's own pins; Node 20's types, since the consumer runs on Node 20.
      devDependencies: { typescript: catalog.typescript, vite: catalog.vite, '@types/node': '20.19.0' },
    }),
  );
  // The same sample under the resolution bundlers use (Vite, esbuild, webpack).
  writeFileSync(
    join(consumer, 'tsconfig.bundler.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'esnext',
        moduleResolution: 'bundler',
        strict: true,
        lib: ['es2022', 'dom'],
        types: ['node'],
        noEmit: true,
      },
      // The Node sample, and the browser app Vite bundles below (Vite itself only strips types).
      include: ['sample.ts', 'app/main.ts'],
    }),
  );
  // A frontend app as a team would build it: Vite bundles @pipai/client into one page.
  mkdirSync(join(consumer, 'app'));
  writeFileSync(
    join(consumer, 'app/index.html'),
    '<!doctype html><title>PipAI app</title><script type="module" src="./main.ts"></script>',
  );
  writeFileSync(join(consumer, 'app/main.ts'), BUNDLED_APP);
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        lib: ['es2022', 'dom'],
        outDir: 'out',
      },
      include: ['sample.ts'],
    }),
  );
  const delivery = deliveryTestVector();
  writeFileSync(
    join(consumer, 'sample.ts'),
    `import { createPipAIClient, paginate, PipAIError, verifyWebhook, type components, type WebhookEvent } from '@pipai/client';

const client = createPipAIClient({
  baseUrl: process.env.PIPAI_BASE_URL!,
  apiKey: process.env.PIPAI_API_KEY!,
  apiSecret: process.env.PIPAI_API_SECRET!,
  throwOnError: true,
});
const created = await client.POST('/v1/webhooks', { body: { url: process.env.HOOK_URL!, events: ['strategy.*'] } });
const webhook: components['schemas']['CreatedWebhook'] = created.data;
const listed: string[] = [];
for await (const item of paginate(client, '/v1/webhooks', { params: { query: { limit: 1 } } })) listed.push(item.id);
let code: string | undefined;
try {
  await client.GET('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: 'wh_00000000' } } });
} catch (error) {
  if (error instanceof PipAIError) code = error.code;
}
const event: WebhookEvent = await verifyWebhook({
  secret: ${JSON.stringify(delivery.secret)},
  headers: {
    'webhook-id': ${JSON.stringify(delivery.id)},
    'webhook-timestamp': ${JSON.stringify(delivery.timestamp)},
    'webhook-signature': ${JSON.stringify(delivery.signature)},
  },
  body: ${JSON.stringify(delivery.body)},
  toleranceSeconds: 1e10,
});
console.log(JSON.stringify({ created: webhook.id, listed, code, verified: event.type, node: process.version }));
`,
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
    cwd: consumer,
    timeout: 240_000,
  });
}, 300_000);

/** The bundled app: reads the API's address and credentials from its query string, calls it. */
const BUNDLED_APP = `import { createPipAIClient, PipAIError, type WebhookEvent } from '@pipai/client';

const query = new URLSearchParams(location.search);
const client = createPipAIClient({
  baseUrl: query.get('base')!,
  apiKey: query.get('key')!,
  apiSecret: query.get('secret')!,
  throwOnError: true,
});
async function main() {
  const types = await client.GET('/v1/webhook-event-types');
  let code: string | undefined;
  try {
    await client.GET('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: 'wh_00000000' } } });
  } catch (error) {
    if (error instanceof PipAIError) code = error.code;
  }
  const first: WebhookEvent['type'] = types.data.data[0]!.type;
  return { first, count: types.data.data.length, code };
}
(window as unknown as { result: Promise<unknown> }).result = main();
`;

/** Tool versions pinned in the workspace's catalog. */
const catalog: Record<string, string> = parseYaml(readFileSync(join(REPO, 'pnpm-workspace.yaml'), 'utf8')).catalog;

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed client in a consumer project', () => {
  it('installs from the tarballs without the workspace, built files only', () => {
    const installed = join(consumer, 'node_modules/@pipai/client');
    expect(existsSync(join(installed, 'dist/src/index.js'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules/@pipai/server'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules/@pipai/contract/dist/generated/schema.d.ts'))).toBe(true);
  });

  it('typechecks the sample against the published declarations', async () => {
    const tsc = join(consumer, 'node_modules/typescript/bin/tsc');
    // tsc prints its diagnostics on stdout: none.
    await expect(run(CONSUMER_NODE, [tsc, '-p', '.'], { cwd: consumer })).resolves.toMatchObject({ stdout: '' });
  }, 60_000);

  it("typechecks it too under moduleResolution 'bundler'", async () => {
    const tsc = join(consumer, 'node_modules/typescript/bin/tsc');
    await expect(run(CONSUMER_NODE, [tsc, '-p', 'tsconfig.bundler.json'], { cwd: consumer })).resolves.toMatchObject({
      stdout: '',
    });
  }, 60_000);

  it(`runs on the consumer's Node against the real server`, async () => {
    expect(consumerNodeVersion).toMatch(/^v(2\d|[3-9]\d)\./);
    const { stdout } = await run(CONSUMER_NODE, ['out/sample.js'], {
      cwd: consumer,
      env: {
        ...process.env,
        PIPAI_BASE_URL: server.baseUrl,
        PIPAI_API_KEY: server.credentials.api_key,
        PIPAI_API_SECRET: server.credentials.api_secret,
        HOOK_URL: server.hookUrl('consumer'),
      },
    });
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ code: 'NOT_FOUND', verified: 'strategy.deployed', node: consumerNodeVersion });
    expect(result.listed).toContain(result.created);
  }, 60_000);

  it('ships the pipai CLI as a bin that runs on that Node', async () => {
    const { stdout } = await run(CONSUMER_NODE, [join(consumer, 'node_modules/.bin/pipai'), 'event-types', '--json'], {
      env: {
        ...process.env,
        PIPAI_BASE_URL: server.baseUrl,
        PIPAI_API_KEY: server.credentials.api_key,
        PIPAI_API_SECRET: server.credentials.api_secret,
      },
    });
    expect(JSON.parse(stdout).data).toHaveLength(11);
  }, 60_000);
});

describe('the packed client in a browser', () => {
  let files: ReturnType<typeof createHttpServer>;
  let pageUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    // Serve the consumer's node_modules; an import map resolves the bare specifiers.
    const modules = join(consumer, 'node_modules');
    files = createHttpServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (path.startsWith('/app/')) {
        const file = join(consumer, 'app/dist', path.slice('/app/'.length) || 'index.html');
        if (!file.startsWith(join(consumer, 'app/dist')) || !existsSync(file)) return void res.writeHead(404).end();
        const type = file.endsWith('.html') ? 'text/html' : 'text/javascript';
        return void res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
      }
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(
          `<!doctype html><script type="importmap">${JSON.stringify({
            imports: {
              '@pipai/client': '/@pipai/client/dist/src/index.js',
              '@pipai/contract': '/@pipai/contract/dist/src/index.js',
              'openapi-fetch': '/openapi-fetch/dist/index.mjs',
            },
          })}</script>`,
        );
        return;
      }
      const file = join(modules, path);
      if (!file.startsWith(modules) || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    files?.close();
  });

  /** A page on its own origin, with every failed request or error status noted. */
  async function openPage() {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
    page.on('response', (response) => response.status() >= 400 && failed.push(response.url()));
    await page.goto(pageUrl);
    return { page, failed };
  }

  it('signs requests and verifies deliveries with Web Crypto only (no Node built-ins)', async () => {
    const { page, failed } = await openPage();
    try {
      const sample = readFileSync(join(consumer, 'sample.ts'), 'utf8');
      const verifyArgs = sample.slice(
        sample.indexOf('verifyWebhook({') + 'verifyWebhook('.length,
        sample.indexOf('});', sample.indexOf('verifyWebhook({')) + 1,
      );
      const result = await page.evaluate(`(async () => {
        const { createPipAIClient, verifyWebhook } = await import('@pipai/client');
        const seen = [];
        const client = createPipAIClient({
          baseUrl: 'https://api.pipai.example',
          apiKey: 'key_3030fbb9aa81b653',
          apiSecret: 'sk_qHXetHD_JaJAFvroIFBAzYx20whzBAUQwIByH46M',
          fetch: async (request) => {
            seen.push([request.method, request.url, request.headers.get('x-pipai-api-key'), request.headers.get('x-pipai-signature')]);
            return new Response(JSON.stringify({ data: [], next_cursor: null }), { headers: { 'content-type': 'application/json' } });
          },
        });
        const listed = await client.GET('/v1/webhooks', { params: { query: { event: 'strategy.*' } } });
        const event = await verifyWebhook(${verifyArgs});
        return { listed: listed.data, seen, verified: event.type };
      })()`);
      expect(failed).toEqual([]);
      expect(result).toMatchObject({ listed: { data: [], next_cursor: null }, verified: 'strategy.deployed' });
      const [[method, url, key, signature]] = (result as { seen: string[][] }).seen as [string[]];
      expect([method, url, key]).toEqual([
        'GET',
        'https://api.pipai.example/v1/webhooks?event=strategy.*',
        'key_3030fbb9aa81b653',
      ]);
      expect(signature).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('bundles into a Vite app whose page calls the real server, with no Node built-ins', async () => {
    const vite = join(consumer, 'node_modules/vite/bin/vite.js');
    await run(CONSUMER_NODE, [vite, 'build', 'app', '--base', './', '--logLevel', 'error'], { cwd: consumer });
    const bundled = readdirSync(join(consumer, 'app/dist/assets'));
    expect(bundled.filter((file) => file.endsWith('.js'))).toHaveLength(1);
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
    page.on(
      'response',
      (response) => response.status() >= 400 && !response.url().includes('/v1/') && failed.push(response.url()),
    );
    try {
      const query = new URLSearchParams({
        base: server.baseUrl,
        key: server.credentials.api_key,
        secret: server.credentials.api_secret,
      });
      await page.goto(`${pageUrl}app/index.html?${query}`);
      const result = await page.evaluate('window.result');
      expect(failed).toEqual([]);
      expect(result).toEqual({ first: 'strategy.deployed', count: 11, code: 'NOT_FOUND' });
    } finally {
      await page.close();
    }
  }, 120_000);

  it('calls the mock and the real server across origins (CORS) and gets the same answers', async () => {
    // The page is on another origin than either; the server allows localhost origins by default in
    // development, and Prism answers CORS for any.
    const mock = await startPrism({ mock: true });
    const { page, failed } = await openPage();
    try {
      const result = (await page.evaluate(`(async () => {
        const { createPipAIClient } = await import('@pipai/client');
        const call = async (baseUrl) => {
          const client = createPipAIClient({ baseUrl, apiKey: ${JSON.stringify(server.credentials.api_key)}, apiSecret: ${JSON.stringify(server.credentials.api_secret)} });
          const types = await client.GET('/v1/webhook-event-types');
          const listed = await client.GET('/v1/webhooks', { params: { query: { limit: 2 } } });
          return {
            types: types.data.data.map((entry) => entry.type),
            listed: Object.keys(listed.data),
            requestId: /^req_[0-9a-f]{24}$/.test(listed.response.headers.get('x-request-id') ?? ''),
            weightLimit: listed.response.headers.get('x-pipai-weight-limit') !== null,
          };
        };
        return { mock: await call(${JSON.stringify(mock.baseUrl)}), server: await call(${JSON.stringify(server.baseUrl)}) };
      })()`)) as { mock: object; server: object };
      expect(failed).toEqual([]);
      expect(result.server).toEqual(result.mock);
      // The page can read the headers the spec documents: CORS exposes them.
      expect(result.server).toMatchObject({
        types: expect.arrayContaining(['strategy.deployed']),
        requestId: true,
        weightLimit: true,
      });
    } finally {
      await page.close();
      await mock.close();
    }
  }, 60_000);
});
