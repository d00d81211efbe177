import { describe, expect, it } from 'vitest';
import { collectExamples, findInvalidExamples } from '../src/examples.ts';
import { loadInternalSpec, loadPublicSpec, operationsOf } from './support.ts';

describe('every example in the bundled spec validates against its schema (JSON Schema 2020-12)', () => {
  for (const [name, load] of [
    ['public', loadPublicSpec],
    ['internal', loadInternalSpec],
  ] as const) {
    it(`${name} bundle`, () => {
      const spec = load();
      expect(spec.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
      const examples = collectExamples(spec);
      // Request, response, parameter, header, schema and webhook payload examples are all found.
      expect(examples.length).toBeGreaterThan(60);
      expect(examples.some((e) => e.pointer.startsWith('/webhooks/'))).toBe(true);
      expect(examples.some((e) => e.pointer.includes('/requestBody/'))).toBe(true);
      expect(examples.some((e) => e.pointer.includes('/parameters/'))).toBe(true);
      expect(examples.some((e) => e.pointer.startsWith('/components/schemas/'))).toBe(true);
      expect(findInvalidExamples(spec)).toEqual([]);
    });
  }

  it('every JSON response of every operation and every webhook payload has an example', () => {
    const spec = loadInternalSpec();
    const missing: string[] = [];
    const mediaTypesOf = (node: any) => Object.entries<any>(node?.content ?? {});
    const operations = [
      ...operationsOf(spec).map(({ path, method, operation }) => ({ where: `${method} ${path}`, operation })),
      ...Object.entries<any>(spec.webhooks).map(([type, item]) => ({ where: `webhook ${type}`, operation: item.post })),
    ];
    for (const { where, operation } of operations) {
      const bodies = [['request', operation.requestBody], ...Object.entries<any>(operation.responses)];
      for (const [status, body] of bodies) {
        for (const [mediaType, media] of mediaTypesOf(body)) {
          if (status === '410') continue; // what a receiver answers; we do not produce it
          if (media.example === undefined && media.examples === undefined)
            missing.push(`${where} ${status} ${mediaType}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('the example checker catches a broken example', () => {
  const brokenCopy = () => {
    const spec = loadPublicSpec();
    const created = spec.paths['/v1/webhooks'].post.responses['201'].content['application/json'].example;
    created.id = 'wh_XYZ'; // not 6-8 hex
    const list = spec.paths['/v1/webhooks'].get.responses['200'].content['application/json'].example;
    list.data[0].secret = 'k3mB2xQ9rFvT7nLpJhYwS4eUaC1oZ8dRgI6XbN0M'; // a secret must never be listed
    delete list.data[1].status;
    const deployed = spec.webhooks['strategy.deployed'].post.requestBody.content['application/json'].example;
    deployed.data.mode = 'simulation';
    return spec;
  };

  it('reports each broken example at its pointer, and nothing else', () => {
    const invalid = findInvalidExamples(brokenCopy());
    const at = (pointer: string) => invalid.find((e) => e.pointer === pointer);
    expect(invalid.map((e) => e.pointer).sort()).toEqual(
      [
        '/paths/~1v1~1webhooks/get/responses/200/content/application~1json/example',
        '/paths/~1v1~1webhooks/post/responses/201/content/application~1json/example',
        '/webhooks/strategy.deployed/post/requestBody/content/application~1json/example',
      ].sort(),
    );
    expect(at('/paths/~1v1~1webhooks/post/responses/201/content/application~1json/example')!.errors).toContainEqual(
      expect.objectContaining({ instancePath: '/id', keyword: 'pattern' }),
    );
    const listErrors = at('/paths/~1v1~1webhooks/get/responses/200/content/application~1json/example')!.errors;
    expect(listErrors).toContainEqual(
      expect.objectContaining({
        instancePath: '/data/0',
        keyword: 'unevaluatedProperties',
        params: { unevaluatedProperty: 'secret' },
      }),
    );
    expect(listErrors).toContainEqual(
      expect.objectContaining({ instancePath: '/data/1', keyword: 'required', params: { missingProperty: 'status' } }),
    );
    expect(at('/webhooks/strategy.deployed/post/requestBody/content/application~1json/example')!.errors).toContainEqual(
      expect.objectContaining({ instancePath: '/data/mode', keyword: 'enum' }),
    );
  });
});
