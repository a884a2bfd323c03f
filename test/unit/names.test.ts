import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lockName, tableNames } from '../../src/core/names.js';
import { ConfigError } from '../../src/core/errors.js';

function caught(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('tableNames', () => {
  it('derives ghost, changelog and old names', () => {
    expect(tableNames('orders')).toEqual({
      ghost: '_orders_gho',
      changelog: '_orders_ghc',
      old: '_orders_del',
    });
  });

  it('accepts a 59-character table (64 with prefix and suffix)', () => {
    const t = 'a'.repeat(59);
    expect(tableNames(t).ghost).toBe(`_${t}_gho`);
    expect(tableNames(t).ghost).toHaveLength(64);
  });

  it('refuses a 60-character table and says which name and the limit', () => {
    const t = 'a'.repeat(60);
    const err = caught(() => tableNames(t));
    expect(err.code).toBe('NAME_TOO_LONG');
    expect(err.message).toBe(
      `the ghost table name _${t}_gho would have 65 characters; MySQL allows at most 64, so the table name may have at most 59`,
    );
  });

  it('counts characters, not bytes', () => {
    const t = 'é'.repeat(59); // 118 bytes in UTF-8
    expect(tableNames(t).old).toBe(`_${t}_del`);
    expect(caught(() => tableNames('ü'.repeat(60))).code).toBe('NAME_TOO_LONG');
  });

  it('keeps odd characters as they are (quoting happens later)', () => {
    expect(tableNames('we`ird t').ghost).toBe('_we`ird t_gho');
  });
});

describe('lockName', () => {
  it('is osc:<db>.<t> when it fits', () => {
    expect(lockName('shop', 'orders')).toBe('osc:shop.orders');
  });

  it('fits exactly at 64 characters', () => {
    const t = 'b'.repeat(64 - 'osc:d.'.length);
    expect(lockName('d', t)).toBe(`osc:d.${t}`);
    expect(lockName('d', t)).toHaveLength(64);
  });

  it('hashes long names deterministically to 64 characters', () => {
    const db = 'd'.repeat(64);
    const t = 't'.repeat(64);
    const hex = createHash('sha256').update(`${db}.${t}`).digest('hex');
    expect(lockName(db, t)).toBe(`osc:${hex.slice(0, 60)}`);
    expect(lockName(db, t)).toHaveLength(64);
    expect(lockName(db, t)).toBe(lockName(db, t));
    expect(lockName(db, t + 'x')).not.toBe(lockName(db, t));
  });
});
