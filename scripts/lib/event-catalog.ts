// The event catalog as the spec gives it: `webhooks` keys in order, each with its category, its
// one-line summary (the first paragraph of its description) and its named payload schema. `pnpm gen`
// writes it into generated/catalog.ts; the docs' Payload format section reads it from the bundle.
import type { Json } from '../../packages/contract/src/openapi.ts';

export interface CatalogEntry {
  type: string;
  category: string;
  summary: string;
  payload_schema: string;
}

export function eventCatalogOf(doc: Json): CatalogEntry[] {
  return Object.entries<Json>(doc.webhooks).map(([type, item]) => {
    // Each payload is a named schema; the bundle refers to it from the webhook's request body.
    const payload: unknown = item.post.requestBody?.content?.['application/json']?.schema?.$ref;
    if (typeof payload !== 'string') throw new Error(`event ${type}: its payload is not a named schema ($ref)`);
    return {
      type,
      category: type.slice(0, type.indexOf('.')),
      summary: (item.post.description as string).split('\n\n')[0]!.trim(),
      payload_schema: payload,
    };
  });
}
