// The docs' "Payload format" section, read from the event catalog: every event type, when it
// fires, and its named schema rendered by Redoc with the example body. Generated, so a new event type
// shows here without anyone writing it down. It changes the spec it is given (the page's copy).
import { type Json, openApi } from '../../packages/contract/src/openapi.ts';
import { eventCatalogOf } from './event-catalog.ts';

export function payloadFormatSection(spec: Json): string {
  const api = openApi(spec);
  withPayloadExamples(spec);
  // The catalog gives each type's summary and its named event schema (the same rule as pnpm gen's).
  const entries = eventCatalogOf(spec).map(({ type, summary, payload_schema: event }) => {
    const data: string | undefined = api.target(event)?.properties?.data?.$ref;
    if (!data?.startsWith('#/components/schemas/'))
      throw new Error(`payload format: ${type}'s data is not a named schema`);
    return { type, summary, event, name: data.slice('#/components/schemas/'.length) };
  });
  return [
    '# Payload format',
    '',
    'Every delivery carries the same envelope: `id` (the event, the same for every retry and redelivery),',
    '`type`, `created_at`, and `data`, whose fields depend on `type`. Each payload is a named schema of',
    "this document (`StrategyDeployedData`, …); the TypeScript SDK types it as `EventData<'strategy.deployed'>`,",
    'and narrows `event.data` by `event.type`. Fields may be added to a payload without notice: ignore',
    'the ones you do not know.',
    '',
    '| type | when | payload |',
    '|---|---|---|',
    ...entries.map(({ type, summary, name }) => `| \`${type}\` | ${summary} | \`${name}\` |`),
    '',
    ...entries.flatMap(({ type, summary, event }) => [
      `## ${type}`,
      '',
      summary,
      '',
      `{% schemaDefinition schemaRef="${event}" /%}`,
      '',
    ]),
  ].join('\n');
}

/**
 * Gives each named event schema its webhook's example body, for the page only: Redoc would otherwise
 * build one from the envelope's parts and show `data: null`.
 */
function withPayloadExamples(spec: Json): void {
  const api = openApi(spec);
  for (const item of Object.values<Json>(spec.webhooks)) {
    const media = api.deref(item.post.requestBody).content['application/json'];
    api.deref(media.schema).examples = [media.example];
  }
}
