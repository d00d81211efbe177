// `pnpm mock --dynamic` generates its answers from the schemas (json-schema-faker): every one must
// still be valid against the spec, or a frontend built on the mock breaks on the real server. Every
// public operation, every documented status (asked for with `Prefer: code=N`), many times each since
// the data is random: each body is checked against its schema, a problem's `status` against the
// HTTP status, and Prism must report no violation of its own response (`sl-violations`).
import { openApi } from '@pipai/contract/openapi';
import { type RunningPrism, startPrism } from '@pipai/testkit/prism';
import { signedFetcher } from '@pipai/testkit/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRequests, targetOf } from '../../../scripts/lib/code-samples.ts';
import { createResponseChecker, loadPublicSpec } from '../src/responses.ts';

const spec = loadPublicSpec();
const check = createResponseChecker(spec);
const SUCCESS_ROUNDS = 20;
const ERROR_ROUNDS = 5;

let mock: RunningPrism;
let send: ReturnType<typeof signedFetcher>;

beforeAll(async () => {
  mock = await startPrism({ mock: true, dynamic: true });
  // The mock wants the three signing headers present; any values do.
  send = signedFetcher(mock.baseUrl, { api_key: 'key_3030fbb9aa81b653', api_secret: 'sk_dynamic' });
}, 60_000);
afterAll(() => mock?.close());

// Each operation's valid request: the docs' sample request (the spec's example IDs and bodies).
const requests = new Map(sampleRequests(spec).map((request) => [request.operationId, request]));
const cases = openApi(spec)
  .operations()
  .flatMap(({ operation }) => {
    const statuses = Object.keys(operation.responses).filter((status) => /^\d{3}$/.test(status));
    const success = statuses.find((status) => status.startsWith('2'));
    return statuses.map((status) => ({
      operationId: operation.operationId as string,
      status,
      success: status === success,
    }));
  });

describe('the dynamic mock', () => {
  it('answers every public operation with every documented status', () => {
    expect(new Set(cases.map((entry) => entry.operationId)).size).toBe(14);
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases.map((entry) => [`${entry.operationId} ${entry.status}`, entry] as const))(
    'answers %s with data the spec accepts',
    async (_name, { operationId, status, success }) => {
      const request = requests.get(operationId)!;
      const target = targetOf(request);
      const body = request.body === undefined ? '' : JSON.stringify(request.body);
      const problems: string[] = [];
      for (let round = 0; round < (success ? SUCCESS_ROUNDS : ERROR_ROUNDS); round += 1) {
        const response = await send(request.method, target, body, success ? {} : { Prefer: `code=${status}` });
        const text = await response.text();
        const json = text ? JSON.parse(text) : undefined;
        const contentType = response.headers.get('content-type');
        expect(response.status).toBe(Number(status));
        for (const problem of check(request.method, `${mock.baseUrl}${target}`, response.status, contentType, json))
          problems.push(`${problem.problem}: ${text.slice(0, 200)}`);
        if (contentType?.startsWith('application/problem+json') && json.status !== response.status)
          problems.push(`a problem with status ${json.status} on a ${response.status}`);
        const violations = response.headers.get('sl-violations');
        if (violations) problems.push(`Prism: ${violations.slice(0, 300)}`);
      }
      expect(problems).toEqual([]);
    },
  );
});
