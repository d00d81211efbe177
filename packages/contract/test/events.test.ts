import { describe, expect, it } from 'vitest';
import {
  eventCatalog,
  eventTypes,
  eventTypesCoveredBy,
  eventWildcards,
  isEventPattern,
  isEventType,
  matchesEvent,
  patternsOverlap,
  subscriptionMatches,
  UnknownEventPatternError,
} from '../src/events.ts';
import { loadInternalSpec, loadPublicSpec } from './support.ts';

const DESIGN_TYPES = [
  'strategy.deployed',
  'strategy.stopped',
  'strategy.position_opened',
  'strategy.position_closed',
  'strategy.order_filled',
  'strategy.error',
  'backtest.job_started',
  'backtest.job_done',
  'backtest.job_failed',
  'account.balance_low',
  'account.api_key_rotated',
];

describe('the event catalog is the spec', () => {
  const spec = loadPublicSpec();

  it('equals the keys of `webhooks`, in order, and the 11 types of the catalog', () => {
    expect(eventCatalog.map((e) => e.type)).toEqual(Object.keys(spec.webhooks));
    expect([...eventTypes]).toEqual(DESIGN_TYPES);
  });

  it('equals the EventType enum, and the wildcards equal EventWildcard', () => {
    expect(spec.components.schemas.EventType.enum).toEqual(Object.keys(spec.webhooks));
    expect([...eventWildcards]).toEqual(spec.components.schemas.EventWildcard.enum);
  });

  it('points each type at its payload schema, whose `type` is that event', () => {
    for (const entry of eventCatalog) {
      const schema = entry.payload_schema
        .slice(2)
        .split('/')
        .map((key) => key.replaceAll('~1', '/'))
        .reduce((node: any, key) => node[key], spec);
      expect(schema.properties.type.const, entry.type).toBe(entry.type);
      // Every payload is named: StrategyDeployedEvent, whose data is StrategyDeployedData.
      const name = entry.payload_schema.replace('#/components/schemas/', '');
      expect(name).toMatch(/^[A-Z][A-Za-z]+Event$/);
      expect(schema.properties.data.$ref).toBe(`#/components/schemas/${name.replace(/Event$/, 'Data')}`);
      expect(entry.category).toBe(entry.type.split('.')[0]);
      expect(entry.summary.length, entry.type).toBeGreaterThan(10);
    }
  });

  it('gives the public and internal bundles the same webhooks', () => {
    expect(loadInternalSpec().webhooks).toEqual(spec.webhooks);
  });
});

describe('the event matcher', () => {
  const expected: Record<string, (type: string) => boolean> = {
    '*': () => true,
    'strategy.*': (type) => type.startsWith('strategy.'),
    'backtest.*': (type) => type.startsWith('backtest.'),
    'account.*': (type) => type.startsWith('account.'),
  };

  for (const wildcard of ['*', 'strategy.*', 'backtest.*', 'account.*']) {
    it(`${wildcard} against every catalog type`, () => {
      for (const type of DESIGN_TYPES) expect(matchesEvent(wildcard, type), type).toBe(expected[wildcard]!(type));
    });
  }

  it('a concrete type matches itself only', () => {
    for (const pattern of DESIGN_TYPES) {
      for (const type of DESIGN_TYPES) expect(matchesEvent(pattern, type)).toBe(pattern === type);
    }
  });

  it('rejects unknown patterns and unknown types', () => {
    for (const bad of [
      'strategy',
      'strategy.',
      'strategy.**',
      'strat*',
      '*.deployed',
      'STRATEGY.*',
      'unknown.*',
      'strategy.nope',
      '',
      ' *',
    ]) {
      expect(isEventPattern(bad), bad).toBe(false);
      expect(() => matchesEvent(bad, 'strategy.deployed'), bad).toThrow(UnknownEventPatternError);
      expect(() => eventTypesCoveredBy(bad), bad).toThrow(UnknownEventPatternError);
    }
    expect(() => matchesEvent('*', 'strategy.nope')).toThrow(UnknownEventPatternError);
    expect(isEventType('strategy.*')).toBe(false);
    expect(isEventType('strategy.deployed')).toBe(true);
    expect(isEventPattern('strategy.*')).toBe(true);
    expect(isEventPattern(42)).toBe(false);
  });

  it('patterns overlap when they cover a type in common (the list filter with a wildcard)', () => {
    expect(patternsOverlap('strategy.*', 'strategy.deployed')).toBe(true);
    expect(patternsOverlap('strategy.deployed', 'strategy.*')).toBe(true);
    expect(patternsOverlap('*', 'backtest.*')).toBe(true);
    expect(patternsOverlap('strategy.*', 'backtest.*')).toBe(false);
    expect(patternsOverlap('account.balance_low', 'account.api_key_rotated')).toBe(false);
    expect(() => patternsOverlap('strategy.*', 'nope.*')).toThrow(UnknownEventPatternError);
  });

  it('a subscription matches when any of its patterns does', () => {
    expect(subscriptionMatches(['backtest.job_done', 'strategy.*'], 'strategy.error')).toBe(true);
    expect(subscriptionMatches(['backtest.job_done'], 'strategy.error')).toBe(false);
    expect(subscriptionMatches([], 'strategy.error')).toBe(false);
  });
});
