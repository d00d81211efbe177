// The public docs site, built as `pnpm run docs` builds it, opened in headless Chromium with every
// request off this machine blocked: all public operations and event types show; nothing internal does.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInternalSpec, loadPublicSpec, operationsOf, REPO_ROOT } from './support.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT_DIR = join(REPO_ROOT, '.output/test');

let workDir: string;
let browser: Browser;
let page: Page;
const externalRequests: string[] = [];
const MENU_ITEM = '[data-component-name="Menu/MenuItem"]';
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Opens a sidebar group, then its entry `title` (shown with its method), as a reader would, and
 * returns the text of the section heading that this scrolled to the top of the page.
 */
async function openEntry(group: string, title: string): Promise<string | undefined> {
  const item = page
    .locator(MENU_ITEM)
    .filter({ hasText: new RegExp(`^${escapeRegExp(title)}(get|post|patch|delete)$`) });
  if (!(await item.first().isVisible())) {
    await page
      .locator(MENU_ITEM)
      .filter({ hasText: new RegExp(`^${escapeRegExp(group)}$`) })
      .first()
      .click();
  }
  await item.first().click();
  const headingAtTop = () =>
    page.evaluate((wanted) => {
      const headings = [...document.querySelectorAll('h1, h2')].filter((h) => h.textContent?.startsWith(wanted));
      return headings.find((h) => Math.abs(h.getBoundingClientRect().top) < 200)?.textContent ?? undefined;
    }, title);
  await expect.poll(headingAtTop, { timeout: 5_000 }).toBeDefined();
  return headingAtTop();
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'pipai-docs-'));
  const output = join(workDir, 'index.html');
  await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'scripts/docs.ts'), '--output', output], {
    cwd: REPO_ROOT,
  });

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // No network: anything that is not the file itself (or inline data) is recorded and refused.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file://') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    externalRequests.push(url);
    return route.abort('internetdisconnected');
  });
  await page.goto(`file://${output}`, { waitUntil: 'load' });
  // The inlined Redoc bundle hydrates the prerendered page; the sidebar menu is interactive then.
  await page.locator(MENU_ITEM).first().waitFor({ timeout: 20_000 });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the docs site', () => {
  it('makes no network request at all (not even for a logo)', () => {
    expect(externalRequests).toEqual([]);
  });

  it('shows the Authentication section with its test vector', async () => {
    // What a reader sees (innerText), not every text node: hidden templates must not count.
    // biome-ignore lint/performance/useDomNodeTextContent: rendered text is what this asserts on
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain('Authentication');
    expect(text).toContain('e232c65dcedd3029b60391ceae13d2e2b23890e82927a5a014e2c76ead16e70c');
  });

  it('shows every public operation, with its method and path', async () => {
    const operations = operationsOf(loadPublicSpec());
    expect(operations).toHaveLength(14);
    for (const { path, method, operation } of operations) {
      expect(await openEntry(operation.tags[0], operation.summary), `${method} ${path}`).toBe(operation.summary);
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText(), the text a reader sees
      expect(await page.locator('body').innerText()).toContain(path);
    }
  });

  it('shows every event type', async () => {
    const spec = loadPublicSpec();
    for (const [type, item] of Object.entries<any>(spec.webhooks)) {
      // Redoc labels webhook sections with a "Webhook" badge after the name.
      expect(await openEntry(item.post.tags[0], type)).toMatch(new RegExp(`^${escapeRegExp(type)}(Webhook)?$`));
    }
  });

  it('renders each request body once, with exactly the required fields (no "One of" alternatives)', async () => {
    const spec = loadPublicSpec();
    const bodyOf = (operationId: string) =>
      operationsOf(spec).find(({ operation }) => operation.operationId === operationId)!;
    for (const [operationId, required] of [
      ['createWebhook', ['url', 'events']],
      ['updateWebhook', []],
    ] as const) {
      const { operation, path, method } = bodyOf(operationId);
      await openEntry(operation.tags[0], operation.summary);
      const section = page.locator(`[id$="/${operationId.toLowerCase()}"]`).first();
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText(), the text a reader sees
      const text = await section.innerText();
      const body = text.slice(text.indexOf('Body\napplication/json'), text.indexOf(`${method.toUpperCase()}\n${path}`));
      expect(body, operationId).not.toMatch(/One of|case 1/);
      // A field's header runs from its name to the first blank line; "required" there marks it.
      const schema =
        spec.components.schemas[operationId === 'createWebhook' ? 'CreateWebhookRequest' : 'UpdateWebhookRequest'];
      const shown = Object.keys(schema.properties).filter((field) => {
        const start = body.indexOf(`\n${field}\n`);
        expect(start, `${operationId}: ${field}`).toBeGreaterThan(-1);
        return body.slice(start, body.indexOf('\n\n', start)).includes('\nrequired');
      });
      expect(shown, operationId).toEqual(required);
    }
  });

  it('shows curl, TypeScript and CLI samples beside an operation', async () => {
    const create = operationsOf(loadPublicSpec()).find(({ operation }) => operation.operationId === 'createWebhook')!;
    await openEntry(create.operation.tags[0], create.operation.summary);
    const section = page.locator('[id$="/createwebhook"]').first();
    // The right panel's language menu (the other menu button is the method and path).
    const languages = () =>
      section
        .locator('button[aria-haspopup=menu]')
        .filter({ hasNotText: /\/v1\// })
        .first();
    for (const [label, expected] of [
      ['curl', 'openssl dgst -sha256 -hmac "$PIPAI_API_SECRET"'],
      ['TypeScript', "await pipai.POST('/v1/webhooks'"],
      ['CLI', 'pipai webhooks create --url https://example.com/pipai-webhook'],
    ]) {
      await languages().click();
      await page
        .locator('[role=menuitem]')
        .filter({ hasText: new RegExp(`^${label}$`) })
        .first()
        .click();
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText(), the text a reader sees
      await expect.poll(() => section.innerText(), { timeout: 5_000 }).toContain(expected);
    }
  });

  it('has a Payload format section with every event type and its named schema', async () => {
    const spec = loadPublicSpec();
    await page
      .locator(MENU_ITEM)
      .filter({ hasText: /^Payload format$/ })
      .first()
      .click();
    const types = Object.keys(spec.webhooks);
    for (const [type, item] of Object.entries<any>(spec.webhooks)) {
      const heading = page.locator(`[id="section/payload-format/${type}"]`);
      await heading.scrollIntoViewIfNeeded();
      const named = item.post.requestBody.content['application/json'].schema.$ref.split('/').pop();
      const data = spec.components.schemas[named].properties.data.$ref.split('/').pop();
      // The schema renders lazily, once in view: its data fields, under the named payload schema,
      // between this entry's heading and the next one's.
      const next = types[types.indexOf(type) + 1];
      const sectionText = async () => {
        await heading.scrollIntoViewIfNeeded();
        // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText(), the text a reader sees
        const text = await page.locator('body').innerText();
        const start = text.indexOf(`\n${type}\n\n`, text.indexOf('Payload format\n\nEvery delivery'));
        return text.slice(start, next ? text.indexOf(`\n${next}\n\n`, start) : undefined);
      };
      const fields = Object.keys(spec.components.schemas[data].properties).map((field) => `data.\u200b${field}`);
      const missing = async () => {
        const text = await sectionText();
        return [`(${data})`, ...fields].filter((wanted) => !text.includes(wanted));
      };
      await expect.poll(missing, { timeout: 5_000, message: type }).toEqual([]);
    }
  });

  it('does not show the internal operations', async () => {
    const internal = operationsOf(loadInternalSpec()).filter(({ operation }) => operation['x-internal']);
    expect(internal.map(({ operation }) => operation.summary)).toEqual([
      'Publish Event (internal)',
      'Report Balance (internal)',
    ]);
    const menu = (await page.locator(MENU_ITEM).allTextContents()).join('\n');
    expect(menu).toContain('Event types');
    expect(menu).not.toContain('Internal');
    const html = await page.content();
    for (const { path, operation } of internal) {
      for (const hidden of [operation.summary, path, operation.operationId]) expect(html, hidden).not.toContain(hidden);
    }
    expect(html).not.toContain('InternalToken');
  });

  it('made no network request through all of the above either (menus, samples, scrolling)', () => {
    expect(externalRequests).toEqual([]);
  });

  it('is saved as a screenshot', async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    const file = join(SCREENSHOT_DIR, 'docs.png');
    const image = await page.screenshot({ path: file, fullPage: false });
    expect(image.byteLength).toBeGreaterThan(10_000);
  });
});
