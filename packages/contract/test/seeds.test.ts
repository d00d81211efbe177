// The user's reference pages for Create and List Webhooks (fixtures/seeds.json) encoded exactly: examples verbatim, every field, limit
// and error.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventTypes, eventWildcards } from '../src/events.ts';
import { createSpecValidator, toJsonPointer } from '../src/spec-validator.ts';
import { deref, loadPublicSpec } from './support.ts';

const seeds = JSON.parse(readFileSync(new URL('./fixtures/seeds.json', import.meta.url), 'utf8'));
const spec = loadPublicSpec();
const validator = createSpecValidator(spec);
const valid = (schema: string, value: unknown) =>
  validator.validate(`/components/schemas/${schema}`, value).length === 0;

const create = spec.paths['/v1/webhooks'].post;
const list = spec.paths['/v1/webhooks'].get;
const json = 'application/json';

describe('seed examples appear in the spec unchanged and validate', () => {
  it('Create Webhook request', () => {
    expect(create.requestBody.content[json].examples.strategyAlerts.value).toEqual(seeds.createRequest);
    expect(valid('CreateWebhookRequest', seeds.createRequest)).toBe(true);
  });
  it('Create Webhook response', () => {
    expect(create.responses['201'].content[json].example).toEqual(seeds.createResponse);
    expect(valid('CreatedWebhook', seeds.createResponse)).toBe(true);
  });
  it('List Webhooks response', () => {
    expect(list.responses['200'].content[json].example).toEqual(seeds.listResponse);
    expect(valid('WebhookList', seeds.listResponse)).toBe(true);
  });
});

describe('Create Webhook: weight, scope, errors', () => {
  it('has weight 5 and requires webhooks:write', () => {
    expect(create['x-weight']).toBe(5);
    expect(create.security).toEqual([{ ApiKey: ['webhooks:write'], Timestamp: [], Signature: [] }]);
  });

  const problem = (status: number, code: string) => ({
    type: 'https://docs.pipai.example/errors/x',
    title: 'x',
    status,
    detail: 'x',
    code,
    request_id: 'req_0b7e4c2a9f1d3e5c8a6b4d2f',
    ...(code === 'INVALID_PARAMETER' ? { errors: [{ parameter: 'url', in: 'body', message: 'x' }] } : {}),
  });
  const accepts = (path: string, method: string, status: string, code: string) => {
    // A shared response by reference, or the operation's own (each operation's 400 is its own).
    const ref: string | undefined = spec.paths[path][method].responses[status].$ref;
    const response = ref ? ref.slice(1) : toJsonPointer(['paths', path, method, 'responses', status]);
    const pointer = `${response}${toJsonPointer(['content', 'application/problem+json', 'schema'])}`;
    return validator.validate(pointer, problem(Number(status), code)).length === 0;
  };

  it.each([
    ['400', 'INVALID_PARAMETER'],
    ['403', 'INSUFFICIENT_PERMISSION'],
    ['409', 'DUPLICATE_URL'],
    ['429', 'LIMIT_REACHED'],
  ])('documents %s %s as problem+json', (status, code) => {
    expect(accepts('/v1/webhooks', 'post', status, code)).toBe(true);
    expect(accepts('/v1/webhooks', 'post', status, 'NOT_FOUND')).toBe(false);
  });

  it('states the 25-webhook maximum on its 429', () => {
    expect(deref(spec, create.responses['429']).description).toMatch(/already has 25 webhooks/);
  });
});

describe('CreateWebhookRequest rules', () => {
  const base = { url: 'https://example.com/hook', events: ['strategy.deployed'] };

  it('requires url and events, and nothing else', () => {
    expect(valid('CreateWebhookRequest', base)).toBe(true);
    expect(valid('CreateWebhookRequest', { events: base.events })).toBe(false);
    expect(valid('CreateWebhookRequest', { url: base.url })).toBe(false);
    expect(valid('CreateWebhookRequest', { ...base, secret: 'x' })).toBe(false);
  });

  it('url must be https://', () => {
    expect(valid('CreateWebhookRequest', { ...base, url: 'http://example.com/hook' })).toBe(false);
    expect(valid('CreateWebhookRequest', { ...base, url: 'example.com/hook' })).toBe(false);
    expect(valid('CreateWebhookRequest', { ...base, url: 'ftp://example.com' })).toBe(false);
  });

  it('events is a non-empty list of known types or wildcards', () => {
    expect(valid('CreateWebhookRequest', { ...base, events: [] })).toBe(false);
    expect(valid('CreateWebhookRequest', { ...base, events: ['strategy.unknown'] })).toBe(false);
    expect(valid('CreateWebhookRequest', { ...base, events: ['strategy'] })).toBe(false);
    expect(valid('CreateWebhookRequest', { ...base, events: ['strategy.deployed', 'strategy.deployed'] })).toBe(false);
    for (const pattern of [...eventTypes, ...eventWildcards]) {
      const events = [pattern];
      const threshold = pattern === 'account.balance_low' ? { balance_low_threshold: '10' } : {};
      expect(valid('CreateWebhookRequest', { ...base, events, ...threshold }), pattern).toBe(true);
    }
    expect(eventWildcards).toEqual(['strategy.*', 'backtest.*', 'account.*', '*']);
  });

  it('description is at most 200 characters', () => {
    expect(valid('CreateWebhookRequest', { ...base, description: 'x'.repeat(200) })).toBe(true);
    expect(valid('CreateWebhookRequest', { ...base, description: 'x'.repeat(201) })).toBe(false);
  });

  it('balance_low_threshold is a positive decimal string, required with account.balance_low', () => {
    const withBalance = { ...base, events: ['account.balance_low'] };
    expect(valid('CreateWebhookRequest', withBalance)).toBe(false);
    for (const good of ['100', '0.5', '250.00', '0001.5']) {
      expect(valid('CreateWebhookRequest', { ...withBalance, balance_low_threshold: good }), good).toBe(true);
    }
    for (const bad of ['0', '0.00', '-1', '1e3', 'abc', '1.', '.5', '', ' 1', 100]) {
      expect(valid('CreateWebhookRequest', { ...withBalance, balance_low_threshold: bad }), String(bad)).toBe(false);
    }
    // Ignored otherwise, so accepted.
    expect(valid('CreateWebhookRequest', { ...base, balance_low_threshold: '5' })).toBe(true);
  });
});

describe('the webhook object', () => {
  const webhook = seeds.listResponse.data[0];

  it('has exactly the seed fields as required, plus the optional threshold and rate limit', () => {
    const base = spec.components.schemas.WebhookBase;
    expect(new Set(base.required)).toEqual(new Set(Object.keys(webhook)));
    expect(Object.keys(base.properties).sort()).toEqual(
      [...Object.keys(webhook), 'balance_low_threshold', 'rate_limit'].sort(),
    );
  });

  it('types and nullability match the seed', () => {
    for (const nullable of ['description', 'last_delivery_at', 'last_success_at']) {
      expect(valid('Webhook', { ...webhook, [nullable]: null }), nullable).toBe(true);
    }
    for (const required of ['id', 'url', 'events', 'status', 'consecutive_failures', 'created_at']) {
      expect(valid('Webhook', { ...webhook, [required]: null }), required).toBe(false);
    }
    expect(valid('Webhook', { ...webhook, consecutive_failures: -1 })).toBe(false);
    expect(valid('Webhook', { ...webhook, consecutive_failures: 1.5 })).toBe(false);
    for (const status of ['active', 'paused', 'broken']) expect(valid('Webhook', { ...webhook, status })).toBe(true);
    expect(valid('Webhook', { ...webhook, status: 'disabled' })).toBe(false);
    expect(valid('Webhook', { ...webhook, created_at: '2026-04-20 09:00:00' })).toBe(false);
  });

  it('id is wh_ + 6-8 hex', () => {
    for (const id of ['wh_2a4f10', 'wh_91b3ac', 'wh_0123456', 'wh_01234567'])
      expect(valid('Webhook', { ...webhook, id })).toBe(true);
    for (const id of ['wh_12345', 'wh_123456789', 'wh_2A4F10', 'wh_2a4g10', 'whk_2a4f10'])
      expect(valid('Webhook', { ...webhook, id })).toBe(false);
  });

  it('secret and _secret_warning appear only in the create response', () => {
    const withSecret = { ...webhook, secret: seeds.createResponse.secret };
    expect(valid('Webhook', withSecret)).toBe(false);
    expect(valid('Webhook', { ...webhook, _secret_warning: seeds.createResponse._secret_warning })).toBe(false);
    expect(valid('WebhookList', { data: [withSecret], next_cursor: null })).toBe(false);
    expect(valid('CreatedWebhook', { ...seeds.createResponse, secret: undefined })).toBe(false);
    expect(valid('CreatedWebhook', { ...seeds.createResponse, _secret_warning: 'Store it.' })).toBe(false);
    const secretResponses = JSON.stringify(spec.paths).match(/WebhookSecret|CreatedWebhook|SecretRotation/g) ?? [];
    expect(secretResponses.length).toBeGreaterThan(0);
    for (const [path, item] of Object.entries<any>(spec.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        const responses = JSON.stringify(operation.responses ?? {});
        const carriesSecret = responses.includes('CreatedWebhook') || responses.includes('SecretRotation');
        const allowed = operation.operationId === 'createWebhook' || operation.operationId === 'rotateWebhookSecret';
        expect(carriesSecret, `${method} ${path}`).toBe(allowed);
      }
    }
  });
});

describe('List Webhooks: weight, scope, query, errors', () => {
  const parameters = list.parameters.map((p: any) => deref(spec, p));
  const schemaOf = (name: string) => deref(spec, parameters.find((p: any) => p.name === name).schema);

  it('has weight 2 and requires webhooks:read', () => {
    expect(list['x-weight']).toBe(2);
    expect(list.security).toEqual([{ ApiKey: ['webhooks:read'], Timestamp: [], Signature: [] }]);
  });

  it('takes exactly status, event, limit and cursor, all optional', () => {
    const names = parameters.map((p: any) => [p.name, p.in, p.required]);
    expect(names.sort()).toEqual(
      [
        ['cursor', 'query', false],
        ['event', 'query', false],
        ['limit', 'query', false],
        ['status', 'query', false],
      ].sort(),
    );
  });

  it('status is one of active, paused, broken', () => {
    expect(schemaOf('status').enum).toEqual(['active', 'paused', 'broken']);
  });

  it('limit is 1-100, default 25', () => {
    expect(schemaOf('limit')).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 25 });
  });

  it('event accepts known types and wildcards only', () => {
    const pointer = toJsonPointer(['components', 'parameters', 'EventFilter', 'schema']);
    expect(validator.validate(pointer, 'strategy.deployed')).toEqual([]);
    expect(validator.validate(pointer, 'strategy.*')).toEqual([]);
    expect(validator.validate(pointer, 'strategy.nope')).not.toEqual([]);
  });

  it('next_cursor is nullable, data never carries secrets', () => {
    expect(valid('WebhookList', { data: [], next_cursor: null })).toBe(true);
    expect(valid('WebhookList', { data: [], next_cursor: 'eyJrIjoiMSJ9' })).toBe(true);
    expect(valid('WebhookList', { data: [] })).toBe(false);
  });

  it.each([
    ['400', 'INVALID_PARAMETER'],
    ['403', 'INSUFFICIENT_PERMISSION'],
  ])('documents %s %s', (status, code) => {
    const response = deref(spec, list.responses[status]);
    const schema = deref(spec, response.content['application/problem+json'].schema);
    expect(JSON.stringify(schema)).toContain(code);
  });
});
