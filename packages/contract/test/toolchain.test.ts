// The lint rules, the bundles and the drift gate do what pnpm lint / pnpm gen / pnpm gen:check promise.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInternalSpec, loadPublicSpec, operationsOf, REPO_ROOT } from './support.ts';

const run = promisify(execFile);
const redocly = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };

describe('redocly.yaml conventions', () => {
  it('each configurable rule fires on a document that breaks it', async () => {
    const fixture = join(REPO_ROOT, 'packages/contract/test/fixtures/lint-violations.yaml');
    const result = await run(process.execPath, [redocly, 'lint', '--format', 'json', fixture], {
      cwd: REPO_ROOT,
      env,
    }).catch((error: { stdout: string; code: number }) => error);
    expect('code' in result && result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    const fired = new Set(report.problems.map((problem: { ruleId: string }) => problem.ruleId));
    for (const rule of [
      'rule/operation-id-camel-case',
      'rule/operation-has-weight',
      'rule/property-names-snake-case',
      'rule/paths-kebab-case',
      'rule/schema-names-pascal-case',
      'operation-4xx-problem-details-rfc7807',
    ]) {
      expect(fired, rule).toContain(rule);
    }
  });
});

describe('the bundles', () => {
  const isInternal = (operation: { 'x-internal'?: boolean }) => operation['x-internal'] === true;

  it('the public bundle has every public operation and nothing internal', () => {
    const spec = loadPublicSpec();
    const operationIds = operationsOf(spec).map(({ operation }) => operation.operationId);
    expect(operationIds.sort()).toEqual(
      [
        'createWebhook',
        'listWebhooks',
        'getWebhook',
        'updateWebhook',
        'deleteWebhook',
        'rotateWebhookSecret',
        'testWebhook',
        'listWebhookDeliveries',
        'getWebhookDelivery',
        'redeliverWebhookDelivery',
        'recoverWebhookEvents',
        'listEvents',
        'getEvent',
        'listWebhookEventTypes',
      ].sort(),
    );
    const text = JSON.stringify(spec);
    for (const hidden of [
      'x-internal',
      '/internal/',
      'InternalToken',
      'PublishEventRequest',
      'BalanceUpdateRequest',
      'reportBalance',
    ]) {
      expect(text, hidden).not.toContain(hidden);
    }
    expect(spec.tags.map((tag: { name: string }) => tag.name)).not.toContain('Internal');
  });

  it('the internal bundle keeps the internal operations, bearer-authenticated', () => {
    const spec = loadInternalSpec();
    const internal = operationsOf(spec).filter(({ operation }) => isInternal(operation));
    expect(internal.map(({ method, path }) => `${method} ${path}`)).toEqual([
      'post /internal/v1/events',
      'post /internal/v1/balances',
    ]);
    for (const { operation } of internal) expect(operation.security).toEqual([{ InternalToken: [] }]);
    expect(spec.components.securitySchemes.InternalToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('every operation has a summary, description, x-weight, tags, and a problem+json 4xx', () => {
    for (const { path, method, operation } of operationsOf(loadInternalSpec())) {
      const where = `${method} ${path}`;
      expect(operation.summary, where).toBeTruthy();
      expect(operation.description, where).toBeTruthy();
      expect(Number.isInteger(operation['x-weight']), where).toBe(true);
      expect(
        Object.keys(operation.responses).some((status) => status.startsWith('4')),
        where,
      ).toBe(true);
      expect(operation.responses['500'], where).toBeDefined();
    }
  });
});

describe('pnpm gen:check, the drift gate', () => {
  let copy: string;
  const committed = join(REPO_ROOT, 'packages/contract/generated');
  const check = (dir: string) =>
    run(process.execPath, [join(REPO_ROOT, 'scripts/gen.ts'), '--check', '--dir', dir], { cwd: REPO_ROOT, env }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );

  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), 'pipai-generated-'));
    await cp(committed, copy, { recursive: true });
  });
  afterAll(() => rm(copy, { recursive: true, force: true }));

  it('passes on the committed files', async () => {
    expect(await check(copy)).toEqual({ code: 0, stderr: '' });
  });

  it('fails after a hand edit of a generated file, naming it', async () => {
    const file = join(copy, 'schema.d.ts');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('wh_', 'webhook_'));
    try {
      const result = await check(copy);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('schema.d.ts: differs from a fresh generation');
    } finally {
      await writeFile(file, original);
    }
  });

  it('fails when a generated file is missing or left over', async () => {
    await rm(join(copy, 'catalog.ts'));
    await writeFile(join(copy, 'old.d.ts'), '');
    const result = await check(copy);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('catalog.ts: missing');
    expect(result.stderr).toContain('old.d.ts: not generated any more');
  });
});
