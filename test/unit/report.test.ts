// The plan's column lines: what is copied, dropped, new, and computed by the server.
import { describe, expect, test } from 'vitest';
import { renderPlan, type PlanFacts } from '../../src/core/report.js';
import { mapColumns } from '../../src/core/schema.js';
import type { Column, TableSchema } from '../../src/core/types.js';

function col(name: string, generation: Column['generation'] = null): Column {
  return {
    name,
    dataType: 'int',
    columnType: 'int',
    nullable: false,
    generation,
    generationExpression: generation === null ? null : '`id` * 2',
    charset: null,
    collation: null,
  };
}

function schema(table: string, columns: readonly Column[]): TableSchema {
  return { database: 'shop', table, columns, uniqueKeys: [{ name: 'PRIMARY', columns: ['id'], primary: true }] };
}

function plan(
  original: TableSchema,
  altered: TableSchema,
  alter: string,
  renames: ReadonlyMap<string, string>,
  dropped: readonly string[],
): string {
  const mapping = mapColumns(original, altered, renames, dropped);
  const id = mapping[0] as (typeof mapping)[number];
  const facts: PlanFacts = {
    server: { flavor: 'mysql', version: '9.7.0', major: 9, minor: 7, patch: 0 },
    address: '127.0.0.1:3326',
    database: 'shop',
    table: 'orders',
    alter,
    ghost: '_orders_gho',
    original,
    altered,
    mapping,
    renames,
    key: {
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [id.source],
      ghostColumns: [id.target],
      ghostSources: [id.source],
      exactColumns: [],
    },
    estimatedRows: 10,
    exactRowcount: false,
    execute: true,
    notes: [],
  };
  return renderPlan(facts);
}

const columnLines = (text: string) =>
  text.split('\n').filter((l) => /^ {2}(shared|renamed|dropped|new|generated)/.test(l));

describe('renderPlan', () => {
  test('columns with expression defaults (plain on both) are shared; generated ones are listed with their kind', () => {
    // created_at has DEFAULT CURRENT_TIMESTAMP: the inspector reads it as a plain column (generation null).
    const o = schema('orders', [col('id'), col('created_at'), col('total', 'stored'), col('label', 'virtual')]);
    const g = schema('_orders_gho', [
      col('id'),
      col('created_at'),
      col('total', 'stored'),
      col('label', 'virtual'),
      col('extra'),
    ]);
    expect(columnLines(plan(o, g, 'ADD COLUMN extra INT', new Map(), []))).toEqual([
      '  shared columns:  id, created_at',
      '  renamed columns: (none)',
      '  dropped columns: (none)',
      '  new columns:     extra',
      '  generated:       total (stored), label (virtual): computed by the server from other columns, not copied',
    ]);
  });

  test('a STORED column made plain is shared (copied); a plain column made generated is computed', () => {
    const o = schema('orders', [col('id'), col('total', 'stored'), col('qty')]);
    const g = schema('_orders_gho', [col('id'), col('total'), col('qty', 'stored')]);
    expect(columnLines(plan(o, g, 'MODIFY total INT NULL, MODIFY qty INT AS (id) STORED', new Map(), []))).toEqual([
      '  shared columns:  id, total',
      '  renamed columns: (none)',
      '  dropped columns: (none)',
      '  new columns:     (none)',
      '  generated:       qty (stored): computed by the server from other columns, not copied',
    ]);
  });

  test('a column dropped and added again is dropped and new; a dropped generated column is dropped', () => {
    const o = schema('orders', [col('id'), col('c1'), col('a'), col('b'), col('v', 'virtual')]);
    const g = schema('_orders_gho', [col('id'), col('a'), col('C1')]);
    expect(
      columnLines(
        plan(
          o,
          g,
          'DROP COLUMN c1, DROP COLUMN a, RENAME COLUMN b TO a, DROP COLUMN v, ADD COLUMN C1 INT',
          new Map([['b', 'a']]),
          ['c1', 'a', 'v'],
        ),
      ),
    ).toEqual([
      '  shared columns:  id, b -> a',
      '  renamed columns: b -> a',
      '  dropped columns: c1, a, v',
      '  new columns:     C1',
      '  generated:       (none)',
    ]);
  });
});
