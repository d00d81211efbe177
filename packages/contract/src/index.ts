// @pipai/contract: the types generated from the spec, and the helpers every package shares.
// Browser-safe: no Node APIs here (the spec files' paths are in ./node.ts).
export type { components, operations, paths, webhooks } from '../generated/schema.d.ts';
export type {
  components as InternalComponents,
  operations as InternalOperations,
  paths as InternalPaths,
} from '../generated/internal-schema.d.ts';
export * from './events.ts';
