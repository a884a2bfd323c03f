import { describe, expect, it } from 'vitest';
import {
  readExactly,
  type ZongjiColumn,
  type ZongjiColumnSchema,
  type ZongjiTableEntry,
} from '../../src/io/binlog/exact.js';

// zongji's descriptors as its table map holds them after a TableMap event (wire type codes of lib/common.js).
function table(name = 't'): ZongjiTableEntry & { columns: ZongjiColumn[]; columnSchemas: ZongjiColumnSchema[] } {
  return {
    parentSchema: 'shop',
    tableName: name,
    columns: [
      { type: 3, charset: null }, // INT
      { type: 254, charset: 'latin1', metadata: { max_length: 10 } }, // CHAR(10)
      { type: 15, charset: 'utf8mb4', metadata: { max_length: 400 } }, // VARCHAR(100)
      { type: 252, charset: 'cp1251', metadata: { length_size: 2 } }, // TEXT
      { type: 141, charset: 'latin1', metadata: { max_length: 300 } }, // MariaDB VARCHAR COMPRESSED
      { type: 254, charset: null, metadata: { max_length: 4 } }, // BINARY(4)
      { type: 252, charset: null, metadata: { length_size: 2 } }, // BLOB
      { type: 255, charset: null, metadata: { length_size: 4 } }, // GEOMETRY
      { type: 247, charset: 'latin1', metadata: { size: 1 } }, // ENUM
      { type: 248, charset: 'latin1', metadata: { size: 1 } }, // SET
      { type: 247, charset: 'utf8mb4', metadata: { size: 1 } }, // ENUM with members from FULL binlog metadata
    ],
    columnSchemas: [
      {},
      {},
      {},
      {},
      {},
      {},
      {},
      {},
      { COLUMN_TYPE: "enum('x,y','it''s')" },
      { COLUMN_TYPE: "set('a','b''c')" },
      { COLUMN_TYPE: "enum('p','q')", ENUM_VALUES: ['p', 'q'] },
    ],
  };
}

function tableMapEvent(entry: ZongjiTableEntry) {
  return { getEventName: () => 'tablemap', tableId: 7, tableMap: { 7: entry } };
}

describe('readExactly', () => {
  it('makes strings read as their bytes, spatial values as the internal format, ENUM/SET members exact', () => {
    const t = table();
    readExactly(tableMapEvent(t), 'shop', new Set(['t']));
    expect(t.columns).toEqual([
      { type: 3, charset: null },
      { type: 252, charset: null, metadata: { max_length: 10, length_size: 1 } },
      { type: 252, charset: null, metadata: { max_length: 400, length_size: 2 } },
      { type: 252, charset: null, metadata: { length_size: 2 } },
      { type: 140, charset: null, metadata: { max_length: 300, length_size: 2 } },
      { type: 254, charset: null, metadata: { max_length: 4 } },
      { type: 252, charset: null, metadata: { length_size: 2 } },
      { type: 252, charset: null, metadata: { length_size: 4 } },
      { type: 247, charset: 'latin1', metadata: { size: 1 } },
      { type: 248, charset: 'latin1', metadata: { size: 1 } },
      { type: 247, charset: 'utf8mb4', metadata: { size: 1 } },
    ]);
    expect(t.columnSchemas[8]?.ENUM_VALUES).toEqual(['x,y', "it's"]);
    expect(t.columnSchemas[9]?.SET_VALUES).toEqual(['a', "b'c"]);
    expect(t.columnSchemas[10]?.ENUM_VALUES).toEqual(['p', 'q']);
  });

  it('is idempotent: zongji re-sends the TableMap event with every transaction', () => {
    const once = table();
    readExactly(tableMapEvent(once), 'shop', new Set(['t']));
    const twice = table();
    readExactly(tableMapEvent(twice), 'shop', new Set(['t']));
    readExactly(tableMapEvent(twice), 'shop', new Set(['t']));
    expect(twice).toEqual(once);
  });

  it('leaves other tables, other databases and other events alone', () => {
    for (const [entry, db] of [
      [table('other'), 'shop'],
      [table(), 'elsewhere'],
    ] as const) {
      readExactly(tableMapEvent(entry), db, new Set(['t']));
      expect(entry).toEqual(table(entry.tableName));
    }
    const t = table();
    readExactly({ getEventName: () => 'writerows', tableId: 7, tableMap: { 7: t } }, 'shop', new Set(['t']));
    expect(t).toEqual(table());
  });
});
