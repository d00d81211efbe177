// The one OpenAPI toolkit of the project, for bundled documents (every reference local): reference
// resolution, allOf flattening, the operations with their parameters, and matching a concrete path to
// its template. The server's route table, the conformance suites, the breaking-change gate, the
// generator and the tests all read the spec through it.
export type Json = Record<string, any>;

export const HTTP_METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface OperationEntry {
  /** The path template: /v1/webhooks/{webhook_id} */
  path: string;
  method: HttpMethod;
  operation: Json;
  /** The path item's and the operation's parameters, references resolved. */
  parameters: Json[];
}

export interface OpenApi {
  readonly doc: Json;
  /** The node a JSON pointer (`#/components/schemas/Webhook`) names; undefined if it names none. */
  target(ref: string): Json | undefined;
  /** Follows references until a node that is not one; other nodes as they are. */
  deref(node: Json | undefined): Json;
  /** A schema with its allOf parts merged in (properties, required, type), references resolved. */
  flatten(node: Json | undefined): Json;
  operations(): OperationEntry[];
  /** The operation a method and a concrete path (`/v1/webhooks/wh_2a4f10`) name, if any. */
  operationFor(method: string, path: string): OperationEntry | undefined;
}

export function openApi(doc: Json): OpenApi {
  const target = (ref: string): Json | undefined =>
    ref
      .replace(/^#\//, '')
      .split('/')
      .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<Json | undefined>((node, key) => node?.[key], doc);
  const deref = (node: Json | undefined): Json => {
    let at = node ?? {};
    for (let hops = 0; typeof at.$ref === 'string'; hops += 1) {
      if (hops > 32) throw new Error(`reference cycle at ${at.$ref}`);
      at = target(at.$ref) ?? {};
    }
    return at;
  };
  const flatten = (node: Json | undefined): Json => {
    const schema = deref(node);
    if (!schema.allOf) return schema;
    const merged: Json = { ...schema, properties: { ...schema.properties }, required: [...(schema.required ?? [])] };
    delete merged.allOf;
    for (const part of schema.allOf) {
      const flat = flatten(part);
      merged.properties = { ...flat.properties, ...merged.properties };
      merged.required = [...new Set([...merged.required, ...(flat.required ?? [])])];
      merged.type ??= flat.type;
    }
    return merged;
  };
  const operations = (): OperationEntry[] =>
    Object.entries<Json>(doc.paths ?? {}).flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => item[method]).map((method) => ({
        path,
        method,
        operation: item[method],
        parameters: [...(item.parameters ?? []), ...(item[method].parameters ?? [])].map(deref),
      })),
    );
  const patterns = new Map<string, RegExp>();
  const operationFor = (method: string, path: string) =>
    operations().find((entry) => {
      if (entry.method !== method.toLowerCase()) return false;
      let pattern = patterns.get(entry.path);
      if (!pattern) {
        pattern = new RegExp(`^${entry.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`);
        patterns.set(entry.path, pattern);
      }
      return pattern.test(path);
    });
  return { doc, target, deref, flatten, operations, operationFor };
}
