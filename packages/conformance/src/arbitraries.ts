// fast-check arbitraries generated from the spec's schemas, and mutations of what they generate.

import { type Json, openApi } from '@pipai/contract/openapi';
import fc from 'fast-check';

export function arbitraryFor(spec: Json, node: Json): fc.Arbitrary<unknown> {
  const { deref } = openApi(spec);
  const build = (raw: Json, depth: number): fc.Arbitrary<unknown> => {
    const schema = deref(raw);
    if (schema.allOf) {
      const merged: Json = { type: 'object', properties: {}, required: [] };
      for (const part of [schema, ...schema.allOf.map(deref)]) {
        Object.assign(merged.properties, part.properties);
        merged.required.push(...(part.required ?? []));
      }
      return build(merged, depth);
    }
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    if (schema.anyOf) return fc.oneof(...schema.anyOf.map((branch: Json) => build(branch, depth)));
    // Values that must match a pattern come from the schema's examples, or a few plausible strings.
    const examples: unknown[] = schema.examples ?? [];
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'object'];
    const options = types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case 'null':
          return fc.constant(null);
        case 'string':
          if (schema.pattern || schema.format) {
            return examples.length
              ? fc.constantFrom(...examples)
              : fc.constantFrom('https://hooks.test/property', '100', '0.5');
          }
          return fc.string({ maxLength: Math.min(schema.maxLength ?? 40, 250) });
        case 'integer':
          return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
        case 'number':
          return fc.double({ noNaN: true, noDefaultInfinity: true });
        case 'boolean':
          return fc.boolean();
        case 'array':
          return fc.array(build(schema.items ?? {}, depth + 1), {
            minLength: schema.minItems ?? 0,
            maxLength: Math.min(schema.maxItems ?? 4, 4),
          });
        default: {
          if (depth > 3) return fc.constant({});
          const properties = Object.fromEntries(
            Object.entries<Json>(schema.properties ?? {}).map(([key, value]) => [key, build(value, depth + 1)]),
          );
          return fc.record(properties, {
            requiredKeys: (schema.required ?? []).filter((key: string) => key in properties),
          });
        }
      }
    });
    return options.length === 1 ? options[0]! : fc.oneof(...options);
  };
  return build(node, 0);
}

/** A valid-looking value, or one changed in one way: a field dropped, added or given any JSON. */
export function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    valid,
    fc.tuple(valid, fc.nat(), fc.jsonValue()).map(([value, index, junk]) => {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return junk;
      const keys = Object.keys(value);
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const key = keys[index % Math.max(keys.length, 1)];
      switch (index % 3) {
        case 0:
          if (key) delete copy[key];
          return copy;
        case 1:
          return { ...copy, [`extra_${index % 7}`]: junk };
        default:
          if (key) copy[key] = junk;
          return copy;
      }
    }),
  );
}
