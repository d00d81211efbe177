// @pipai/contract: the types generated from the spec, and the helpers every package shares.
// Browser-safe: no Node APIs here (the spec files' paths are in ./node.ts).

export { specDefaults } from '../generated/defaults.ts';
export { errorCatalog } from '../generated/errors.ts';
export type {
  components as InternalComponents,
  operations as InternalOperations,
  paths as InternalPaths,
} from '../generated/internal-schema.d.ts';
export { specLimits } from '../generated/limits.ts';
export type { components, operations, paths, webhooks } from '../generated/schema.d.ts';
export * from './events.ts';

import type { components, webhooks } from '../generated/schema.d.ts';

/** Any delivery's body: the union of every event payload under `webhooks`, discriminated by `type`. */
export type WebhookEvent = {
  [Type in keyof webhooks]: NonNullable<webhooks[Type]['post']['requestBody']>['content']['application/json'];
}[keyof webhooks];

/** The payload (`data`) of one event type: the spec's named `…Data` schema (`StrategyDeployedData`). */
export type EventData<Type extends WebhookEvent['type']> = Extract<WebhookEvent, { type: Type }>['data'];

export type ErrorCode = components['schemas']['ErrorCode'];
export type Problem = components['schemas']['Problem'];
