// Requests that break exactly one documented constraint, generated from the bundled spec: for every
// operation, every constrained path and query parameter and body property, numeric extremes and
// non-decimal number syntax, NUL characters and unpaired surrogates in every string, unknown and
// prototype-polluting query parameters, and bodies with a missing, wrong or non-UTF-8 media type.
// Each must be answered 400 INVALID_PARAMETER naming that parameter, or 415 for the media type.
import { type Json, openApi } from '@pipai/contract/openapi';

export type ExpectedProblem =
  | { code: 'INVALID_PARAMETER'; parameter: string; in: 'query' | 'path' | 'body' | 'header' }
  | { code: 'UNSUPPORTED_MEDIA_TYPE' };

export interface NegativeCase {
  name: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** A JSON value, or raw text or bytes (sent as is). */
  body?: unknown;
  rawBody?: string | Uint8Array;
  /** The Content-Type to send with the body; null for none at all. Default application/json. */
  contentType?: string | null;
  expected: ExpectedProblem;
}

/** Integer text that Number() would take but the API must not: every one a 400. */
const NON_DECIMAL_INTEGERS = [
  'Infinity',
  '-Infinity',
  'NaN',
  '9'.repeat(400),
  '0x10',
  '1e1',
  '05',
  '1.0',
  '+5',
  ' 5',
  '1_0',
  '0b1',
  '0o7',
  '',
];
/** JSON numbers no integer field may take. */
const JSON_NUMBER_EXTREMES = ['1e400', '-1e400', '1.5', '9007199254740993', '-9007199254740993'];
/** Strings no store can keep as sent. */
const ILL_FORMED_STRINGS: [string, string][] = [
  ['a NUL character', 'before\u0000after'],
  ['an unpaired surrogate', 'before\ud800after'],
];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', '__proto__[polluted]', 'hasOwnProperty'];

/** Values that break one keyword each of a (resolved) schema. */
function breakers(schema: Json, flatten: (node: Json) => Json, sample: unknown): [string, unknown][] {
  const cases: [string, unknown][] = [];
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (schema.anyOf) cases.push(['not one of the allowed values', 'not.a.known.value']);
  if (schema.enum) cases.push(['not in the enum', 'not-a-listed-value']);
  if (schema.const !== undefined) cases.push(['not the constant', 'something else']);
  if (types.includes('string')) {
    cases.push(['wrong type', 12345]);
    if (schema.maxLength !== undefined)
      cases.push([`longer than ${schema.maxLength}`, 'x'.repeat(schema.maxLength + 1)]);
    if (schema.pattern) cases.push(['not matching the pattern', '!!! not valid !!!']);
  }
  if (types.includes('integer')) {
    cases.push(['wrong type', 'not-a-number']);
    if (schema.minimum !== undefined) cases.push([`below ${schema.minimum}`, schema.minimum - 1]);
    if (schema.maximum !== undefined) cases.push([`above ${schema.maximum}`, schema.maximum + 1]);
  }
  if (types.includes('array')) {
    cases.push(['wrong type', 'not-an-array']);
    if (schema.minItems) cases.push([`fewer than ${schema.minItems} items`, []]);
    if (schema.uniqueItems && Array.isArray(sample) && sample.length > 0)
      cases.push(['duplicate items', [sample[0], sample[0]]]);
    const items = flatten(schema.items ?? {});
    if (items.anyOf || items.enum) cases.push(['an item not allowed', ['not.a.known.value']]);
  }
  if (types.includes('object')) cases.push(['wrong type', 'not-an-object']);
  return cases;
}

export function negativeCases(spec: Json): NegativeCase[] {
  const { deref, flatten, operations } = openApi(spec);
  const cases: NegativeCase[] = [];
  for (const { path: template, method, operation, parameters } of operations()) {
    {
      const pathValues = Object.fromEntries(
        parameters.filter((p) => p.in === 'path').map((p) => [p.name, String(deref(p.schema).examples?.[0] ?? 'x')]),
      );
      const pathWith = (overrides: Record<string, string> = {}) =>
        template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(overrides[name] ?? pathValues[name]!));
      const media = operation.requestBody?.content?.['application/json'];
      const baseBody = media ? (media.example ?? Object.values<Json>(media.examples ?? {})[0]?.value) : undefined;
      const label = `${method.toUpperCase()} ${template}`;
      const add = (name: string, request: Partial<NegativeCase> & { expected: NegativeCase['expected'] }) =>
        cases.push({
          name: `${label}: ${name}`,
          method: method.toUpperCase(),
          path: pathWith(),
          query: {},
          ...(baseBody !== undefined ? { body: baseBody } : {}),
          ...request,
        });
      const invalid = (parameter: string, location: 'query' | 'path' | 'body' | 'header') =>
        ({ code: 'INVALID_PARAMETER', parameter, in: location }) as const;

      for (const parameter of parameters) {
        const schema = flatten(parameter.schema);
        // Query and path values are text: a "wrong type" for a string parameter does not exist.
        for (const [why, value] of breakers(schema, flatten, undefined).filter(
          ([why, value]) => !(why === 'wrong type' && typeof value === 'number'),
        )) {
          if (parameter.in === 'path') {
            add(`path ${parameter.name} ${why}`, {
              path: pathWith({ [parameter.name]: String(value) }),
              expected: invalid(parameter.name, 'path'),
            });
          } else if (parameter.in === 'query' && !(Array.isArray(value) || typeof value === 'object')) {
            add(`query ${parameter.name} ${why}`, {
              query: { [parameter.name]: String(value) },
              expected: invalid(parameter.name, 'query'),
            });
          }
        }
      }
      for (const parameter of parameters) {
        const schema = flatten(parameter.schema);
        const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
        if (parameter.in === 'query' && types.includes('integer')) {
          for (const text of NON_DECIMAL_INTEGERS) {
            add(`query ${parameter.name}=${text.length > 20 ? `${text.length} digits` : JSON.stringify(text)}`, {
              query: { [parameter.name]: text },
              expected: invalid(parameter.name, 'query'),
            });
          }
        }
        if (types.includes('string')) {
          for (const [why, value] of ILL_FORMED_STRINGS) {
            if (parameter.in === 'query')
              add(`query ${parameter.name} with ${why}`, {
                query: { [parameter.name]: value },
                expected: invalid(parameter.name, 'query'),
              });
            // An unpaired surrogate has no UTF-8 form, so it cannot be percent-encoded: send the bytes a
            // careless client would (its CESU-8 encoding), which do not decode.
            const encoded = why === 'a NUL character' ? encodeURIComponent(value) : `before%ED%A0%80after`;
            if (parameter.in === 'path') {
              add(`path ${parameter.name} with ${why}`, {
                path: template.replace(/\{(\w+)\}/g, (_, name: string) =>
                  name === parameter.name ? encoded : encodeURIComponent(pathValues[name]!),
                ),
                expected: invalid(parameter.name, 'path'),
              });
            }
          }
        }
      }
      add('an unknown query parameter', {
        query: { unknown_parameter: '1' },
        expected: invalid('unknown_parameter', 'query'),
      });
      for (const key of PROTOTYPE_KEYS)
        add(`query parameter ${key}`, { query: { [key]: 'x' }, expected: invalid(key, 'query') });
      if (!media) {
        // fetch cannot send a GET with a body; the server's own tests send one over a raw socket.
        if (method !== 'get')
          add('a body it does not take', {
            rawBody: '{"url":"https://example.com"}',
            expected: invalid('body', 'body'),
          });
        continue;
      }
      if (baseBody === undefined) continue;

      const schema = flatten(media.schema);
      for (const [property, propertySchema] of Object.entries<Json>(schema.properties ?? {})) {
        const resolved = flatten(propertySchema);
        if (schema.required?.includes(property)) {
          const { [property]: _omitted, ...rest } = baseBody;
          add(`body ${property} missing`, { body: rest, expected: invalid(property, 'body') });
        }
        for (const [why, value] of breakers(resolved, flatten, baseBody[property])) {
          const parameter = why === 'an item not allowed' ? `${property}[0]` : property;
          add(`body ${property} ${why}`, {
            body: { ...baseBody, [property]: value },
            expected: invalid(parameter, 'body'),
          });
        }
      }
      // if X contains V then Y is required: X with V and no Y. The rule sits in dependentSchemas
      // (the docs render a top-level if/then as two alternative bodies).
      const rules = [schema, ...Object.values<Json>(schema.dependentSchemas ?? {})].filter((rule) => rule.if);
      for (const rule of rules) {
        for (const required of rule.then?.required ?? []) {
          for (const [property, condition] of Object.entries<Json>(rule.if.properties ?? {})) {
            if (condition.contains?.const === undefined) continue;
            const { [required]: _omitted, ...rest } = baseBody;
            add(`body ${required} missing while ${property} contains ${condition.contains.const}`, {
              body: { ...rest, [property]: [condition.contains.const] },
              expected: invalid(required, 'body'),
            });
          }
        }
      }
      if (schema.additionalProperties === false || schema.unevaluatedProperties === false) {
        add('body with an unknown property', {
          body: { ...baseBody, unexpected_field: 1 },
          expected: invalid('unexpected_field', 'body'),
        });
      }
      add('body not an object', { body: ['not', 'an', 'object'], expected: invalid('body', 'body') });
      add('malformed JSON', { rawBody: '{"url": ', expected: invalid('body', 'body') });
      const json = JSON.stringify(baseBody);
      for (const [why, contentType] of [
        ['no content type', null],
        ['an empty content type', ''],
        ['content type text/plain', 'text/plain'],
        ['content type application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
        ['content type application/json; charset=utf-16', 'application/json; charset=utf-16'],
        ['content type application/json; charset=latin1', 'application/json; charset=latin1'],
      ] as const) {
        add(why, { rawBody: Buffer.from(json), contentType, expected: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
      }
      add('a body that is not UTF-8', {
        rawBody: Buffer.concat([Buffer.from(json.slice(0, -1)), Buffer.from(',"x":"\xff\xfe"}', 'latin1')]),
        expected: invalid('body', 'body'),
      });
      for (const [property, propertySchema] of Object.entries<Json>(schema.properties ?? {})) {
        const resolved = flatten(propertySchema);
        const types: string[] = Array.isArray(resolved.type) ? resolved.type : [resolved.type];
        if (types.includes('integer')) {
          for (const number of JSON_NUMBER_EXTREMES) {
            add(`body ${property} ${number}`, {
              rawBody: json.replace(/\}$/, `,${JSON.stringify(property)}:${number}}`).replace(/^\{,/, '{'),
              expected: invalid(property, 'body'),
            });
          }
        }
        for (const [why, value] of ILL_FORMED_STRINGS) {
          if (types.includes('string'))
            add(`body ${property} with ${why}`, {
              body: { ...baseBody, [property]: value },
              expected: invalid(property, 'body'),
            });
          if (types.includes('array'))
            add(`body ${property}[0] with ${why}`, {
              body: { ...baseBody, [property]: [value] },
              expected: invalid(`${property}[0]`, 'body'),
            });
        }
      }
      add('oversized body', {
        body: { ...baseBody, description: 'x'.repeat(70 * 1024) },
        expected: invalid('body', 'body'),
      });
    }
  }
  return cases;
}
