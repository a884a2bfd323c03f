// The checksum's statements, as exact strings: what is hashed per column (the original's value converted to the
// ghost column's type), the row hash, the ranges on both tables, join mode, the repair's delete and edges.
import { describe, expect, it } from 'vitest';
import {
  buildChunkChecksum,
  buildDeleteGhostExtras,
  buildDeleteGhostRange,
  buildGhostExtras,
  buildRangeEdge,
  framing,
  ghostRangeColumns,
  hashedValue,
  lockForSnapshot,
  rowHash,
  type ChecksumTarget,
} from '../../src/core/sql/checksum.js';
import type { ChunkKey, Column } from '../../src/core/types.js';
import { col } from '../support/columns.js';

const text = (name: string, columnType: string, charset: string, collation: string): Column => ({
  ...col(name, columnType.replace(/\(.*$/, ''), columnType),
  nullable: true,
  charset,
  collation,
});
const latin1 = (name: string, type = 'varchar(20)') => text(name, type, 'latin1', 'latin1_swedish_ci');
const utf8 = (name: string, type = 'varchar(20)') => text(name, type, 'utf8mb4', 'utf8mb4_general_ci');

const pair = (source: Column, target: Column, flavor: 'mysql' | 'mariadb' = 'mysql') => ({
  original: hashedValue({ source, target }, 'original', '`x`', flavor),
  ghost: hashedValue({ source, target }, 'ghost', '`x`', flavor),
});

describe('hashedValue: the original converted to the ghost column, as storing it there would', () => {
  it('leaves an unchanged column as it is; strings and JSON are hashed as bytes', () => {
    expect(pair(col('a'), col('a'))).toEqual({ original: '`x`', ghost: '`x`' });
    expect(pair(utf8('s'), utf8('s'))).toEqual({ original: 'CAST(`x` AS BINARY)', ghost: 'CAST(`x` AS BINARY)' });
    expect(pair(col('j', 'json'), col('j', 'json'))).toEqual({
      original: 'CAST(`x` AS BINARY)',
      ghost: 'CAST(`x` AS BINARY)',
    });
  });
  it('converts a charset, and drops trailing spaces into CHAR', () => {
    expect(pair(latin1('s'), utf8('s'))).toEqual({
      original: 'CAST(CONVERT(`x` USING utf8mb4) AS BINARY)',
      ghost: 'CAST(`x` AS BINARY)',
    });
    expect(pair(utf8('s'), utf8('s', 'char(20)')).original).toBe('CAST(RTRIM(CONVERT(`x` USING utf8mb4)) AS BINARY)');
    expect(pair(col('n'), utf8('s')).original).toBe('CAST(CONVERT(`x` USING utf8mb4) AS BINARY)');
  });
  it('widens integers as they are, and casts other numbers to the ghost type', () => {
    expect(pair(col('i'), col('i', 'bigint')).original).toBe('`x`');
    expect(pair(col('d', 'decimal', 'decimal(10,2)'), col('i', 'int', 'int unsigned')).original).toBe(
      'CAST(`x` AS UNSIGNED)',
    );
    expect(pair(col('d', 'decimal', 'decimal(10,2)'), col('d', 'decimal', 'decimal(12,4)')).original).toBe(
      'CAST(`x` AS DECIMAL(12,4))',
    );
    expect(pair(col('i'), col('d', 'decimal', 'decimal(10,0)')).original).toBe('CAST(`x` AS DECIMAL(10,0))');
  });
  it("prints temporal values with the ghost's fraction", () => {
    expect(pair(col('t', 'timestamp'), col('t', 'timestamp', 'timestamp(6)'))).toEqual({
      original: 'CAST(`x` AS DATETIME(6))',
      ghost: '`x`',
    });
    expect(pair(col('d', 'date'), col('d', 'datetime')).original).toBe('CAST(`x` AS DATETIME(0))');
    expect(pair(col('t', 'time'), col('t', 'time', 'time(3)')).original).toBe('CAST(`x` AS TIME(3))');
    expect(pair(col('t', 'datetime'), col('t', 'date')).original).toBe('CAST(`x` AS DATE)');
  });
  it('prints FLOAT and DOUBLE as exact DOUBLEs and BIT as its number', () => {
    expect(pair(col('f', 'float'), col('f', 'float'))).toEqual({ original: '`x` + 0e0', ghost: '`x` + 0e0' });
    expect(pair(col('f', 'double'), col('f', 'float')).original).toBe('`x` + 0e0');
    expect(pair(col('b', 'bit', 'bit(3)'), col('b', 'bit', 'bit(8)'))).toEqual({
      original: '`x` + 0',
      ghost: '`x` + 0',
    });
  });
  it('pads into BINARY(n); casts text to JSON on MySQL only (MariaDB has no CAST AS JSON)', () => {
    expect(pair(col('b', 'varbinary', 'varbinary(4)'), col('b', 'binary', 'binary(8)')).original).toBe(
      'CAST(`x` AS BINARY(8))',
    );
    expect(pair(utf8('j', 'longtext'), col('j', 'json')).original).toBe('CAST(CAST(`x` AS JSON) AS BINARY)');
    expect(pair(utf8('j', 'longtext'), col('j', 'json'), 'mariadb').original).toBe('CAST(`x` AS BINARY)');
  });
});

describe('rowHash and its frame', () => {
  it('frames strings by length (N for NULL), nullable numbers by ISNULL, NOT NULL numbers not at all', () => {
    expect(
      rowHash([
        { sql: '`a`', framing: 'length', nullable: true },
        { sql: '`b`', framing: 'null', nullable: true },
        { sql: '`c`', framing: 'none', nullable: false },
        { sql: '`d`', framing: 'length', nullable: false },
      ]),
    ).toBe("CRC32(CONCAT_WS('#', COALESCE(LENGTH(`a`), 'N'), ISNULL(`b`), `a`, `b`, `c`, `d`))");
    expect(() => rowHash([])).toThrow(/at least one column/);
  });
  it('needs no length for the last string, moved to the end: only its ISNULL when it can be NULL', () => {
    expect(
      rowHash([
        { sql: '`a`', framing: 'length', nullable: false },
        { sql: '`s`', framing: 'length', nullable: true },
        { sql: '`c`', framing: 'none', nullable: false },
      ]),
    ).toBe("CRC32(CONCAT_WS('#', COALESCE(LENGTH(`a`), 'N'), ISNULL(`s`), `a`, `c`, `s`))");
    expect(rowHash([{ sql: '`s`', framing: 'length', nullable: false }])).toBe("CRC32(CONCAT_WS('#', `s`))");
  });
  it('decides the frame from the mapping, the same on both sides', () => {
    expect(framing({ source: col('i'), target: col('i', 'bigint') })).toBe('none');
    expect(framing({ source: { ...col('i'), nullable: true }, target: col('i') })).toBe('null');
    expect(framing({ source: col('d', 'datetime'), target: { ...col('d', 'datetime'), nullable: true } })).toBe('null');
    expect(framing({ source: col('i'), target: utf8('s') })).toBe('length');
    expect(framing({ source: col('j', 'json'), target: col('j', 'json') })).toBe('length');
    expect(framing({ source: col('b', 'blob'), target: col('b', 'blob') })).toBe('length');
  });
});

const id = col('id');
const idBig = col('id', 'bigint');
const plainKey = (ghost: Column = idBig): ChunkKey => ({
  name: 'PRIMARY',
  ghostName: 'PRIMARY',
  columns: [id],
  ghostColumns: [ghost],
  ghostSources: [id],
  exactColumns: [],
});

describe('ghostRangeColumns: whether the ghost can be read by the same key range', () => {
  it('yes when the ghost key starts with the same columns in an order-keeping type', () => {
    expect(ghostRangeColumns(plainKey(), [{ source: id, target: idBig }])).toEqual([idBig]);
    const i = col('i');
    const wider: ChunkKey = { ...plainKey(), ghostColumns: [idBig, i], ghostSources: [id, i] };
    expect(ghostRangeColumns(wider, [{ source: id, target: idBig }])).toEqual([idBig]);
  });
  it('no for a recollated string, a changed ENUM, or a ghost key led by another column', () => {
    const s = { ...latin1('s'), nullable: false };
    const s2 = { ...utf8('s'), nullable: false };
    const recollated: ChunkKey = { ...plainKey(), columns: [s], ghostColumns: [s2], ghostSources: [s] };
    expect(ghostRangeColumns(recollated, [{ source: s, target: s2 }])).toBeNull();
    const e = { ...col('e', 'enum', "enum('a','b')"), charset: 'utf8mb4', collation: 'utf8mb4_general_ci' };
    const e2 = { ...e, columnType: "enum('b','a')" };
    const reordered: ChunkKey = { ...plainKey(), columns: [e], ghostColumns: [e2], ghostSources: [e] };
    expect(ghostRangeColumns(reordered, [{ source: e, target: e2 }])).toBeNull();
    const i = col('i');
    const ledByOther: ChunkKey = { ...plainKey(), ghostColumns: [i, idBig], ghostSources: [i, id] };
    expect(ghostRangeColumns(ledByOther, [{ source: id, target: idBig }])).toBeNull();
  });
});

const target: ChecksumTarget = {
  database: 'd',
  table: 't',
  ghost: '_t_gho',
  mapping: [
    { source: id, target: idBig },
    { source: latin1('s'), target: utf8('s') },
  ],
  key: plainKey(),
  flavor: 'mysql',
};
const HASH_O =
  "COUNT(*) AS `n`, COALESCE(BIT_XOR(CRC32(CONCAT_WS('#', ISNULL(CAST(CONVERT(`s` USING utf8mb4) AS BINARY)), `id`, CAST(CONVERT(`s` USING utf8mb4) AS BINARY)))), 0) AS `h`";
const HASH_G =
  "COUNT(*) AS `n`, COALESCE(BIT_XOR(CRC32(CONCAT_WS('#', ISNULL(CAST(`s` AS BINARY)), `id`, CAST(`s` AS BINARY)))), 0) AS `h`";

describe('buildChunkChecksum', () => {
  const range = { lower: { key: [100], inclusive: false }, upper: [200] };
  it('reads one range on each table, by the same bounds', () => {
    expect(buildChunkChecksum(target, 'original', range)).toEqual({
      sql: `SELECT ${HASH_O} FROM \`d\`.\`t\` FORCE INDEX (\`PRIMARY\`) WHERE (\`id\` > ?) AND (\`id\` <= ?)`,
      params: [100n, 200n],
    });
    expect(buildChunkChecksum(target, 'ghost', range)).toEqual({
      sql: `SELECT ${HASH_G} FROM \`d\`.\`_t_gho\` FORCE INDEX (\`PRIMARY\`) WHERE (\`id\` > ?) AND (\`id\` <= ?)`,
      params: [100n, 200n],
    });
  });
  it('leaves the first and the last chunk open, so that ghost rows beyond the keys are counted', () => {
    expect(buildChunkChecksum(target, 'ghost', { lower: null, upper: [100] }).sql).toMatch(/WHERE \(`id` <= \?\)$/);
    expect(buildChunkChecksum(target, 'ghost', { lower: { key: [1], inclusive: true }, upper: null }).sql).toMatch(
      /WHERE \(`id` >= \?\)$/,
    );
    expect(buildChunkChecksum(target, 'original', { lower: null, upper: null }).sql).toMatch(/WHERE TRUE$/);
  });
  it('join mode: the ghost rows matching the original rows of the range, by the converted key', () => {
    const s = { ...latin1('s'), nullable: false };
    const s2 = { ...utf8('s'), nullable: false };
    const key: ChunkKey = { ...plainKey(), columns: [s], ghostColumns: [s2], ghostSources: [s], exactColumns: ['s'] };
    const t: ChecksumTarget = { ...target, mapping: [{ source: s, target: s2 }], key };
    const on =
      '`g`.`s` = CONVERT(`o`.`s` USING utf8mb4) COLLATE utf8mb4_general_ci AND CAST(`g`.`s` AS BINARY) = CAST(CONVERT(`o`.`s` USING utf8mb4) AS BINARY)';
    const where = '(`o`.`s` <= CONVERT(? USING latin1) COLLATE latin1_swedish_ci)';
    expect(buildChunkChecksum(t, 'ghost', { lower: null, upper: [Buffer.from('m')] })).toEqual({
      sql:
        "SELECT COUNT(*) AS `n`, COALESCE(BIT_XOR(CRC32(CONCAT_WS('#', CAST(`g`.`s` AS BINARY)))), 0) AS `h`" +
        ` FROM \`d\`.\`t\` AS \`o\` FORCE INDEX (\`PRIMARY\`) JOIN \`d\`.\`_t_gho\` AS \`g\` ON ${on} WHERE ${where}`,
      params: [Buffer.from('m')],
    });
    // The ghost by its qualified name: an alias in a DELETE list needs a default database (error 1046).
    const onQualified = on.replaceAll('`g`.', '`d`.`_t_gho`.');
    expect(buildDeleteGhostRange(t, { lower: null, upper: [Buffer.from('m')] })).toEqual({
      sql: `DELETE \`d\`.\`_t_gho\` FROM \`d\`.\`_t_gho\` JOIN \`d\`.\`t\` AS \`o\` FORCE INDEX (\`PRIMARY\`) ON ${onQualified} WHERE ${where}`,
      params: [Buffer.from('m')],
    });
  });
});

describe('join mode: extra ghost rows', () => {
  it('finds them by looking each ghost row up in the original by its key, then as the chunks match', () => {
    // DROP PRIMARY KEY, ADD PRIMARY KEY (b, a): the ghost's key orders the rows otherwise.
    const a = col('a');
    const b = col('b');
    const key: ChunkKey = {
      name: 'PRIMARY',
      ghostName: 'PRIMARY',
      columns: [a, b],
      ghostColumns: [b, a],
      ghostSources: [b, a],
      exactColumns: [],
    };
    const t: ChecksumTarget = {
      ...target,
      mapping: [
        { source: a, target: a },
        { source: b, target: b },
      ],
      key,
    };
    const unmatched =
      'NOT EXISTS (SELECT 1 FROM `d`.`t` AS `o` FORCE INDEX (`PRIMARY`) WHERE `o`.`a` = `g`.`a` AND `o`.`b` = `g`.`b` AND `g`.`b` = `o`.`b` AND `g`.`a` = `o`.`a`)';
    expect(buildGhostExtras(t, 1000)).toEqual({
      sql: `SELECT \`g\`.\`b\` AS \`b\`, \`g\`.\`a\` AS \`a\` FROM \`d\`.\`_t_gho\` AS \`g\` FORCE INDEX (\`PRIMARY\`) WHERE ${unmatched} ORDER BY \`g\`.\`b\`, \`g\`.\`a\` LIMIT 1000`,
      params: [],
    });
    expect(
      buildDeleteGhostExtras(t, [
        [7, 1],
        [9, 2],
      ]),
    ).toEqual({
      sql: `DELETE \`d\`.\`_t_gho\` FROM \`d\`.\`_t_gho\` WHERE ((\`d\`.\`_t_gho\`.\`b\` = ? AND \`d\`.\`_t_gho\`.\`a\` = ?) OR (\`d\`.\`_t_gho\`.\`b\` = ? AND \`d\`.\`_t_gho\`.\`a\` = ?)) AND ${unmatched.replaceAll('`g`.', '`d`.`_t_gho`.')}`,
      params: [7n, 1n, 9n, 2n],
    });
    expect(() => buildDeleteGhostExtras(t, [])).toThrow(/no keys/);
    expect(() => buildGhostExtras(t, 0)).toThrow(/bad limit/);
  });
  it("converts a recollated key back to the original's charset for the lookup, and matches its bytes", () => {
    const s = { ...latin1('s'), nullable: false };
    const s2 = { ...utf8('s'), nullable: false };
    const key: ChunkKey = { ...plainKey(), columns: [s], ghostColumns: [s2], ghostSources: [s], exactColumns: ['s'] };
    const t: ChecksumTarget = { ...target, mapping: [{ source: s, target: s2 }], key };
    expect(buildGhostExtras(t, 5).sql).toContain(
      'WHERE `o`.`s` = CONVERT(`g`.`s` USING latin1) COLLATE latin1_swedish_ci AND `g`.`s` = CONVERT(`o`.`s` USING utf8mb4) COLLATE utf8mb4_general_ci AND CAST(`g`.`s` AS BINARY) = CAST(CONVERT(`o`.`s` USING utf8mb4) AS BINARY))',
    );
  });
});

describe('repair statements', () => {
  it("deletes the ghost's rows of the range and reads the original's edges within it", () => {
    expect(buildDeleteGhostRange(target, { lower: { key: [1], inclusive: true }, upper: null })).toEqual({
      sql: 'DELETE FROM `d`.`_t_gho` WHERE (`id` >= ?)',
      params: [1n],
    });
    expect(buildRangeEdge(target, { lower: { key: [100], inclusive: false }, upper: null }, 'first')).toEqual({
      sql: 'SELECT `id` FROM `d`.`t` FORCE INDEX (`PRIMARY`) WHERE (`id` > ?) ORDER BY `d`.`t`.`id` ASC LIMIT 1',
      params: [100n],
    });
    expect(buildRangeEdge(target, { lower: null, upper: [200] }, 'last')).toEqual({
      sql: 'SELECT `id` FROM `d`.`t` FORCE INDEX (`PRIMARY`) WHERE (`id` <= ?) ORDER BY `d`.`t`.`id` DESC LIMIT 1',
      params: [200n],
    });
  });
  it('locks the original for the consistent point: writers wait, readers go on', () => {
    expect(lockForSnapshot('d', 't`x')).toBe('LOCK TABLES `d`.`t``x` READ');
  });
});
