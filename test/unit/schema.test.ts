import { describe, expect, it } from 'vitest';
import {
  chooseChunkKey,
  describeKeyProblem,
  isIntegerType,
  mapColumns,
  unsupportedColumns,
} from '../../src/core/schema.js';
import type { Column, TableSchema, UniqueKey } from '../../src/core/types.js';

function col(name: string, dataType = 'int', opts: { nullable?: boolean; generated?: boolean; columnType?: string } = {}): Column {
  return {
    name,
    dataType,
    columnType: opts.columnType ?? dataType,
    nullable: opts.nullable ?? false,
    generation: opts.generated === true ? 'virtual' : null,
    generationExpression: opts.generated === true ? '`id` * 2' : null,
    charset: null,
    collation: null,
  };
}

function pk(...columns: string[]): UniqueKey {
  return { name: 'PRIMARY', columns, primary: true };
}

function uk(name: string, ...columns: string[]): UniqueKey {
  return { name, columns, primary: false };
}

function table(name: string, columns: readonly Column[], uniqueKeys: readonly UniqueKey[]): TableSchema {
  return { database: 'shop', table: name, columns, uniqueKeys };
}

const NO_RENAMES: ReadonlyMap<string, string> = new Map();

function names(mapping: ReturnType<typeof mapColumns>): string[] {
  return mapping.map((m) => `${m.source.name}->${m.target.name}`);
}

describe('mapColumns', () => {
  it('maps same-named columns in the original order, case-insensitively', () => {
    const o = table('orders', [col('id'), col('Name', 'varchar'), col('qty')], [pk('id')]);
    const g = table('_orders_gho', [col('qty', 'bigint'), col('id'), col('name', 'varchar'), col('added')], [pk('id')]);
    expect(names(mapColumns(o, g, NO_RENAMES))).toEqual(['id->id', 'Name->name', 'qty->qty']);
  });

  it('follows renames and leaves out dropped columns', () => {
    const o = table('orders', [col('id'), col('name'), col('gone'), col('qty')], [pk('id')]);
    const g = table('_orders_gho', [col('id'), col('full_name'), col('qty'), col('name')], [pk('id')]);
    expect(names(mapColumns(o, g, new Map([['NAME', 'full_name']])))).toEqual(['id->id', 'name->full_name', 'qty->qty']);
  });

  it('leaves out columns the ghost computes (generated there), whatever they were', () => {
    const o = table('t', [col('id'), col('a'), col('v', 'int', { generated: true }), col('b')], [pk('id')]);
    const g = table('t_g', [col('id'), col('a'), col('v', 'int', { generated: true }), col('b', 'int', { generated: true })], [pk('id')]);
    expect(names(mapColumns(o, g, NO_RENAMES))).toEqual(['id->id', 'a->a']);
  });

  it('copies a generated column the ALTER makes plain: its values are real data', () => {
    const o = table('t', [col('id'), col('total', 'decimal', { generated: true }), col('qty')], [pk('id')]);
    const g = table('t_g', [col('id'), col('total', 'decimal', { nullable: true }), col('qty')], [pk('id')]);
    expect(names(mapColumns(o, g, NO_RENAMES))).toEqual(['id->id', 'total->total', 'qty->qty']);
  });

  it('a column dropped and added again (any case) is new: nothing maps onto it', () => {
    const o = table('t', [col('id'), col('c1'), col('C2'), col('keep')], [pk('id')]);
    const g = table('t_g', [col('id'), col('keep'), col('c1'), col('c2')], [pk('id')]);
    expect(names(mapColumns(o, g, NO_RENAMES, ['c1', 'c2']))).toEqual(['id->id', 'keep->keep']);
    expect(names(mapColumns(o, g, NO_RENAMES, ['C1']))).toEqual(['id->id', 'C2->c2', 'keep->keep']);
  });

  it('another column renamed onto a dropped name brings its own data; a swap of two names maps crosswise', () => {
    const o = table('t', [col('id'), col('a'), col('b'), col('p'), col('q'), col('x'), col('y')], [pk('id')]);
    const g = table('t_g', [col('id'), col('a'), col('p'), col('y'), col('x')], [pk('id')]);
    const renames = new Map([['b', 'a'], ['q', 'p'], ['x', 'y'], ['y', 'x']]);
    expect(names(mapColumns(o, g, renames, ['a', 'P']))).toEqual(['id->id', 'b->a', 'q->p', 'x->y', 'y->x']);
  });

  it('refuses two original columns onto one new column (a drop osc did not see) instead of guessing', () => {
    const o = table('t', [col('id'), col('a'), col('b')], [pk('id')]);
    const g = table('t_g', [col('id'), col('a')], [pk('id')]);
    expect(() => mapColumns(o, g, new Map([['b', 'a']]))).toThrow(
      'osc cannot tell whether column a of the new table takes the data of a or of b; split the ALTER: run the column renames and drops separately',
    );
  });
});

describe('isIntegerType', () => {
  it('knows the integer types', () => {
    expect(['tinyint', 'smallint', 'mediumint', 'int', 'bigint'].map((t) => isIntegerType(col('x', t)))).toEqual([true, true, true, true, true]);
    expect(['decimal', 'varchar', 'bit', 'float', 'year'].map((t) => isIntegerType(col('x', t)))).toEqual([false, false, false, false, false]);
  });
});

describe('chooseChunkKey', () => {
  it('chooses the primary key and names the ghost twin', () => {
    const o = table('t', [col('id'), col('email', 'varchar')], [uk('a_email', 'email'), pk('id')]);
    const g = table('t_g', [col('id', 'bigint'), col('email', 'varchar')], [pk('id'), uk('a_email', 'email')]);
    const key = chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES));
    expect(key).toEqual({
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [col('id')],
      ghostColumns: [col('id', 'bigint')],
    });
  });

  it('supports composite keys in key order', () => {
    const o = table('t', [col('a'), col('b', 'varchar'), col('c')], [pk('b', 'a')]);
    const g = table('t_g', [col('a'), col('b', 'varchar'), col('c')], [pk('b', 'a')]);
    const key = chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES));
    expect(key?.columns.map((c) => c.name)).toEqual(['b', 'a']);
    expect(key?.ghostColumns.map((c) => c.name)).toEqual(['b', 'a']);
  });

  it('requires the same column order on the ghost', () => {
    const o = table('t', [col('a'), col('b')], [pk('a', 'b')]);
    const g = table('t_g', [col('a'), col('b')], [pk('b', 'a')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))).toBeNull();
  });

  it('prefers fewer columns, then integer keys, then name, when there is no usable primary key', () => {
    const o = table(
      't',
      [col('id', 'int', { nullable: true }), col('code', 'varchar'), col('n'), col('m'), col('x'), col('y')],
      [pk('id'), uk('z_pair', 'x', 'y'), uk('b_code', 'code'), uk('c_n', 'n'), uk('a_m', 'm')],
    );
    const g = o;
    const key = chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES));
    expect(key?.name).toBe('a_m');
    const o2 = table('t', o.columns, [uk('z_pair', 'x', 'y'), uk('b_code', 'code'), uk('c_n', 'n')]);
    expect(chooseChunkKey(o2, o2, mapColumns(o2, o2, NO_RENAMES))?.name).toBe('c_n');
    const o3 = table('t', o.columns, [uk('z_pair', 'x', 'y'), uk('b_code', 'code')]);
    expect(chooseChunkKey(o3, o3, mapColumns(o3, o3, NO_RENAMES))?.name).toBe('b_code');
  });

  it('skips keys over nullable or generated columns', () => {
    const o = table('t', [col('a', 'int', { nullable: true }), col('g', 'int', { generated: true }), col('b')], [uk('ua', 'a'), uk('ug', 'g'), uk('ub', 'b')]);
    expect(chooseChunkKey(o, o, mapColumns(o, o, NO_RENAMES))?.name).toBe('ub');
  });

  it('follows a renamed key column and a renamed key', () => {
    const o = table('t', [col('id'), col('code', 'varchar')], [uk('u_code', 'code')]);
    const g = table('t_g', [col('id'), col('sku', 'varchar')], [uk('u_sku', 'sku')]);
    const key = chooseChunkKey(o, g, mapColumns(o, g, new Map([['code', 'sku']])));
    expect(key).toEqual({
      name: 'u_code',
      ghostName: 'u_sku',
      columns: [col('code', 'varchar')],
      ghostColumns: [col('sku', 'varchar')],
    });
  });

  it('refuses a key whose column became nullable on the ghost', () => {
    const o = table('t', [col('id')], [pk('id')]);
    const g = table('t_g', [col('id', 'int', { nullable: true })], [uk('id', 'id')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))).toBeNull();
  });

  it('prefers the ghost PRIMARY among several twins', () => {
    const o = table('t', [col('id')], [uk('u_id', 'id')]);
    const g = table('t_g', [col('id')], [uk('u_id', 'id'), pk('id')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))?.ghostName).toBe('PRIMARY');
  });
});

describe('describeKeyProblem', () => {
  it('says when the table has no unique key', () => {
    const o = table('t', [col('a')], []);
    expect(describeKeyProblem(o, o, mapColumns(o, o, NO_RENAMES))).toBe(
      'the table has no PRIMARY KEY or UNIQUE key; add a PRIMARY KEY first: osc needs one to copy rows in chunks and to match replayed changes',
    );
  });

  it('says when every unique key allows NULL', () => {
    const o = table('t', [col('a', 'int', { nullable: true }), col('b')], [uk('ua', 'a', 'b')]);
    expect(describeKeyProblem(o, o, mapColumns(o, o, NO_RENAMES))).toBe(
      'the table has no unique key over NOT NULL columns (ua (a, b) allow NULL or use generated columns); add a PRIMARY KEY, or a UNIQUE key over NOT NULL columns, first',
    );
  });

  it('names each key the ALTER broke, and how', () => {
    const o = table('t', [col('id'), col('email'), col('code')], [pk('id'), uk('u_email', 'email'), uk('u_code', 'code')]);
    const g = table('t_g', [col('id'), col('email', 'int', { nullable: true }), col('code')], [uk('u_email', 'email')]);
    const renamedAway = table('t_g', [col('id'), col('email', 'int', { nullable: true })], [uk('u_email', 'email')]);
    expect(describeKeyProblem(o, g, mapColumns(o, g, NO_RENAMES))).toBe(
      'the ALTER drops or changes every unique key the original has (PRIMARY (id): the new table has no unique key over (id); u_email (email): the new table allows NULL in email; u_code (code): the new table has no unique key over (code)); keep one unchanged so rows can be matched',
    );
    expect(describeKeyProblem(o, renamedAway, mapColumns(o, renamedAway, NO_RENAMES))).toBe(
      'the ALTER drops or changes every unique key the original has (PRIMARY (id): the new table has no unique key over (id); u_email (email): the new table allows NULL in email; u_code (code): column code is not carried over); keep one unchanged so rows can be matched',
    );
  });
});

describe('unsupportedColumns', () => {
  it('lists columns outside the allow-list, generated ones included (the row image carries them)', () => {
    const s = table(
      't',
      [
        col('id'),
        col('v', 'vector', { columnType: 'vector(3)' }),
        col('u', 'uuid'),
        col('i6', 'inet6'),
        col('j', 'json'),
        col('gv', 'point', { generated: true }),
        col('e', 'enum', { columnType: "enum('a','b')" }),
      ],
      [pk('id')],
    );
    expect(unsupportedColumns(s, 'mysql').map((c) => c.name)).toEqual(['v', 'u', 'i6']);
    expect(unsupportedColumns(s, 'mariadb').map((c) => c.name)).toEqual(['v', 'u', 'i6']);
  });

  it('accepts every allow-listed type', () => {
    const types = (
      'tinyint smallint mediumint int bigint decimal float double bit date datetime timestamp time year char varchar binary varbinary ' +
      'tinyblob blob mediumblob longblob tinytext text mediumtext longtext enum set json ' +
      'geometry point linestring polygon multipoint multilinestring multipolygon geometrycollection geomcollection'
    ).split(' ');
    const s = table('t', types.map((t, i) => col(`c${i}`, t)), []);
    expect(unsupportedColumns(s, 'mysql')).toEqual([]);
  });
});
