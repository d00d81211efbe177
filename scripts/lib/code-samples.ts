// The docs' code samples, written once: each public operation's sample request (its path parameters
// and body are the spec's own examples; the query is chosen below) rendered three ways — curl with
// the signing steps, the TypeScript SDK, and the `pipai` CLI. `pnpm docs` puts them on the page as
// x-codeSamples; packages/client/test/code-samples.test.ts typechecks the TypeScript and runs all
// three against the real server.
import { type Json, openApi } from '../../packages/contract/src/openapi.ts';

export interface SampleRequest {
  operationId: string;
  method: string;
  /** The path template, `/v1/webhooks/{webhook_id}`. */
  template: string;
  pathParams: Record<string, string>;
  query: Record<string, string | number>;
  body?: Json;
}

export interface CodeSample {
  lang: 'Shell' | 'TypeScript';
  label: 'curl' | 'TypeScript' | 'CLI';
  source: string;
}

type Cli = (request: SampleRequest) => string[];

/** The `pipai webhooks create|update` flag of each webhook body field. */
const WEBHOOK_FLAGS = { url: 'url', events: 'events', description: 'description', balance_low_threshold: 'threshold' };

/** Per operation: the query a sample shows (the spec's parameters have no examples to take), and its CLI words. */
const OPERATIONS: Record<string, { query?: SampleRequest['query']; cli: Cli }> = {
  listWebhooks: {
    query: { status: 'active', limit: 10 },
    cli: ({ query }) => ['webhooks', 'list', ...flags(query)],
  },
  createWebhook: { cli: ({ body = {} }) => ['webhooks', 'create', ...bodyFlags(body, WEBHOOK_FLAGS)] },
  getWebhook: { cli: ({ pathParams }) => ['webhooks', 'get', pathParams.webhook_id!] },
  updateWebhook: {
    cli: ({ pathParams, body = {} }) => [
      'webhooks',
      'update',
      pathParams.webhook_id!,
      ...bodyFlags(body, { ...WEBHOOK_FLAGS, status: 'status' }),
    ],
  },
  deleteWebhook: { cli: ({ pathParams }) => ['webhooks', 'delete', pathParams.webhook_id!] },
  rotateWebhookSecret: {
    cli: ({ pathParams, body = {} }) => [
      'webhooks',
      'rotate-secret',
      pathParams.webhook_id!,
      ...flags({ grace: body.grace_period_seconds }),
    ],
  },
  testWebhook: {
    cli: ({ pathParams, body = {} }) => ['webhooks', 'test', pathParams.webhook_id!, ...flags({ type: body.type })],
  },
  listWebhookDeliveries: {
    query: { limit: 10 },
    cli: ({ pathParams, query }) => ['webhooks', 'deliveries', pathParams.webhook_id!, ...flags(query)],
  },
  getWebhookDelivery: {
    cli: ({ pathParams }) => ['webhooks', 'delivery', pathParams.webhook_id!, pathParams.delivery_id!],
  },
  redeliverWebhookDelivery: {
    cli: ({ pathParams }) => ['webhooks', 'redeliver', pathParams.webhook_id!, pathParams.delivery_id!],
  },
  recoverWebhookEvents: {
    cli: ({ pathParams, body = {} }) => [
      'webhooks',
      'recover',
      pathParams.webhook_id!,
      ...flags({ since: body.since, until: body.until }),
    ],
  },
  listEvents: {
    query: { type: 'strategy.deployed', limit: 10 },
    cli: ({ query }) => ['events', 'list', ...flags(query)],
  },
  getEvent: { cli: ({ pathParams }) => ['events', 'get', pathParams.event_id!] },
  listWebhookEventTypes: { cli: () => ['event-types'] },
};

/** `--name value` for each defined value, in order. */
function flags(values: Record<string, unknown>): string[] {
  return Object.entries(values).flatMap(([name, value]) => (value === undefined ? [] : [`--${name}`, String(value)]));
}

/**
 * A webhook body as the CLI's flags: each field by its flag (lists comma-joined), `null` as the
 * flag's `--clear-` form. A field the CLI has no flag for is an error, not a sample that quietly
 * differs from the curl and TypeScript ones.
 */
function bodyFlags(body: Json, flagOf: Record<string, string>): string[] {
  return Object.entries(body).flatMap(([field, value]) => {
    const flag = flagOf[field];
    if (!flag) throw new Error(`code samples: the CLI has no flag for the body field ${field}`);
    if (value === null) return [`--clear-${flag}`];
    return [`--${flag}`, Array.isArray(value) ? value.join(',') : String(value)];
  });
}

/** Every public operation's sample request, in the spec's order; an operation without an entry above is an error. */
export function sampleRequests(spec: Json): SampleRequest[] {
  const api = openApi(spec);
  const example = (node: Json | undefined): unknown => {
    const at = api.deref(node);
    return at.example ?? Object.values<Json>(at.examples ?? {})[0]?.value ?? api.deref(at.schema).examples?.[0];
  };
  return api.operations().map(({ path, method, operation, parameters }) => {
    const entry = OPERATIONS[operation.operationId];
    if (!entry)
      throw new Error(`code samples: no sample for ${operation.operationId}; add it to scripts/lib/code-samples.ts`);
    const pathParams: Record<string, string> = {};
    for (const parameter of parameters.filter((p) => p.in === 'path')) {
      const value = parameter.example ?? api.deref(parameter.schema).examples?.[0];
      if (typeof value !== 'string') throw new Error(`code samples: path parameter ${parameter.name} has no example`);
      pathParams[parameter.name] = value;
    }
    const media = operation.requestBody && api.deref(operation.requestBody).content['application/json'];
    const body = media ? example(media) : undefined;
    return {
      operationId: operation.operationId,
      method: method.toUpperCase(),
      template: path,
      pathParams,
      query: entry.query ?? {},
      ...(body === undefined ? {} : { body: body as Json }),
    };
  });
}

/** The request target as sent: the path with its parameters, and the query string. */
export function targetOf(request: SampleRequest): string {
  const path = request.template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(request.pathParams[name]!),
  );
  const query = new URLSearchParams(Object.entries(request.query).map(([k, v]) => [k, String(v)])).toString();
  return query ? `${path}?${query}` : path;
}

/** A word for a POSIX shell: as it is when safe, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function curl(request: SampleRequest): string {
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  return [
    '# Sign: lowercase hex HMAC-SHA256 of "timestamp\\nMETHOD\\ntarget\\nbody", keyed with your API secret.',
    `TARGET=${shellWord(targetOf(request))}`,
    ...(body === undefined ? [] : [`BODY=${shellWord(body)}`]),
    '# Milliseconds, and a new value for each request: a repeated signature is refused as a replay.',
    `TS=$(perl -MTime::HiRes=time -e 'printf "%d", time * 1000')`,
    `SIG=$(printf '%s\\n%s\\n%s\\n%s' "$TS" ${request.method} "$TARGET" "${body === undefined ? '' : '$BODY'}" \\`,
    `  | openssl dgst -sha256 -hmac "$PIPAI_API_SECRET" | sed 's/^.* //')`,
    '',
    [
      `curl -sS --fail-with-body -X ${request.method} "\${PIPAI_BASE_URL%/}$TARGET"`,
      `-H "X-PipAI-API-Key: $PIPAI_API_KEY"`,
      `-H "X-PipAI-Timestamp: $TS"`,
      `-H "X-PipAI-Signature: $SIG"`,
      ...(body === undefined ? [] : [`-H 'Content-Type: application/json'`, `--data-raw "$BODY"`]),
    ].join(' \\\n  '),
  ].join('\n');
}

/** A value as a TypeScript literal: bare keys, single-quoted strings, an object on one line if it fits. */
function literal(value: unknown, indent = '', column = indent.length): string {
  // JSON's escapes are TypeScript's (newlines, control characters, U+2028); then single quotes.
  if (typeof value === 'string')
    return `'${JSON.stringify(value).slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map((item) => literal(item, indent)).join(', ')}]`;
  if (value && typeof value === 'object') {
    const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : literal(name));
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const oneLine = `{ ${entries.map(([name, item]) => `${key(name)}: ${literal(item)}`).join(', ')} }`;
    if (!oneLine.includes('\n') && column + oneLine.length <= 100) return oneLine;
    const inner = `${indent}  `;
    const fields = entries.map(
      ([name, item]) => `${inner}${key(name)}: ${literal(item, inner, inner.length + key(name).length + 2)},`,
    );
    return `{\n${fields.join('\n')}\n${indent}}`;
  }
  return String(value);
}

function typescript(request: SampleRequest): string {
  const params = {
    ...(Object.keys(request.pathParams).length ? { path: request.pathParams } : {}),
    ...(Object.keys(request.query).length ? { query: request.query } : {}),
  };
  const init = {
    ...(Object.keys(params).length ? { params } : {}),
    ...(request.body === undefined ? {} : { body: request.body }),
  };
  const head = `const { data } = await pipai.${request.method}('${request.template}', `;
  const call = `pipai.${request.method}('${request.template}'${Object.keys(init).length ? `, ${literal(init, '', head.length)}` : ''})`;
  return [
    "import { createPipAIClient } from '@pipai/client';",
    '',
    'const pipai = createPipAIClient({',
    '  baseUrl: process.env.PIPAI_BASE_URL!,',
    '  apiKey: process.env.PIPAI_API_KEY!,',
    '  apiSecret: process.env.PIPAI_API_SECRET!,',
    '  throwOnError: true,',
    '});',
    ...(request.method === 'DELETE' ? [`await ${call};`] : [`const { data } = await ${call};`, 'console.log(data);']),
  ].join('\n');
}

function cli(request: SampleRequest): string {
  return ['pipai', ...OPERATIONS[request.operationId]!.cli(request)].map(shellWord).join(' ');
}

/** The three samples of one request, in the order the page shows them. */
export function codeSamplesOf(request: SampleRequest): CodeSample[] {
  return [
    { lang: 'Shell', label: 'curl', source: curl(request) },
    { lang: 'TypeScript', label: 'TypeScript', source: typescript(request) },
    { lang: 'Shell', label: 'CLI', source: cli(request) },
  ];
}
