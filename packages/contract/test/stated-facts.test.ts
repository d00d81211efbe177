// Facts the spec states twice, machine-readable for tools and in prose for readers: each operation's
// weight and scope (x-weight, security), the per-account webhook cap (x-max-webhooks-per-account),
// and how long events and attempts are kept (info.x-retention-days).
// The prose must say what the machine-readable value says, so that neither can drift from the other.
import { describe, expect, it } from 'vitest';
import { specLimits } from '../src/index.ts';
import { type Json, loadInternalSpec, loadPublicSpec, operationsOf } from './support.ts';

const nameOf = ({ operation, method, path }: { operation: Json; method: string; path: string }) =>
  `${operation.operationId} (${method.toUpperCase()} ${path})`;

/** The closing line of an operation's description, worded from its x-weight and security. */
function factsLine(spec: Json, operation: Json): string {
  const weight = operation['x-weight'] === 0 ? '0 (not rate-limited)' : String(operation['x-weight']);
  const requirements: Json[] = operation.security ?? spec.security ?? [];
  const scopes = [...new Set(requirements.flatMap((requirement) => Object.values<string[]>(requirement).flat()))];
  if (scopes.length > 0)
    return `**Weight:** ${weight}. **Scope:** ${scopes.map((scope) => `\`${scope}\``).join(', ')}.`;
  // No scopes (the internal bearer token): the auth is the first sentence of each scheme's description.
  const schemes = [...new Set(requirements.flatMap((requirement) => Object.keys(requirement)))];
  const auth = schemes.map((name) => /^.*?\.(?=\s|$)/s.exec(spec.components.securitySchemes[name].description)?.[0]);
  return `**Weight:** ${weight}. **Auth:** ${auth.join(' ')}`;
}

/** Each operation whose description does not close with its facts line, saying what it says instead. */
function weightProseProblems(spec: Json): string[] {
  return operationsOf(spec).flatMap((entry) => {
    const expected = factsLine(spec, entry.operation);
    const stated = String(entry.operation.description ?? '')
      .split('\n\n')
      .filter((paragraph) => paragraph.startsWith('**Weight:**'));
    if (stated.length === 1 && stated[0] === expected) return [];
    const says = stated.length === 0 ? 'states no weight' : `says ${stated.map((line) => `"${line}"`).join(' and ')}`;
    return [`${nameOf(entry)}: its description ${says}; x-weight and security say "${expected}"`];
  });
}

/** The introduction's Rate limits table (`| operation | weight |`) against each public operation. */
function weightTableProblems(spec: Json): string[] {
  const lines: string[] = spec.info.description.split('\n');
  const header = lines.indexOf('| operation | weight |');
  if (header < 0) return ['the introduction has no "| operation | weight |" table'];
  const rows = new Map<string, string>();
  for (const line of lines.slice(header + 2)) {
    const row = /^\| (.+?) \| (.*?) \|$/.exec(line);
    if (!row) break;
    rows.set(row[1]!, row[2]!);
  }
  const problems: string[] = [];
  for (const entry of operationsOf(spec)) {
    const { summary, 'x-weight': weight } = entry.operation;
    const row = rows.get(summary);
    if (row === undefined) problems.push(`the Rate limits table has no row "${summary}" for ${nameOf(entry)}`);
    else if (row !== String(weight))
      problems.push(
        `the Rate limits table gives "${summary}" weight ${row}; x-weight of ${nameOf(entry)} is ${weight}`,
      );
    rows.delete(summary);
  }
  for (const summary of rows.keys()) problems.push(`the Rate limits table lists "${summary}", no public operation`);
  return problems;
}

/** Every sentence in the document that states the per-account cap, with the number it states. */
function capStatements(spec: Json): { where: string; number: number; text: string }[] {
  const found: { where: string; number: number; text: string }[] = [];
  const walk = (node: unknown, pointer: string) => {
    if (typeof node === 'string') {
      // "at most 25 webhooks", "already has 25 webhooks", "25 webhooks already", "the 25 per account".
      // Any other number of webhooks the prose ever mentions is flagged too: reword it, or widen this.
      for (const match of node.matchAll(/\b(\d+) webhooks\b|\bthe (\d+) per account\b/g)) {
        found.push({ where: pointer, number: Number(match[1] ?? match[2]), text: match[0] });
      }
    } else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        walk(value, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
      }
    }
  };
  walk(spec, '');
  return found;
}

const capOf = (spec: Json) =>
  operationsOf(spec).find(({ operation }) => operation.operationId === 'createWebhook')!.operation[
    'x-max-webhooks-per-account'
  ];

function capProseProblems(spec: Json): string[] {
  const cap = capOf(spec);
  return capStatements(spec)
    .filter(({ number }) => number !== cap)
    .map(({ where, text }) => `${where} says "${text}"; createWebhook's x-max-webhooks-per-account is ${cap}`);
}

describe('weight and scope prose', () => {
  it("every operation's description closes with the x-weight and scope it has", () => {
    expect(weightProseProblems(loadInternalSpec())).toEqual([]);
  });

  it("the introduction's Rate limits table gives every public operation its x-weight", () => {
    expect(weightTableProblems(loadPublicSpec())).toEqual([]);
  });

  // The checks themselves, on copies whose machine-readable facts were changed and prose left alone.
  it('names the operation whose prose no longer matches, and what it should say', () => {
    const spec = loadInternalSpec();
    const closing = (operation: Json) => operation.description.split('\n\n').at(-1);
    const create = spec.paths['/v1/webhooks'].post;
    create['x-weight'] += 1;
    create.security = [{ ApiKey: ['webhooks:admin'], Timestamp: [], Signature: [] }];
    const list = spec.paths['/v1/webhooks'].get;
    list.description = 'List webhooks.';
    list['x-weight'] = 7;
    const publish = spec.paths['/internal/v1/events'].post;
    publish['x-weight'] = 1;
    expect(weightProseProblems(spec)).toEqual([
      `listWebhooks (GET /v1/webhooks): its description states no weight; x-weight and security say "**Weight:** 7. **Scope:** \`webhooks:read\`."`,
      `createWebhook (POST /v1/webhooks): its description says "${closing(create)}"; x-weight and security say "**Weight:** ${create['x-weight']}. **Scope:** \`webhooks:admin\`."`,
      `publishEvent (POST /internal/v1/events): its description says "${closing(publish)}"; x-weight and security say "**Weight:** 1. **Auth:** \`Authorization: Bearer $PIPAI_INTERNAL_TOKEN\`."`,
    ]);
  });

  it('names a table row whose weight no longer matches', () => {
    const spec = loadPublicSpec();
    const test = spec.paths['/v1/webhooks/{webhook_id}/test'].post;
    test['x-weight'] += 1;
    expect(weightTableProblems(spec)).toEqual([
      `the Rate limits table gives "${test.summary}" weight ${test['x-weight'] - 1}; x-weight of testWebhook (POST /v1/webhooks/{webhook_id}/test) is ${test['x-weight']}`,
    ]);
  });
});

describe('the per-account webhook cap', () => {
  it('is stated machine-readably on createWebhook, and generated into the contract as specLimits', () => {
    const cap = capOf(loadPublicSpec());
    expect(Number.isInteger(cap) && cap > 0, String(cap)).toBe(true);
    expect(specLimits.webhooksPerAccount).toBe(cap);
  });

  it('every sentence stating it, in either bundle, says x-max-webhooks-per-account', () => {
    for (const spec of [loadPublicSpec(), loadInternalSpec()]) {
      expect(capProseProblems(spec)).toEqual([]);
      // The sentences this check reads: the operations, the 429 response and its example, the error table.
      expect(capStatements(spec).map(({ where }) => where)).toEqual(
        expect.arrayContaining([
          '/paths/~1v1~1webhooks/post/description',
          '/paths/~1v1~1webhooks~1{webhook_id}/delete/description',
          '/components/responses/CreateWebhookTooMany/description',
          '/components/responses/CreateWebhookTooMany/content/application~1problem+json/examples/limitReached/value/detail',
          '/components/schemas/ErrorCode/description',
          '/info/description',
        ]),
      );
    }
  });

  it('names each sentence that no longer matches', () => {
    const spec = loadPublicSpec();
    const cap = capOf(spec);
    spec.paths['/v1/webhooks'].post['x-max-webhooks-per-account'] = cap + 1;
    const problems = capProseProblems(spec);
    expect(problems).toHaveLength(capStatements(spec).length);
    expect(problems).toContain(
      `/paths/~1v1~1webhooks/post/description says "${cap} webhooks"; createWebhook's x-max-webhooks-per-account is ${cap + 1}`,
    );
  });
});

/** Every sentence that states how long events and attempts are kept, with the number of days it states. */
function daysStatements(spec: Json): { where: string; number: number; text: string }[] {
  const found: { where: string; number: number; text: string }[] = [];
  const walk = (node: unknown, pointer: string): void => {
    if (typeof node === 'string') {
      // "kept for 30 days", "kept for **30 days**", "in the last 30 days" (other periods, as a grace
      // period's, are other facts).
      for (const match of node.matchAll(/\b(?:kept for|in the last) \**(\d+) days\b/g)) {
        found.push({ where: pointer, number: Number(match[1]), text: match[0] });
      }
    } else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        walk(value, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
      }
    }
  };
  walk(spec, '');
  return found;
}

describe('retention prose', () => {
  it('every sentence stating the retention, in either bundle, says info.x-retention-days, as the generated limits do', () => {
    for (const spec of [loadPublicSpec(), loadInternalSpec()]) {
      const days = spec.info['x-retention-days'];
      expect(specLimits.retentionDays).toBe(days);
      const statements = daysStatements(spec);
      expect(statements.filter(({ number }) => number !== days)).toEqual([]);
      // The sentences this check reads: the introduction, the delivery log, events, recovery.
      expect(statements.map(({ where }) => where)).toEqual(
        expect.arrayContaining([
          '/info/description',
          '/paths/~1v1~1events/get/description',
          '/paths/~1v1~1webhooks~1{webhook_id}~1deliveries/get/description',
          '/paths/~1v1~1webhooks~1{webhook_id}~1recover/post/description',
          '/components/schemas/Event/description',
        ]),
      );
    }
  });
});

describe('schemas the mock needs written twice', () => {
  // json-schema-faker loses x-faker in a $ref branch, so NullableTimestamp spells Timestamp out.
  it("NullableTimestamp's string branch is Timestamp, word for word", () => {
    const { schemas } = loadPublicSpec().components;
    const { description: _description, examples: _examples, ...timestamp } = schemas.Timestamp;
    expect(schemas.NullableTimestamp.anyOf).toEqual([timestamp, { type: 'null' }]);
  });
});
