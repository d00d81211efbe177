// The breaking-change gate on fixture pairs: the released spec and a copy changed in one way each.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compareSpecs } from '../src/breaking.ts';
import { type Json, loadPublicSpec, REPO_ROOT } from './support.ts';

const base = loadPublicSpec();
const schemas = (spec: Json) => spec.components.schemas;
const create = (spec: Json) => spec.paths['/v1/webhooks'].post;
const list = (spec: Json) => spec.paths['/v1/webhooks'].get;

/** The rules a change to a copy of the spec triggers, as "kind rule". */
function rulesAfter(change: (head: Json) => void): string[] {
  const head = structuredClone(base);
  change(head);
  return compareSpecs(base, head).map((entry) => `${entry.kind} ${entry.rule}`);
}

describe('compareSpecs', () => {
  it('finds nothing between a spec and itself', () => {
    expect(compareSpecs(base, structuredClone(base))).toEqual([]);
  });

  it.each<[string, (head: Json) => void, string]>([
    [
      'a removed operation',
      (head) => delete head.paths['/v1/webhooks/{webhook_id}'].delete,
      'breaking operation-removed',
    ],
    ['a removed parameter', (head) => list(head).parameters.pop(), 'breaking parameter-removed'],
    [
      'a newly required parameter',
      (head) => list(head).parameters.push({ name: 'region', in: 'query', required: true, schema: { type: 'string' } }),
      'breaking parameter-required',
    ],
    [
      'a removed response field',
      (head) => delete schemas(head).WebhookBase.properties.last_success_at,
      'breaking response-property-removed',
    ],
    [
      'a response field made optional',
      (head) =>
        (schemas(head).WebhookBase.required = schemas(head).WebhookBase.required.filter(
          (name: string) => name !== 'status',
        )),
      'breaking response-property-optional',
    ],
    [
      'a response field whose type changed',
      (head) => (schemas(head).WebhookBase.properties.consecutive_failures = { type: 'string' }),
      'breaking response-type-changed',
    ],
    [
      'a removed enum value',
      (head) => (schemas(head).WebhookStatus.enum = ['active', 'paused']),
      'breaking enum-value-removed',
    ],
    [
      'a newly required request field',
      (head) => schemas(head).CreateWebhookRequest.required.push('description'),
      'breaking request-property-required',
    ],
    [
      'a new required request field',
      (head) => {
        schemas(head).CreateWebhookRequest.properties.region = { type: 'string' };
        schemas(head).CreateWebhookRequest.required.push('region');
      },
      'breaking request-property-required',
    ],
    [
      'a narrowed type',
      (head) =>
        (create(head).requestBody.content['application/json'].schema = {
          ...schemas(head).CreateWebhookRequest,
          type: 'array',
        }),
      'breaking type-narrowed',
    ],
    [
      'a tightened maxLength',
      (head) => (schemas(head).WebhookDescription.maxLength = 100),
      'breaking constraint-tightened',
    ],
    [
      'a tightened maximum',
      (head) => (head.components.parameters.Limit.schema.maximum = 50),
      'breaking constraint-tightened',
    ],
    [
      'a changed pattern',
      (head) => (schemas(head).WebhookUrl.pattern = '^https://[a-z.]+$'),
      'breaking constraint-tightened',
    ],
    ['a removed event type', (head) => delete head.webhooks['strategy.error'], 'breaking event-type-removed'],
    [
      'a removed payload field',
      (head) => delete schemas(head).StrategyDeployedData.properties.exchange,
      'breaking event-field-removed',
    ],
    ['a removed 2xx response', (head) => delete list(head).responses['200'], 'breaking response-removed'],
  ])('flags %s as breaking', (_name, change, expected) => {
    expect(rulesAfter(change)).toContain(expected);
  });

  it.each<[string, (head: Json) => void, string]>([
    [
      'an added operation',
      (head) =>
        (head.paths['/v1/ping'] = { get: { operationId: 'ping', responses: { '204': { description: 'ok' } } } }),
      'additive operation-added',
    ],
    [
      'an added optional parameter',
      (head) => list(head).parameters.push({ name: 'sort', in: 'query', schema: { type: 'string' } }),
      'additive parameter-added',
    ],
    [
      'an added response field',
      (head) => (schemas(head).WebhookBase.properties.tags = { type: 'array', items: { type: 'string' } }),
      'additive response-property-added',
    ],
    [
      'an added optional request field',
      (head) => (schemas(head).CreateWebhookRequest.properties.tags = { type: 'array' }),
      'additive request-property-added',
    ],
    ['an added enum value', (head) => schemas(head).WebhookStatus.enum.push('archived'), 'additive enum-value-added'],
    [
      'an added event type',
      (head) => (head.webhooks['strategy.paused'] = head.webhooks['strategy.stopped']),
      'additive event-type-added',
    ],
    ['a loosened maxLength', (head) => (schemas(head).WebhookDescription.maxLength = 500), ''],
  ])('lists %s as additive, and passes', (_name, change, expected) => {
    const rules = rulesAfter(change);
    expect(rules.filter((rule) => rule.startsWith('breaking'))).toEqual([]);
    // A change with no additive rule of its own (the loosened maxLength) is listed as nothing at all.
    expect(rules).toEqual(expected ? expect.arrayContaining([expected]) : []);
  });
});

describe('pnpm check:breaking', () => {
  const run = (baseFile: string, headFile: string) =>
    promisify(execFile)(process.execPath, [
      join(REPO_ROOT, 'scripts/check-breaking.ts'),
      '--base',
      baseFile,
      '--head',
      headFile,
    ]).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('passes the committed baseline against the current spec', async () => {
    const result = await run(
      join(REPO_ROOT, 'packages/contract/released/openapi.json'),
      join(REPO_ROOT, 'packages/contract/generated/openapi.json'),
    );
    expect(result.code).toBe(0);
  });

  it('fails on a breaking pair and lists additive changes of a compatible one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipai-breaking-'));
    try {
      const baseFile = join(dir, 'base.json');
      writeFileSync(baseFile, JSON.stringify(base));
      const broken = structuredClone(base);
      delete broken.webhooks['strategy.error'];
      writeFileSync(join(dir, 'broken.json'), JSON.stringify(broken));
      const failed = await run(baseFile, join(dir, 'broken.json'));
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('BREAKING  event-type-removed  strategy.error');

      const grown = structuredClone(base);
      grown.components.schemas.WebhookStatus.enum.push('archived');
      writeFileSync(join(dir, 'grown.json'), JSON.stringify(grown));
      const passed = await run(baseFile, join(dir, 'grown.json'));
      expect(passed.code).toBe(0);
      expect(passed.stdout).toContain('additive  enum-value-added');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
