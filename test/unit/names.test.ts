import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultSocketFile, lockName, qualifiedKey, tableNames } from '../../src/core/names.js';
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
      checkpoint: '_orders_ghk',
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

describe('qualifiedKey', () => {
  it('is <db>.<t> for ordinary names, odd characters included', () => {
    expect(qualifiedKey('shop', 'orders')).toBe('shop.orders');
    expect(qualifiedKey('Shop `db` é', 'we`ird t-9')).toBe('Shop `db` é.we`ird t-9');
  });

  it('escapes dots, slashes and the escape itself, so that no two tables share a key', () => {
    expect(qualifiedKey('a.b', 'c/d%')).toBe('a%2Eb.c%2Fd%25');
    expect(qualifiedKey('a.b', 'c')).not.toBe(qualifiedKey('a', 'b.c'));
    expect(lockName('a.b', 'c')).toBe('osc:a%2Eb.c');
  });
});

describe('defaultSocketFile', () => {
  it('is /tmp/osc.<db>.<t>.sock, one file directly in /tmp whatever the names hold', () => {
    expect(defaultSocketFile('shop', 'orders')).toBe('/tmp/osc.shop.orders.sock');
    expect(defaultSocketFile('shop', 'order items/2024.q1')).toBe('/tmp/osc.shop.order items%2F2024%2Eq1.sock');
  });

  it('fits exactly at 107 bytes, counting bytes, not characters', () => {
    const t = 'é'.repeat(45) + 'x'; // 91 bytes: 107 with /tmp/osc.d. and .sock
    expect(Buffer.byteLength(defaultSocketFile('d', t))).toBe(107);
    expect(defaultSocketFile('d', t)).toBe(`/tmp/osc.d.${t}.sock`);
    expect(defaultSocketFile('d', t + 'x')).toMatch(/^\/tmp\/osc\.[0-9a-f]{40}\.sock$/);
  });

  it('hashes names too long for a socket path, deterministically', () => {
    const t = 'é'.repeat(59);
    const hex = createHash('sha256').update(`d.${t}`).digest('hex');
    expect(defaultSocketFile('d', t)).toBe(`/tmp/osc.${hex.slice(0, 40)}.sock`);
    expect(defaultSocketFile('d', t + 'x')).not.toBe(defaultSocketFile('d', t));
  });
});
