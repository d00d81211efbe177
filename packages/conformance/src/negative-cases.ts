// Requests that break exactly one documented constraint, generated from the bundled spec: for every
// operation, every constrained path and query parameter and body property. Each must be answered
// 400 INVALID_PARAMETER naming that parameter.
import type { Json } from './responses.ts';

export interface NegativeCase {
  name: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** A JSON value, or raw text (sent as is). */
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  expected: { parameter: string; in: 'query' | 'path' | 'body' | 'header' };
}

const HTTP_METHODS = ['get', 'post', 'patch', 'put', 'delete'];

function resolver(spec: Json) {
  const deref = (node: Json | undefined): Json => {
    if (!node || typeof node !== 'object') return node ?? {};
    if (typeof node.$ref === 'string') {
      return deref(node.$ref.slice(2).split('/').reduce((at: Json, key: string) => at[key.replaceAll('~1', '/')], spec));
    }
    return node;
  };
  /** A schema with its allOf merged in (properties, required), refs resolved. */
  const flatten = (node: Json | undefined): Json => {
    const schema = deref(node);
    if (!schema.allOf) return schema;
    const merged: Json = { ...schema, properties: { ...schema.properties }, required: [...(schema.required ?? [])] };
    delete merged.allOf;
    for (const part of schema.allOf) {
      const flat = flatten(part);
      Object.assign(merged.properties, flat.properties);
      merged.required.push(...(flat.required ?? []));
    }
    return merged;
  };
  return { deref, flatten };
}

/** Values that break one keyword each of a (resolved) schema. */
function breakers(schema: Json, flatten: (node: Json) => Json, sample: unknown): [string, unknown][] {
  const cases: [string, unknown][] = [];
  const types: string[] = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (schema.anyOf) cases.push(['not one of the allowed values', 'not.a.known.value']);
  if (schema.enum) cases.push(['not in the enum', 'not-a-listed-value']);
  if (schema.const !== undefined) cases.push(['not the constant', 'something else']);
  if (types.includes('string')) {
    cases.push(['wrong type', 12345]);
    if (schema.maxLength !== undefined) cases.push([`longer than ${schema.maxLength}`, 'x'.repeat(schema.maxLength + 1)]);
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
    if (schema.uniqueItems && Array.isArray(sample) && sample.length > 0) cases.push(['duplicate items', [sample[0], sample[0]]]);
    const items = flatten(schema.items ?? {});
    if (items.anyOf || items.enum) cases.push(['an item not allowed', ['not.a.known.value']]);
  }
  if (types.includes('object')) cases.push(['wrong type', 'not-an-object']);
  return cases;
}

export function negativeCases(spec: Json): NegativeCase[] {
  const { deref, flatten } = resolver(spec);
  const cases: NegativeCase[] = [];
  for (const [template, item] of Object.entries<Json>(spec.paths)) {
    for (const method of HTTP_METHODS.filter((candidate) => item[candidate])) {
      const operation = item[method];
      const parameters: Json[] = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map(deref);
      const pathValues = Object.fromEntries(
        parameters.filter((p) => p.in === 'path').map((p) => [p.name, String(deref(p.schema).examples?.[0] ?? 'x')]),
      );
      const pathWith = (overrides: Record<string, string> = {}) =>
        template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(overrides[name] ?? pathValues[name]!));
      const media = operation.requestBody?.content?.['application/json'];
      const baseBody = media ? (media.example ?? Object.values<Json>(media.examples ?? {})[0]?.value) : undefined;
      const label = `${method.toUpperCase()} ${template}`;
      const add = (name: string, request: Partial<NegativeCase> & { expected: NegativeCase['expected'] }) =>
        cases.push({ name: `${label}: ${name}`, method: method.toUpperCase(), path: pathWith(), query: {}, ...(baseBody !== undefined ? { body: baseBody } : {}), ...request });

      for (const parameter of parameters) {
        const schema = flatten(parameter.schema);
        // Query and path values are text: a "wrong type" for a string parameter does not exist.
        for (const [why, value] of breakers(schema, flatten, undefined).filter(([why, value]) => !(why === 'wrong type' && typeof value === 'number'))) {
          if (parameter.in === 'path') {
            add(`path ${parameter.name} ${why}`, { path: pathWith({ [parameter.name]: String(value) }), expected: { parameter: parameter.name, in: 'path' } });
          } else if (parameter.in === 'query' && !(Array.isArray(value) || typeof value === 'object')) {
            add(`query ${parameter.name} ${why}`, { query: { [parameter.name]: String(value) }, expected: { parameter: parameter.name, in: 'query' } });
          }
        }
      }
      if (operation.parameters?.some((p: Json) => deref(p).in === 'query') || method === 'get') {
        add('an unknown query parameter', { query: { unknown_parameter: '1' }, expected: { parameter: 'unknown_parameter', in: 'query' } });
      }
      if (!media || baseBody === undefined) continue;

      const schema = flatten(media.schema);
      for (const [property, propertySchema] of Object.entries<Json>(schema.properties ?? {})) {
        const resolved = flatten(propertySchema);
        if (schema.required?.includes(property)) {
          const { [property]: _omitted, ...rest } = baseBody;
          add(`body ${property} missing`, { body: rest, expected: { parameter: property, in: 'body' } });
        }
        for (const [why, value] of breakers(resolved, flatten, baseBody[property])) {
          const parameter = why === 'an item not allowed' ? `${property}[0]` : property;
          add(`body ${property} ${why}`, { body: { ...baseBody, [property]: value }, expected: { parameter, in: 'body' } });
        }
      }
      // if X contains V then Y is required: X with V and no Y.
      const condition = schema.if?.properties;
      for (const required of schema.then?.required ?? []) {
        for (const [property, rule] of Object.entries<Json>(condition ?? {})) {
          if (rule.contains?.const === undefined) continue;
          const { [required]: _omitted, ...rest } = baseBody;
          add(`body ${required} missing while ${property} contains ${rule.contains.const}`, {
            body: { ...rest, [property]: [rule.contains.const] },
            expected: { parameter: required, in: 'body' },
          });
        }
      }
      if (schema.additionalProperties === false || schema.unevaluatedProperties === false) {
        add('body with an unknown property', { body: { ...baseBody, unexpected_field: 1 }, expected: { parameter: 'unexpected_field', in: 'body' } });
      }
      add('body not an object', { body: ['not', 'an', 'object'], expected: { parameter: 'body', in: 'body' } });
      add('malformed JSON', { rawBody: '{"url": ', expected: { parameter: 'body', in: 'body' } });
      add('wrong content type', { rawBody: 'url=https://example.com', contentType: 'text/plain', expected: { parameter: 'Content-Type', in: 'header' } });
      add('oversized body', { body: { ...baseBody, description: 'x'.repeat(70 * 1024) }, expected: { parameter: 'body', in: 'body' } });
    }
  }
  return cases;
}
