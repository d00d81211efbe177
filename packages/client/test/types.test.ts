// Type-level tests: what a consumer's `tsc --strict` accepts and refuses. Vitest runs the file (the
// assertions are compile-time no-ops at run time); the typecheck step (tsc) is what judges them.
import type { components, EventData, WebhookEvent } from '@pipai/contract';
import { describe, expectTypeOf, it } from 'vitest';
import { createPipAIClient, type PipAIClient, type ThrowingPipAIClient } from '../src/index.ts';

const options = { baseUrl: 'https://api.pipai.example', apiKey: 'key_3030fbb9aa81b653', apiSecret: 'x' };

describe('types', () => {
  it("narrows a delivery's event by its type, to exactly that payload", () => {
    const handle = (event: WebhookEvent) => {
      if (event.type === 'strategy.deployed') {
        expectTypeOf(event.data.strategy_id).toEqualTypeOf<components['schemas']['StrategyId']>();
        expectTypeOf(event.data.mode).toEqualTypeOf<'live' | 'paper'>();
        // @ts-expect-error a misspelt field is not a field of the payload
        void event.data.stategy_id;
      }
      if (event.type === 'backtest.job_done') {
        expectTypeOf(event.data.metrics.sharpe_ratio).toEqualTypeOf<number>();
        // @ts-expect-error another event's field
        void event.data.symbols;
      }
    };
    void handle;
  });

  it('names every payload in the spec: each event and its data are components', () => {
    type Schemas = components['schemas'];
    expectTypeOf<Extract<WebhookEvent, { type: 'strategy.order_filled' }>>().toEqualTypeOf<
      Schemas['StrategyOrderFilledEvent']
    >();
    expectTypeOf<EventData<'strategy.order_filled'>>().toEqualTypeOf<Schemas['StrategyOrderFilledData']>();
    expectTypeOf<EventData<'account.balance_low'>>().toEqualTypeOf<Schemas['AccountBalanceLowData']>();
    expectTypeOf<EventData<'backtest.job_done'>['metrics']['trades']>().toEqualTypeOf<number>();
    // @ts-expect-error not an event type
    expectTypeOf<EventData<'strategy.exploded'>>().toBeObject();
    const order: EventData<'strategy.order_filled'> = {
      strategy_id: 'stg_7d2c90e1',
      order_id: 'ord_9c03d7e2a1',
      symbol: 'BTC-USDT',
      side: 'buy',
      order_type: 'limit',
      quantity: '0.25',
      price: '64210.50',
      fee: '16.05',
      fee_currency: 'USDT',
      filled_at: '2026-04-29T12:01:04Z',
      // @ts-expect-error a field the payload does not have
      fill_id: 'x',
    };
    void order;
  });

  it('types request bodies by the spec', () => {
    const client = createPipAIClient(options);
    const create = () =>
      client.POST('/v1/webhooks', { body: { url: 'https://hooks.example.com/pipai', events: ['strategy.*'] } });
    expectTypeOf(create).returns.resolves.toHaveProperty('data');
    // @ts-expect-error an event pattern the spec does not know
    const wrong = () => client.POST('/v1/webhooks', { body: { url: 'https://hooks.example.com/', events: ['nope'] } });
    void wrong;
  });

  it('with throwOnError, data is never optional; without it, data and error are a union', () => {
    const throwing = createPipAIClient({ ...options, throwOnError: true });
    expectTypeOf(throwing).toEqualTypeOf<ThrowingPipAIClient>();
    const get = () => throwing.GET('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: 'wh_2a4f10' } } });
    expectTypeOf(get).returns.resolves.toHaveProperty('data').toEqualTypeOf<components['schemas']['Webhook']>();
    const plain = createPipAIClient(options);
    expectTypeOf(plain).toEqualTypeOf<PipAIClient>();
    const maybe = () => plain.GET('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: 'wh_2a4f10' } } });
    expectTypeOf(maybe)
      .returns.resolves.toHaveProperty('data')
      .toEqualTypeOf<components['schemas']['Webhook'] | undefined>();
  });
});
