// The route table, read from the bundled spec: every operation with its method, path, required scope
// and weight. Nothing here is written by hand, so the server cannot disagree with the spec about them.
export interface Route {
  operationId: string;
  method: string;
  /** As in the spec: /v1/webhooks/{webhook_id} */
  path: string;
  /** As Express wants it: /v1/webhooks/:webhook_id */
  expressPath: string;
  pattern: RegExp;
  /** The ApiKey scope the operation requires; undefined for operations not on the public API. */
  scope: string | undefined;
  weight: number;
  internal: boolean;
  /** The query parameters the operation documents; any other is refused. */
  queryParameters: string[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface SpecParameter {
  $ref?: string;
  name?: string;
  in?: string;
}

interface SpecOperation {
  operationId: string;
  parameters?: SpecParameter[];
  'x-weight'?: number;
  'x-internal'?: boolean;
  security?: Record<string, string[]>[];
}

type SpecDocument = {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], SpecOperation>> & { parameters?: SpecParameter[] }>;
  components?: { parameters?: Record<string, SpecParameter> };
};

export function routesOf(spec: SpecDocument): Route[] {
  const resolve = (parameter: SpecParameter) =>
    parameter.$ref ? spec.components?.parameters?.[parameter.$ref.split('/').pop()!] ?? parameter : parameter;
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method];
      if (!operation) return [];
      const escaped = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      return [
        {
          operationId: operation.operationId,
          method: method.toUpperCase(),
          path,
          expressPath: path.replace(/\{(\w+)\}/g, ':$1'),
          pattern: new RegExp(`^${escaped.replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`),
          scope: operation.security?.[0]?.ApiKey?.[0],
          weight: operation['x-weight'] ?? 0,
          internal: operation['x-internal'] === true,
          queryParameters: [...(item.parameters ?? []), ...(operation.parameters ?? [])]
            .map(resolve)
            .filter((parameter) => parameter.in === 'query')
            .map((parameter) => parameter.name!),
        },
      ];
    }),
  );
}

export function matchRoute(routes: readonly Route[], method: string, path: string): Route | undefined {
  return routes.find((route) => route.method === method && route.pattern.test(path));
}
