// Cross-origin calls from browsers (the SDK runs there): which origins may call, and what a page may
// send and read, all read from the spec: the methods of its operations, the headers its security
// schemes sign with, and the headers its responses document.
import { type Json, openApi } from '@pipai/contract/openapi';
import cors from 'cors';
import type { RequestHandler } from 'express';

/** Browser origins allowed to call the API: a list (`*` for any), or every localhost origin (development). */
export type CorsOrigins = readonly string[] | 'localhost';

const LOCALHOST_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

function allows(origins: CorsOrigins, origin: string): boolean {
  if (origins === 'localhost') return LOCALHOST_ORIGIN.test(origin);
  return origins.includes('*') || origins.includes(origin);
}

export function crossOrigin(spec: Json, origins: CorsOrigins): RequestHandler {
  const api = openApi(spec);
  const operations = api.operations();
  const methods = [...new Set(operations.map(({ method }) => method.toUpperCase()))];
  const signingHeaders = Object.values<Json>(spec.components?.securitySchemes ?? {})
    .filter((scheme) => scheme.type === 'apiKey' && scheme.in === 'header')
    .map((scheme) => scheme.name as string);
  const responseHeaders = new Set<string>();
  for (const { operation } of operations) {
    for (const response of Object.values<Json>(operation.responses ?? {})) {
      for (const name of Object.keys(api.deref(response).headers ?? {})) responseHeaders.add(name);
    }
  }
  return cors({
    // Without an Origin header (not a browser) or from another origin: no CORS headers, and a
    // preflight goes on to be answered 404 like any request that names no operation.
    origin: (origin, done) => done(null, origin !== undefined && allows(origins, origin)),
    methods,
    allowedHeaders: ['Content-Type', ...signingHeaders],
    exposedHeaders: [...responseHeaders].sort(),
    maxAge: 600,
  });
}
