// Batched replay (core/binlog/batch.ts) against per-event replay (core/binlog/to-dml.ts) on the real server: the
// same events from the same ghost state leave two ghosts identical, for composite keys with exact DECIMAL and
// BIGINT values, string keys converted to another charset, and keys the ALTER makes case-insensitive.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Connection } from 'mysql2/promise';
import { buildReplayBatch } from '../../src/core/binlog/batch.js';
import type { Row, RowEvent } from '../../src/core/binlog/events.js';
import { eventToStatements } from '../../src/core/binlog/to-dml.js';
import { chooseChunkKey, mapColumns } from '../../src/core/schema.js';
import { createDmlBuilder } from '../../src/core/sql/dml.js';
import { readTableSchema } from '../../src/io/db/inspector.js';
import { openPool, type SessionPool } from '../../src/io/db/pool.js';
import { adminConnection, freshSchema, testServer } from '../support/servers.js';

const POS = { file: 'binlog.000001', position: 4 };
const base = { database: '', table: 't', resume: POS, next: POS };
const ins = (row: Row): RowEvent => ({ ...base, kind: 'insert', row });
const del = (row: Row): RowEvent => ({ ...base, kind: 'delete', row });
const upd = (before: Row, after: Row): RowEvent => ({ ...base, kind: 'update', before, after });

let admin: Connection;
let pool: SessionPool;

beforeAll(async () => {
  admin = await adminConnection();
  pool = openPool(testServer().primary, 2);
});

afterAll(async () => {
  await pool.close();
  await admin.end();
});

/**
 * Builds t and two identical ghosts (`alter` applied, `ghostRows` inserted), replays `events` one by one onto the
 * first and as one batch onto the second, and returns both ghosts' rows (as hex, byte for byte) and the batch SQL.
 */
async function both(
  name: string,
  create: string,
  alter: string,
  ghostRows: string,
  events: readonly RowEvent[],
  order: string,
) {
  const db = await freshSchema(name);
  await admin.query(`CREATE TABLE \`${db}\`.t ${create}`);
  for (const g of ['_t_gho', '_t_gh2']) {
    await admin.query(`CREATE TABLE \`${db}\`.\`${g}\` LIKE \`${db}\`.t`);
    await admin.query(`ALTER TABLE \`${db}\`.\`${g}\` ${alter}`);
    if (ghostRows !== '') await admin.query(`INSERT INTO \`${db}\`.\`${g}\` VALUES ${ghostRows}`);
  }
  const original = await readTableSchema(pool, db, 't');
  const altered = await readTableSchema(pool, db, '_t_gho');
  const mapping = mapColumns(original, altered, new Map());
  const key = chooseChunkKey(original, altered, mapping);
  if (!key) throw new Error('no chunk key');
  const one = createDmlBuilder({ database: db, ghost: '_t_gho', mapping, key });
  const batched = createDmlBuilder({ database: db, ghost: '_t_gh2', mapping, key });
  const batch = buildReplayBatch(events, batched);
  await pool.withSession(async (s) => {
    await s.run('START TRANSACTION');
    for (const e of events) for (const st of eventToStatements(e, one)) await s.run(st.sql, st.params);
    for (const st of [...batch.deletes, ...batch.inserts]) await s.run(st.sql, st.params);
    await s.run('COMMIT');
  });
  const read = async (g: string) => {
    const cols = altered.columns.map((c) => `HEX(\`${c.name}\`) AS \`${c.name}\``).join(', ');
    const [rows] = await admin.query(`SELECT ${cols} FROM \`${db}\`.\`${g}\` ORDER BY ${order}`);
    return rows;
  };
  return {
    perEvent: await read('_t_gho'),
    batched: await read('_t_gh2'),
    sql: [...batch.deletes, ...batch.inserts].map((s) => s.sql),
    key,
  };
}

describe('a batch leaves the ghost as per-event replay does', () => {
  test('composite key of BIGINT UNSIGNED and DECIMAL; a latin1 value column made utf8mb4; an added column', async () => {
    const r = (id: bigint | string, region: string, note: Buffer | null) => ({ id, region, note });
    const max = '18446744073709551615';
    const events = [
      upd(r('1', '1.50', Buffer.from('a')), r('1', '1.50', Buffer.from([0xe9]))), // hot key: three changes
      upd(r('1', '1.50', Buffer.from([0xe9])), r('1', '1.50', Buffer.from('b'))),
      upd(r('1', '1.50', Buffer.from('b')), r('1', '1.50', Buffer.from('caf\xe9', 'latin1'))),
      upd(r('2', '0.10', null), r('3', '0.10', null)), // key move
      del(r(max, '9.99', Buffer.from('x'))), // delete then insert of the same key
      ins(r(max, '9.99', Buffer.from('y'))),
      ins(r('7', '7.00', Buffer.from('z'))), // insert then delete: gone
      del(r('7', '7.00', Buffer.from('z'))),
      ins(r('8', '8.00', Buffer.from('new'))), // a row the copy has not reached
    ];
    const out = await both(
      'batch_composite',
      '(id BIGINT UNSIGNED NOT NULL, region DECIMAL(6,2) NOT NULL, note VARCHAR(20) CHARACTER SET latin1 NULL, PRIMARY KEY (id, region)) ENGINE=InnoDB',
      'MODIFY note VARCHAR(20) CHARACTER SET utf8mb4 NULL, ADD COLUMN extra INT NOT NULL DEFAULT 7',
      `(1, 1.50, 'a', 7), (2, 0.10, NULL, 7), (${max}, 9.99, 'x', 7), (5, 5.00, 'untouched', 7)`,
      events,
      'id, region',
    );
    expect(out.sql).toEqual([
      expect.stringMatching(
        /^DELETE FROM `[^`]+`\.`_t_gh2` WHERE \(`id`, `region`\) IN \(\(\?, CAST\(\? AS DECIMAL\(6,2\)\)\)(, \(\?, CAST\(\? AS DECIMAL\(6,2\)\)\)){5}\)$/,
      ),
      expect.stringMatching(
        /^INSERT INTO `[^`]+`\.`_t_gh2` \(`id`, `region`, `note`\) VALUES \(\?, \?, CONVERT\(\? USING latin1\)\), \(\?, \?, CONVERT\(\? USING latin1\)\), \(\?, \?, CONVERT\(\? USING latin1\)\), \(\?, \?, CONVERT\(\? USING latin1\)\)$/,
      ),
    ]);
    expect(out.batched).toEqual(out.perEvent);
    expect(out.batched).toHaveLength(5);
  });

  test('a latin1 string key made utf8mb4: matched after conversion, byte for byte', async () => {
    const r = (code: Buffer, v: number) => ({ code, v });
    const e9 = Buffer.from([0xe9]);
    const events = [
      upd(r(e9, 1), r(Buffer.from('e'), 1)),
      ins(r(e9, 2)),
      upd(r(Buffer.from('k'), 3), r(Buffer.from('k'), 4)),
      del(r(Buffer.from('z'), 9)),
    ];
    const out = await both(
      'batch_charset_key',
      '(code VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB',
      'MODIFY code VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL',
      "('\u00e9', 1), ('k', 3), ('z', 9)",
      events,
      'code',
    );
    // A charset change can make distinct keys equal: the key is matched byte for byte too (key.exactColumns).
    expect(out.key.exactColumns).toEqual(['code']);
    expect(out.sql[0]).toContain(
      ') OR (`code` = CONVERT(CONVERT(? USING latin1) USING utf8mb4) COLLATE utf8mb4_bin AND CAST(`code` AS BINARY) = ',
    );
    expect(out.batched).toEqual(out.perEvent);
    expect(out.batched).toHaveLength(3);
  });

  test('a case-insensitive latin1 key kept as it is: one IN list in its charset and collation', async () => {
    const r = (code: string, v: number) => ({ code: Buffer.from(code, 'latin1'), v });
    const events = [
      upd(r('\xe9t\xe9', 1), r('\xe9t\xe9', 2)),
      del(r('b', 3)),
      ins(r('B', 4)),
      upd(r('c', 5), r('d', 5)),
    ];
    const out = await both(
      'batch_latin1_key',
      '(code VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB',
      'ADD COLUMN w INT NULL',
      "(_latin1 X'e974e9', 1, NULL), ('b', 3, NULL), ('c', 5, NULL)",
      events,
      'code',
    );
    expect(out.sql[0]).toMatch(
      /WHERE `code` IN \(CONVERT\(\? USING latin1\) COLLATE latin1_swedish_ci(, CONVERT\(\? USING latin1\) COLLATE latin1_swedish_ci){4}\)$/,
    );
    expect(out.batched).toEqual(out.perEvent);
    expect(out.batched).toEqual([
      { code: '42', v: '4', w: null },
      { code: '64', v: '5', w: null },
      { code: 'E974E9', v: '2', w: null },
    ]);
  });

  test('a binary key made case-insensitive: keys matched byte for byte', async () => {
    const r = (code: string, v: number) => ({ code: Buffer.from(code), v });
    const events = [del(r('a', 1)), ins(r('A', 2)), upd(r('b', 3), r('B', 3)), upd(r('c', 5), r('c', 6))];
    const out = await both(
      'batch_exact_key',
      '(code VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB',
      'MODIFY code VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL',
      "('a', 1), ('b', 3), ('c', 5)",
      events,
      'code',
    );
    expect(out.key.exactColumns).toEqual(['code']);
    expect(out.sql[0]).toContain(' OR (`code` = ');
    expect(out.batched).toEqual(out.perEvent);
    expect(out.batched).toEqual([
      { code: '41', v: '2' },
      { code: '42', v: '3' },
      { code: '63', v: '6' },
    ]);
  });
});
