// One handler per operation: translate HTTP to one domain call and back, nothing else.
import { eventCatalog } from '@pipai/contract';
import type { DeliveryService } from '../domain/delivery-service.ts';
import type { EventService } from '../domain/event-service.ts';
import type { WebhookService } from '../domain/webhook-service.ts';
import type { OperationHandlers, ResponseBody } from './operation-types.ts';
import { principalOf } from './security.ts';

export function operationHandlers({
  webhooks,
  deliveries,
  events,
}: {
  webhooks: WebhookService;
  deliveries: DeliveryService;
  events: EventService;
}): OperationHandlers {
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
      const webhook: ResponseBody<'updateWebhook', 200> = await webhooks.update(
        principalOf(res),
        req.params.webhook_id,
        req.body,
      );
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
    rotateWebhookSecret: async (req, res) => {
      const rotation: ResponseBody<'rotateWebhookSecret', 200> = await webhooks.rotateSecret(
        principalOf(res),
        req.params.webhook_id,
        req.body?.grace_period_seconds,
      );
      res.json(rotation);
    },
    testWebhook: async (req, res) => {
      const result: ResponseBody<'testWebhook', 200> = await deliveries.test(
        principalOf(res),
        req.params.webhook_id,
        req.body?.type,
      );
      res.json(result);
    },
    listWebhookDeliveries: async (req, res) => {
      const page: ResponseBody<'listWebhookDeliveries', 200> = await deliveries.list(
        principalOf(res),
        req.params.webhook_id,
        req.query,
      );
      res.json(page);
    },
    redeliverWebhookDelivery: async (req, res) => {
      const accepted: ResponseBody<'redeliverWebhookDelivery', 202> = await deliveries.redeliver(
        principalOf(res),
        req.params.webhook_id,
        req.params.delivery_id,
      );
      res.status(202).json(accepted);
    },
    publishEvent: async (req, res) => {
      const published: ResponseBody<'publishEvent', 202> = {
        events: await events.publish(req.body.account, req.body.type, req.body.data),
      };
      res.status(202).json(published);
    },
    reportBalance: async (req, res) => {
      const { account, balance } = req.body;
      const published: ResponseBody<'reportBalance', 202> = {
        events: await events.reportBalance(account, balance.asset, balance.available),
      };
      res.status(202).json(published);
    },
  };
}
