// Finds every example in a bundled OpenAPI document and checks it against the schema it illustrates.
import { createSpecValidator, type SchemaError, toJsonPointer } from './spec-validator.ts';

export interface SpecExample {
  /** Where the example value is, as a JSON Pointer. */
  pointer: string;
  /** The schema it must satisfy. */
  schemaPointer: string;
  value: unknown;
}

export interface InvalidExample extends SpecExample {
  errors: SchemaError[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every example of the document: `example` and `examples.*.value` of media types, parameters and
 * headers (checked against their `schema`), and the `examples` array of JSON schemas.
 */
export function collectExamples(document: object): SpecExample[] {
  const found: SpecExample[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) walk(item, [...path, index]);
      return;
    }
    if (!isObject(node)) return;
    const here = toJsonPointer(path);
    if ('schema' in node && isObject(node.schema)) {
      const schemaPointer = `${here}/schema`;
      if ('example' in node) found.push({ pointer: `${here}/example`, schemaPointer, value: node.example });
      if (isObject(node.examples)) {
        for (const [name, example] of Object.entries(node.examples)) {
          if (isObject(example) && 'value' in example) {
            found.push({ pointer: `${here}/examples/${name}/value`, schemaPointer, value: example.value });
          }
        }
      }
    }
    // A JSON Schema's `examples` is an array (a media type's is a map, handled above).
    if (Array.isArray(node.examples)) {
      for (const [index, value] of node.examples.entries())
        found.push({ pointer: `${here}/examples/${index}`, schemaPointer: here, value });
    }
    for (const [key, child] of Object.entries(node)) {
      if (key !== 'example' && key !== 'examples') walk(child, [...path, key]);
    }
  };
  walk(document, []);
  return found;
}

/** The examples that do not validate against their schema; [] when all do. */
export function findInvalidExamples(document: object): InvalidExample[] {
  const validator = createSpecValidator(document);
  return collectExamples(document).flatMap((example) => {
    const errors = validator.validate(example.schemaPointer, example.value);
    return errors.length > 0 ? [{ ...example, errors }] : [];
  });
}
