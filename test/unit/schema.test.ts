import { describe, expect, it } from 'vitest';
import {
  chooseChunkKey,
  describeKeyProblem,
  isIntegerType,
  mapColumns,
  unsupportedColumns,
} from '../../src/core/schema.js';
import type { Column, TableSchema, UniqueKey } from '../../src/core/types.js';

function col(
  name: string,
  dataType = 'int',
  opts: { nullable?: boolean; generated?: boolean; columnType?: string } = {},
): Column {
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
    expect(names(mapColumns(o, g, new Map([['NAME', 'full_name']])))).toEqual([
      'id->id',
      'name->full_name',
      'qty->qty',
    ]);
  });

  it('leaves out columns the ghost computes (generated there), whatever they were', () => {
    const o = table('t', [col('id'), col('a'), col('v', 'int', { generated: true }), col('b')], [pk('id')]);
    const g = table(
      't_g',
      [col('id'), col('a'), col('v', 'int', { generated: true }), col('b', 'int', { generated: true })],
      [pk('id')],
    );
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
    const renames = new Map([
      ['b', 'a'],
      ['q', 'p'],
      ['x', 'y'],
      ['y', 'x'],
    ]);
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
    expect(['tinyint', 'smallint', 'mediumint', 'int', 'bigint'].map((t) => isIntegerType(col('x', t)))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['decimal', 'varchar', 'bit', 'float', 'year'].map((t) => isIntegerType(col('x', t)))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

const noChange = { exactColumns: [] as string[] };

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
      ghostSources: [col('id')],
      ...noChange,
    });
  });

  it('supports composite keys in key order', () => {
    const o = table('t', [col('a'), col('b', 'varchar'), col('c')], [pk('b', 'a')]);
    const g = table('t_g', [col('a'), col('b', 'varchar'), col('c')], [pk('b', 'a')]);
    const key = chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES));
    expect(key?.columns.map((c) => c.name)).toEqual(['b', 'a']);
    expect(key?.ghostColumns.map((c) => c.name)).toEqual(['b', 'a']);
  });

  it('matches by a ghost key over the same columns in another order', () => {
    const o = table('t', [col('a'), col('b')], [pk('a', 'b')]);
    const g = table('t_g', [col('a'), col('b')], [pk('b', 'a')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))).toEqual({
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [col('a'), col('b')],
      ghostColumns: [col('b'), col('a')],
      ghostSources: [col('b'), col('a')],
      ...noChange,
    });
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

  it('skips keys over nullable or VIRTUAL generated columns', () => {
    const o = table(
      't',
      [col('a', 'int', { nullable: true }), col('g', 'int', { generated: true }), col('b')],
      [uk('ua', 'a'), uk('ug', 'g'), uk('ub', 'b')],
    );
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
      ghostSources: [col('code', 'varchar')],
      ...noChange,
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

  it('refuses a key whose column the ALTER changes so that its values change', () => {
    const o = table('t', [col('id'), col('at', 'datetime', { columnType: 'datetime(6)' })], [pk('at')]);
    const g = table('t_g', [col('id'), col('at', 'datetime')], [pk('at')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))).toBeNull();
    expect(describeKeyProblem(o, g, mapColumns(o, g, NO_RENAMES))).toBe(
      'the ALTER drops or changes every unique key the original has (PRIMARY (at): the ALTER changes key column at from datetime(6) to datetime, so its values cannot find their rows); keep one whose values stay the same so rows can be matched',
    );
  });
});

describe('chooseChunkKey: a primary key extended by a column', () => {
  const o = table('t', [col('id'), col('i'), col('v')], [pk('id')]);

  it('chunks on the original key and matches ghost rows by the extended one, in its order', () => {
    const g = table('t_g', [col('id'), col('i'), col('v')], [pk('i', 'id')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))).toEqual({
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [col('id')],
      ghostColumns: [col('i'), col('id')],
      ghostSources: [col('i'), col('id')],
      ...noChange,
    });
  });

  it('prefers a ghost key over exactly the same columns', () => {
    const g = table('t_g', [col('id'), col('i'), col('v')], [pk('id', 'i'), uk('u_id', 'id')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))?.ghostName).toBe('u_id');
  });

  it('takes a widened added column, refuses one whose values change or that the original lacks', () => {
    const widened = table('t_g', [col('id'), col('i', 'bigint'), col('v')], [pk('id', 'i')]);
    expect(chooseChunkKey(o, widened, mapColumns(o, widened, NO_RENAMES))?.ghostColumns).toEqual([
      col('id'),
      col('i', 'bigint'),
    ]);
    const retyped = table(
      't_g',
      [col('id'), col('i', 'varchar', { columnType: 'varchar(10)' }), col('v')],
      [pk('id', 'i')],
    );
    expect(chooseChunkKey(o, retyped, mapColumns(o, retyped, NO_RENAMES))).toBeNull();
    expect(describeKeyProblem(o, retyped, mapColumns(o, retyped, NO_RENAMES))).toBe(
      'the ALTER drops or changes every unique key the original has (PRIMARY (id): the ALTER changes key column i from int to varchar(10), so its values cannot find their rows); keep one whose values stay the same so rows can be matched',
    );
    const added = table('t_g', [col('id'), col('i'), col('v'), col('n')], [pk('id', 'n')]);
    expect(describeKeyProblem(o, added, mapColumns(o, added, NO_RENAMES))).toBe(
      "the ALTER drops or changes every unique key the original has (PRIMARY (id): the new table's unique key PRIMARY (id, n) holds n, which the original does not have); keep one whose values stay the same so rows can be matched",
    );
  });
});

describe('chooseChunkKey: a charset or collation change of a key column', () => {
  const text = (name: string, collation: string, charset = collation.split('_')[0] ?? null): Column => ({
    ...col(name, 'varchar', { columnType: 'varchar(20)' }),
    charset,
    collation,
  });

  it('matches the changed columns of the original key byte for byte', () => {
    const o = table('t', [text('code', 'utf8mb4_bin'), col('n')], [pk('code', 'n')]);
    const g = table('t_g', [text('code', 'utf8mb4_general_ci'), col('n')], [pk('code', 'n')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))?.exactColumns).toEqual(['code']);
  });

  it('prefers a key the ALTER leaves alone', () => {
    const o = table('t', [text('code', 'latin1_swedish_ci'), col('id')], [pk('code'), uk('u_id', 'id')]);
    const g = table('t_g', [text('code', 'utf8mb4_general_ci'), col('id')], [pk('code'), uk('u_id', 'id')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))).toEqual({
      name: 'u_id',
      ghostName: 'u_id',
      columns: [col('id')],
      ghostColumns: [col('id')],
      ghostSources: [col('id')],
      ...noChange,
    });
  });

  it('needs no check for a changed column the ghost key adds: the original key tells rows apart', () => {
    const o = table('t', [col('id'), text('code', 'utf8mb4_bin')], [pk('id')]);
    const g = table('t_g', [col('id'), text('code', 'utf8mb4_general_ci')], [pk('id', 'code')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))?.exactColumns).toEqual([]);
  });
});

describe('chooseChunkKey: STORED generated columns', () => {
  const stored = (name: string, expression: string, nullable = false): Column => ({
    ...col(name, 'varchar', { columnType: 'varchar(24)', nullable }),
    generation: 'stored',
    generationExpression: expression,
  });

  it('chunks on a unique key over one, matched by the ghost column computed alike', () => {
    const o = table('t', [col('id'), stored('code', "concat('o-',`id`)")], [uk('uk_code', 'code')]);
    const g = table('t_g', [col('id'), stored('code', "concat('o-',`id`)"), col('flag')], [uk('uk_code', 'code')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))).toEqual({
      name: 'uk_code',
      ghostName: 'uk_code',
      columns: [stored('code', "concat('o-',`id`)")],
      ghostColumns: [stored('code', "concat('o-',`id`)")],
      ghostSources: [stored('code', "concat('o-',`id`)")],
      ...noChange,
    });
  });

  it('refuses one the ghost computes differently, or that allows NULL', () => {
    const o = table('t', [col('id'), stored('code', "concat('o-',`id`)")], [uk('uk_code', 'code')]);
    const g = table('t_g', [col('id'), stored('code', "concat('x-',`id`)")], [uk('uk_code', 'code')]);
    expect(chooseChunkKey(o, g, mapColumns(o, g, NO_RENAMES))).toBeNull();
    expect(describeKeyProblem(o, g, mapColumns(o, g, NO_RENAMES))).toBe(
      'the ALTER drops or changes every unique key the original has (uk_code (code): the new table computes generated column code differently); keep one whose values stay the same so rows can be matched',
    );
    const n = table('t', [col('id'), stored('code', "concat('o-',`id`)", true)], [uk('uk_code', 'code')]);
    expect(describeKeyProblem(n, n, mapColumns(n, n, NO_RENAMES))).toBe(
      'the table has no unique key osc can copy along (uk_code (code): code allows NULL (MariaDB cannot declare a generated column NOT NULL)); add a PRIMARY KEY, or a UNIQUE key over NOT NULL columns, first',
    );
  });
});

describe('chooseChunkKey: keys over a column prefix', () => {
  const prefixed = (key: UniqueKey, ...prefixes: (number | null)[]): UniqueKey => ({ ...key, prefixes });

  it('never chunks on one: the index orders prefixes, not values', () => {
    const o = table('t', [col('name', 'varchar'), col('id')], [prefixed(uk('u_name', 'name'), 10), uk('u_id', 'id')]);
    expect(chooseChunkKey(o, o, mapColumns(o, o, NO_RENAMES))?.name).toBe('u_id');
    const only = table('t', [col('name', 'varchar')], [prefixed(uk('u_name', 'name'), 10)]);
    expect(describeKeyProblem(only, only, mapColumns(only, only, NO_RENAMES))).toBe(
      'the table has no unique key osc can copy along (u_name (name): it indexes a prefix of a column); add a PRIMARY KEY, or a UNIQUE key over NOT NULL columns, first',
    );
  });

  it('never matches by a ghost key indexing a prefix of an original key column, which distinct values can share', () => {
    const o = table('t', [col('name', 'varchar'), col('n', 'varchar')], [uk('u_name', 'name')]);
    const g = table('t_g', [col('name', 'varchar'), col('n', 'varchar')], [prefixed(uk('u_name', 'name'), 5)]);
    expect(describeKeyProblem(o, g, mapColumns(o, g, NO_RENAMES))).toBe(
      "the ALTER drops or changes every unique key the original has (u_name (name): the new table's unique key u_name (name) indexes only a prefix of name); keep one whose values stay the same so rows can be matched",
    );
    const extra = table(
      't_g',
      [col('name', 'varchar'), col('n', 'varchar')],
      [prefixed(uk('u_both', 'n', 'name'), 5, null)],
    );
    expect(chooseChunkKey(o, extra, mapColumns(o, extra, NO_RENAMES))?.ghostName).toBe('u_both');
  });
});

describe('describeKeyProblem', () => {
  it('says when the table has no unique key', () => {
    const o = table('t', [col('a')], []);
    expect(describeKeyProblem(o, o, mapColumns(o, o, NO_RENAMES))).toBe(
      'the table has no PRIMARY KEY or UNIQUE key; add a PRIMARY KEY first: osc needs one to copy rows in chunks and to match replayed changes',
    );
  });

  it('says why no unique key can identify every row', () => {
    const o = table(
      't',
      [
        col('a', 'int', { nullable: true }),
        col('b'),
        col('s', 'set', { columnType: `set(${Array.from({ length: 13 }, (_, i) => `'m${i}'`).join(',')})` }),
      ],
      [uk('ua', 'a', 'b'), uk('us', 's')],
    );
    expect(describeKeyProblem(o, o, mapColumns(o, o, NO_RENAMES))).toBe(
      'the table has no unique key osc can copy along (ua (a, b): a allows NULL; us (s): SET column s has too many values to range over (more than 4096)); add a PRIMARY KEY, or a UNIQUE key over NOT NULL columns, first',
    );
  });

  it('names each key the ALTER broke, and how', () => {
    const o = table(
      't',
      [col('id'), col('email'), col('code')],
      [pk('id'), uk('u_email', 'email'), uk('u_code', 'code')],
    );
    const g = table('t_g', [col('id'), col('email', 'int', { nullable: true }), col('code')], [uk('u_email', 'email')]);
    const renamedAway = table('t_g', [col('id'), col('email', 'int', { nullable: true })], [uk('u_email', 'email')]);
    expect(describeKeyProblem(o, g, mapColumns(o, g, NO_RENAMES))).toBe(
      "the ALTER drops or changes every unique key the original has (PRIMARY (id): the new table has no unique key over (id), alone or with more columns; u_email (email): the new table's unique key u_email (email) allows NULL in email; u_code (code): the new table has no unique key over (code), alone or with more columns); keep one whose values stay the same so rows can be matched",
    );
    expect(describeKeyProblem(o, renamedAway, mapColumns(o, renamedAway, NO_RENAMES))).toBe(
      "the ALTER drops or changes every unique key the original has (PRIMARY (id): the new table has no unique key over (id), alone or with more columns; u_email (email): the new table's unique key u_email (email) allows NULL in email; u_code (code): column code is not carried over); keep one whose values stay the same so rows can be matched",
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
    const s = table(
      't',
      types.map((t, i) => col(`c${i}`, t)),
      [],
    );
    expect(unsupportedColumns(s, 'mysql')).toEqual([]);
  });
});
