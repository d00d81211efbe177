// @pipai/client: the typed SDK of the PipAI Webhooks API. Runs on Node 20+ and in browsers.

export type {
  components,
  ErrorCode,
  EventData,
  operations,
  Problem,
  paths,
  WebhookEvent,
  webhooks,
} from '@pipai/contract';
export {
  createPipAIClient,
  type PipAIClient,
  type PipAIClientOptions,
  type RateLimitRetryOptions,
  type ThrowingPipAIClient,
} from './client.ts';
export { PipAIError } from './errors.ts';
export { type PageItem, type PaginatedPath, paginate } from './paginate.ts';
export { type VerifyWebhookOptions, verifyWebhook, type WebhookHeaders, WebhookVerificationError } from './verify.ts';
