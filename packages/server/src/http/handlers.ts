// One handler per operation: translate HTTP to one domain call and back, nothing else.
import { eventCatalog } from '@pipai/contract';
import type { WebhookService } from '../domain/webhook-service.ts';
import type { OperationHandlers, ResponseBody } from './operation-types.ts';
import { principalOf } from './security.ts';

export function webhookHandlers(webhooks: WebhookService): OperationHandlers {
  return {
    createWebhook: async (req, res) => {
      const created: ResponseBody<'createWebhook', 201> = await webhooks.create(principalOf(res), req.body);
      res.status(201).location(`/v1/webhooks/${created.id}`).json(created);
    },
    listWebhooks: async (req, res) => {
      const page: ResponseBody<'listWebhooks', 200> = await webhooks.list(principalOf(res), req.query);
      res.json(page);
    },
    getWebhook: async (req, res) => {
      const webhook: ResponseBody<'getWebhook', 200> = await webhooks.get(principalOf(res), req.params.webhook_id);
      res.json(webhook);
    },
    updateWebhook: async (req, res) => {
      const webhook: ResponseBody<'updateWebhook', 200> = await webhooks.update(principalOf(res), req.params.webhook_id, req.body);
      res.json(webhook);
    },
    deleteWebhook: async (req, res) => {
      await webhooks.delete(principalOf(res), req.params.webhook_id);
      res.status(204).end();
    },
    listWebhookEventTypes: (_req, res) => {
      const catalog: ResponseBody<'listWebhookEventTypes', 200> = { data: [...eventCatalog] };
      res.json(catalog);
    },
  };
}
