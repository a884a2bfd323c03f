import { describe, expect, it } from 'vitest';
import { createTablePlan } from '../../src/plan.js';
import type { ChunkKey, Column, ServerInfo } from '../../src/core/types.js';

const id: Column = {
  name: 'id',
  dataType: 'int',
  columnType: 'int',
  nullable: false,
  generation: null,
  generationExpression: null,
  charset: null,
  collation: null,
};
const key: ChunkKey = {
  name: 'PRIMARY',
  ghostName: 'PRIMARY',
  columns: [id],
  ghostColumns: [id],
  ghostSources: [id],
  exactColumns: [],
};
const mysql: ServerInfo = { flavor: 'mysql', version: '9.7.0', major: 9, minor: 7, patch: 0 };
const mariadb: ServerInfo = { flavor: 'mariadb', version: '10.11.14-MariaDB', major: 10, minor: 11, patch: 14 };
const args = {
  database: 'shop',
  table: 'orders',
  mapping: [{ source: id, target: id }],
  key,
  ghostUniqueKeys: [{ name: 'PRIMARY', columns: ['id'], primary: true }],
};

describe('createTablePlan', () => {
  it("names osc's tables after the original and takes the lock clause from the flavour", () => {
    const plan = createTablePlan({ ...args, server: mysql });
    expect(plan).toEqual({
      ...args,
      server: mysql,
      ghost: '_orders_gho',
      changelog: '_orders_ghc',
      old: '_orders_del',
      checkpoint: '_orders_ghk',
      lock: 'FOR SHARE',
    });
    expect(createTablePlan({ ...args, server: mariadb }).lock).toBe('LOCK IN SHARE MODE');
  });
  it('is read-only once built', () => {
    const plan = createTablePlan({ ...args, server: mysql });
    expect(Object.isFrozen(plan)).toBe(true);
    expect(() => Object.assign(plan, { table: 'other' })).toThrow(TypeError);
  });
});
