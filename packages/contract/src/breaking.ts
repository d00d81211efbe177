// The breaking-change gate: compares a released public spec with the current one and sorts every
// difference a client could notice into breaking and additive.
import { HTTP_METHODS, type Json, openApi } from './openapi.ts';

export interface SpecChange {
  kind: 'breaking' | 'additive';
  rule: string;
  where: string;
}

type Direction = 'request' | 'response';

export function compareSpecs(base: Json, head: Json): SpecChange[] {
  const changes: SpecChange[] = [];
  const note = (kind: SpecChange['kind'], rule: string, where: string) => changes.push({ kind, rule, where });

  const derefIn = (document: Json) => {
    const api = openApi(document);
    /** allOf merged, and an anyOf of enums merged into one enum (the shape of EventPattern). */
    const flatten = (node: Json | undefined): Json => {
      const schema = { ...api.flatten(node) };
      if (schema.anyOf?.every((branch: Json) => flatten(branch).enum)) {
        schema.enum = schema.anyOf.flatMap((branch: Json) => flatten(branch).enum);
        schema.type ??= flatten(schema.anyOf[0]).type;
        delete schema.anyOf;
      }
      return schema;
    };
    return { deref: api.deref, flatten };
  };
  const b = derefIn(base);
  const h = derefIn(head);
  const typesOf = (schema: Json): string[] =>
    Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];

  function compareSchema(
    baseNode: Json | undefined,
    headNode: Json | undefined,
    direction: Direction,
    where: string,
    seen = 0,
  ): void {
    if (seen > 12) return;
    const was = b.flatten(baseNode);
    const now = h.flatten(headNode);
    const wasTypes = typesOf(was);
    const nowTypes = typesOf(now);
    if (wasTypes.length && nowTypes.length) {
      const accepted =
        direction === 'request'
          ? wasTypes.every((type) => nowTypes.includes(type))
          : nowTypes.every((type) => wasTypes.includes(type));
      if (!accepted)
        note(
          'breaking',
          direction === 'request' ? 'type-narrowed' : 'response-type-changed',
          `${where}: ${wasTypes.join('|')} -> ${nowTypes.join('|')}`,
        );
    }
    if (was.enum || now.enum) {
      const before: unknown[] = was.enum ?? [];
      const after: unknown[] = now.enum ?? [];
      for (const value of before.filter((value) => !after.includes(value))) {
        if (now.enum) note('breaking', 'enum-value-removed', `${where}: ${JSON.stringify(value)}`);
      }
      for (const value of after.filter((value) => !before.includes(value))) {
        if (was.enum) note('additive', 'enum-value-added', `${where}: ${JSON.stringify(value)}`);
      }
      if (!was.enum && now.enum && direction === 'request')
        note('breaking', 'constraint-tightened', `${where}: now an enum`);
    }
    if (direction === 'request') {
      const tighter = (keyword: string, stricter: (before: number, after: number) => boolean) => {
        const before = was[keyword];
        const after = now[keyword];
        if (after !== undefined && (before === undefined || stricter(before, after))) {
          note('breaking', 'constraint-tightened', `${where}: ${keyword} ${before ?? 'none'} -> ${after}`);
        }
      };
      tighter('maxLength', (before, after) => after < before);
      tighter('maximum', (before, after) => after < before);
      tighter('maxItems', (before, after) => after < before);
      tighter('minLength', (before, after) => after > before);
      tighter('minimum', (before, after) => after > before);
      tighter('minItems', (before, after) => after > before);
      if (now.pattern && now.pattern !== was.pattern)
        note('breaking', 'constraint-tightened', `${where}: pattern ${was.pattern ?? 'none'} -> ${now.pattern}`);
      if (now.const !== undefined && now.const !== was.const)
        note('breaking', 'constraint-tightened', `${where}: const ${JSON.stringify(now.const)}`);
      const closed = (schema: Json) => schema.additionalProperties === false || schema.unevaluatedProperties === false;
      if (closed(now) && !closed(was))
        note('breaking', 'constraint-tightened', `${where}: closed to unknown properties`);
    }

    const wasProperties: Json = was.properties ?? {};
    const nowProperties: Json = now.properties ?? {};
    const wasRequired: string[] = was.required ?? [];
    const nowRequired: string[] = now.required ?? [];
    for (const property of Object.keys(wasProperties)) {
      const at = `${where}.${property}`;
      if (!(property in nowProperties)) {
        note('breaking', direction === 'request' ? 'request-property-removed' : 'response-property-removed', at);
        continue;
      }
      if (direction === 'response' && wasRequired.includes(property) && !nowRequired.includes(property)) {
        note('breaking', 'response-property-optional', at);
      }
      compareSchema(wasProperties[property], nowProperties[property], direction, at, seen + 1);
    }
    for (const property of Object.keys(nowProperties).filter((property) => !(property in wasProperties))) {
      const at = `${where}.${property}`;
      if (direction === 'request' && nowRequired.includes(property)) note('breaking', 'request-property-required', at);
      else note('additive', direction === 'request' ? 'request-property-added' : 'response-property-added', at);
    }
    if (direction === 'request') {
      for (const property of nowRequired.filter(
        (property) => property in wasProperties && !wasRequired.includes(property),
      )) {
        note('breaking', 'request-property-required', `${where}.${property}`);
      }
    }
    if (was.items || now.items) compareSchema(was.items, now.items, direction, `${where}[]`, seen + 1);
  }

  const operationsOf = (document: Json) =>
    new Map(
      Object.entries<Json>(document.paths ?? {}).flatMap(([path, item]) =>
        HTTP_METHODS.filter((method) => item[method]).map(
          (method) => [`${method.toUpperCase()} ${path}`, { item, operation: item[method] }] as const,
        ),
      ),
    );
  const baseOperations = operationsOf(base);
  const headOperations = operationsOf(head);
  for (const key of headOperations.keys()) if (!baseOperations.has(key)) note('additive', 'operation-added', key);

  for (const [key, { item, operation }] of baseOperations) {
    const current = headOperations.get(key);
    if (!current) {
      note('breaking', 'operation-removed', key);
      continue;
    }
    const parametersOf = (deref: (node: Json) => Json, pathItem: Json, op: Json) =>
      new Map(
        [...(pathItem.parameters ?? []), ...(op.parameters ?? [])]
          .map(deref)
          .map((parameter: Json) => [`${parameter.in} ${parameter.name}`, parameter]),
      );
    const wasParameters = parametersOf(b.deref, item, operation);
    const nowParameters = parametersOf(h.deref, current.item, current.operation);
    for (const [name, parameter] of wasParameters) {
      const now = nowParameters.get(name);
      if (!now) note('breaking', 'parameter-removed', `${key} ${name}`);
      else {
        if (now.required && !parameter.required) note('breaking', 'parameter-required', `${key} ${name}`);
        compareSchema(parameter.schema, now.schema, 'request', `${key} ${name}`);
      }
    }
    for (const [name, parameter] of nowParameters) {
      if (!wasParameters.has(name))
        note(
          parameter.required ? 'breaking' : 'additive',
          parameter.required ? 'parameter-required' : 'parameter-added',
          `${key} ${name}`,
        );
    }

    const wasBody = b.deref(operation.requestBody);
    const nowBody = h.deref(current.operation.requestBody);
    if (nowBody.required && !wasBody.required) note('breaking', 'request-body-required', key);
    const wasJson = wasBody.content?.['application/json']?.schema;
    const nowJson = nowBody.content?.['application/json']?.schema;
    if (wasJson && nowJson) compareSchema(wasJson, nowJson, 'request', `${key} body`);

    for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
      const now = current.operation.responses?.[status];
      if (!now) {
        if (status.startsWith('2')) note('breaking', 'response-removed', `${key} ${status}`);
        continue;
      }
      for (const [mediaType, media] of Object.entries<Json>(b.deref(response).content ?? {})) {
        const nowMedia = h.deref(now).content?.[mediaType];
        if (!nowMedia) note('breaking', 'response-removed', `${key} ${status} ${mediaType}`);
        else compareSchema(media.schema, nowMedia.schema, 'response', `${key} ${status}`);
      }
    }
  }

  for (const [type, item] of Object.entries<Json>(base.webhooks ?? {})) {
    const now = head.webhooks?.[type];
    if (!now) {
      note('breaking', 'event-type-removed', type);
      continue;
    }
    const payload = (document: Json, node: Json) =>
      derefIn(document).deref(node.post?.requestBody).content?.['application/json']?.schema;
    const before = changes.length;
    compareSchema(payload(base, item), payload(head, now), 'response', `event ${type}`);
    // A payload field that disappears is an event field removed.
    for (const change of changes.slice(before))
      if (change.rule === 'response-property-removed') change.rule = 'event-field-removed';
  }
  for (const type of Object.keys(head.webhooks ?? {}))
    if (!base.webhooks?.[type]) note('additive', 'event-type-added', type);
  return changes;
}
