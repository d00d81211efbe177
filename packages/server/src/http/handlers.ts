// One handler per operation: translate HTTP to one domain call and back, nothing else.
import { eventCatalog } from '@pipai/contract';
import type { DeliveryService } from '../domain/delivery-service.ts';
import type { EventLog } from '../domain/event-log.ts';
import type { EventService } from '../domain/event-service.ts';
import type { WebhookService } from '../domain/webhook-service.ts';
import type { OperationHandlers } from './operation-types.ts';
import { principalOf } from './security.ts';

export function operationHandlers({
  webhooks,
  deliveries,
  events,
  eventLog,
}: {
  webhooks: WebhookService;
  deliveries: DeliveryService;
  events: EventService;
  eventLog: EventLog;
}): OperationHandlers {
  // `res.json` takes only the operation's success body as the spec defines it (operation-types.ts).
  return {
    createWebhook: async (req, res) => {
      const created = await webhooks.create(principalOf(res), req.body);
      res.status(201).location(`/v1/webhooks/${created.id}`).json(created);
    },
    listWebhooks: async (req, res) => {
      res.json(await webhooks.list(principalOf(res), req.query));
    },
    getWebhook: async (req, res) => {
      res.json(await webhooks.get(principalOf(res), req.params.webhook_id));
    },
    updateWebhook: async (req, res) => {
      res.json(await webhooks.update(principalOf(res), req.params.webhook_id, req.body));
    },
    deleteWebhook: async (req, res) => {
      await webhooks.delete(principalOf(res), req.params.webhook_id);
      res.status(204).end();
    },
    listEvents: async (req, res) => {
      res.json(await eventLog.list(principalOf(res), req.query));
    },
    getEvent: async (req, res) => {
      res.json(await eventLog.get(principalOf(res), req.params.event_id));
    },
    listWebhookEventTypes: (_req, res) => {
      res.json({ data: [...eventCatalog] });
    },
    rotateWebhookSecret: async (req, res) => {
      res.json(await webhooks.rotateSecret(principalOf(res), req.params.webhook_id, req.body?.grace_period_seconds));
    },
    testWebhook: async (req, res) => {
      res.json(await deliveries.test(principalOf(res), req.params.webhook_id, req.body?.type));
    },
    listWebhookDeliveries: async (req, res) => {
      res.json(await deliveries.list(principalOf(res), req.params.webhook_id, req.query));
    },
    getWebhookDelivery: async (req, res) => {
      res.json(await deliveries.get(principalOf(res), req.params.webhook_id, req.params.delivery_id));
    },
    redeliverWebhookDelivery: async (req, res) => {
      res.status(202).json(await deliveries.redeliver(principalOf(res), req.params.webhook_id, req.params.delivery_id));
    },
    recoverWebhookEvents: async (req, res) => {
      res.status(202).json(await deliveries.recover(principalOf(res), req.params.webhook_id, req.body));
    },
    publishEvent: async (req, res) => {
      res.status(202).json({ events: await events.publish(req.body.account, req.body.type, req.body.data) });
    },
    reportBalance: async (req, res) => {
      const { account, balance } = req.body;
      res.status(202).json({ events: await events.reportBalance(account, balance.asset, balance.available) });
    },
  };
}
