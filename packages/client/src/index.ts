// @pipai/client: the typed SDK of the PipAI Webhooks API. Runs on Node 20+ and in browsers.
export { createPipAIClient, type PipAIClient, type PipAIClientOptions, type RateLimitRetryOptions } from './client.ts';
export { PipAIError } from './errors.ts';
export { paginate, type PageItem, type PaginatedPath } from './paginate.ts';
export { verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions, type WebhookHeaders } from './verify.ts';
export type { components, ErrorCode, operations, paths, Problem, WebhookEvent, webhooks } from '@pipai/contract';
