import { describe, expect, it } from 'vitest';
import { columnList, qualify, quoteId } from '../../src/core/sql/quote.js';
import { ConfigError } from '../../src/core/errors.js';

describe('quoteId', () => {
  it('wraps plain names', () => {
    expect(quoteId('orders')).toBe('`orders`');
  });
  it('doubles backticks', () => {
    expect(quoteId('a`b')).toBe('`a``b`');
    expect(quoteId('``')).toBe('``````');
  });
  it('keeps spaces, dots, quotes and unicode as they are', () => {
    expect(quoteId('my table.x')).toBe('`my table.x`');
    expect(quoteId('it\'s "q"')).toBe('`it\'s "q"`');
    expect(quoteId('façade_ü')).toBe('`façade_ü`');
  });
  it('refuses empty names and NUL', () => {
    expect(() => quoteId('')).toThrow(ConfigError);
    expect(() => quoteId('a\0b')).toThrow(ConfigError);
    try {
      quoteId('');
    } catch (err) {
      expect((err as ConfigError).code).toBe('BAD_USAGE');
    }
  });
});

describe('qualify', () => {
  it('quotes both parts', () => {
    expect(qualify('shop', 'orders')).toBe('`shop`.`orders`');
    expect(qualify('s`p', 'o.r')).toBe('`s``p`.`o.r`');
  });
});

describe('columnList', () => {
  it('joins quoted names with comma and space', () => {
    expect(columnList(['id', 'na`me'])).toBe('`id`, `na``me`');
  });
  it('is empty for no columns', () => {
    expect(columnList([])).toBe('');
  });
});
