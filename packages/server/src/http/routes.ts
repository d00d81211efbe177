// The route table, read from the bundled spec: every operation with its method, path, required scope
// and weight. Nothing here is written by hand, so the server cannot disagree with the spec about them.
//
// It is also the only router: a request is admitted, validated and dispatched through the one match
// made here. Matching is exact: the path as sent (not decoded, not case-folded, no trailing slash,
// no dot segments or doubled slashes) must be the template with one non-empty segment per parameter.
// Anything else names no operation and is answered 404 before its body is read.
import { type Json, openApi } from '@pipai/contract/openapi';

export interface Route {
  operationId: string;
  method: string;
  /** As in the spec: /v1/webhooks/{webhook_id} */
  path: string;
  /** The ApiKey scope the operation requires; undefined for operations not on the public API. */
  scope: string | undefined;
  weight: number;
  internal: boolean;
  /** Whether the operation documents a request body; one sent to any other is refused. */
  takesBody: boolean;
  /** The query parameters the operation documents; any other is refused. */
  queryParameters: string[];
  /** Query parameters typed integer: their text must be plain decimal digits. */
  integerQueryParameters: string[];
}

export interface RouteMatch {
  route: Route;
  /** Path parameters, percent-decoded; undefined where a segment does not decode. */
  params: Record<string, string | undefined>;
}

export function routesOf(spec: Json): Route[] {
  return openApi(spec)
    .operations()
    .map(({ path, method, operation, parameters }) => {
      const query = parameters.filter((parameter) => parameter.in === 'query');
      return {
        operationId: operation.operationId as string,
        method: method.toUpperCase(),
        path,
        scope: operation.security?.[0]?.ApiKey?.[0] as string | undefined,
        weight: (operation['x-weight'] as number | undefined) ?? 0,
        internal: operation['x-internal'] === true,
        takesBody: operation.requestBody !== undefined,
        queryParameters: query.map((parameter) => parameter.name as string),
        integerQueryParameters: query
          .filter((parameter) => parameter.schema?.type === 'integer')
          .map((parameter) => parameter.name as string),
      };
    });
}

interface CompiledRoute {
  route: Route;
  /** The template split on '/': literal segments, or the parameter's name in braces. */
  segments: string[];
}

const decodeSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

/** A matcher over the routes: method and the raw path of the request target (no query). */
export function createRouter(routes: readonly Route[]): (method: string, rawPath: string) => RouteMatch | undefined {
  const compiled: CompiledRoute[] = routes.map((route) => ({ route, segments: route.path.split('/') }));
  return (method, rawPath) => {
    const segments = rawPath.split('/');
    for (const { route, segments: template } of compiled) {
      if (route.method !== method || template.length !== segments.length) continue;
      const params: Record<string, string | undefined> = {};
      const matches = template.every((part, index) => {
        const segment = segments[index]!;
        if (!part.startsWith('{')) return part === segment;
        // A parameter is one whole, non-empty segment; '.' and '..' are dot segments, not values.
        if (segment === '' || segment === '.' || segment === '..') return false;
        params[part.slice(1, -1)] = decodeSegment(segment);
        return true;
      });
      if (matches) return { route, params };
    }
    return undefined;
  };
}
