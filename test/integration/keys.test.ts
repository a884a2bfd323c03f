// Keys that the original and the ghost compare differently, end to end through main() under the write load:
// an ALTER that makes distinct key values equal must fail (exit 1, original untouched) instead of dropping rows,
// during the copy and during replay; a UNIQUE key over a STORED generated column is a usable key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, qualified, quoteId } from '../support/load.js';
import type { RowModel } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, migrationUser, oscArgv, runOsc, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { checksum, compareTables, describeComparison, replayWrites, tableNames } from '../support/verify.js';
import { loadCases, migrateUnderLoad, prepareTable, recreateDatabase } from '../scenarios/runner.js';
import type { UnderLoadResult } from '../scenarios/runner.js';
import { datetime6, decimal, mix, ordersModel } from '../scenarios/models.js';

let admin: Connection;
const dir = mkdtempSync(join(tmpdir(), 'osc-keys-'));

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

const dbName = (name: string) => `osc_t_keys_${name}_${RUN_TAG}`;

function scenario(name: string): { createSql: string; model: () => Promise<RowModel> } {
  const c = loadCases().find((x) => x.name === name);
  if (!c) throw new Error(`no scenario case ${name}`);
  return c;
}

/** Rows outside the load's model (it never touches them), with the model table's value columns. */
async function addRows(database: string, keyColumn: string, keys: readonly string[], table = 't'): Promise<void> {
  const values = ordersModel().values;
  for (const [i, k] of keys.entries()) {
    const [name, qty, price, note, updatedAt] = values(900_000 + i, 0);
    await admin.query(
      `INSERT INTO ${qualified(database, table)} (${quoteId(keyColumn)}, name, qty, price, note, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
      [k, name, qty, price, note, updatedAt],
    );
  }
}

/**
 * exit 1 with DATA_CONFLICT, the original exactly as the load (and `more`, run on the expectation too) left it,
 * osc's own tables gone.
 */
async function expectConflict(
  database: string,
  r: UnderLoadResult,
  more: (table: string) => Promise<void> = async () => {},
): Promise<void> {
  expect(r.run.code, explainRun(r.run)).toBe(1);
  expect(r.run.stderr).toContain('code=DATA_CONFLICT');
  await replayWrites(admin, r.load.writes, r.expected);
  await more(r.expected.database);
  const same = await compareTables(admin, r.expected, { database, table: 't' });
  expect(same.ok, describeComparison(same)).toBe(true);
  expect(await tableNames(admin, database)).toEqual(['t']);
  expect(r.writesDuringRun).toBeGreaterThan(0);
}

describe('an ALTER that makes two distinct key values equal', () => {
  test('a binary key made case-insensitive while the copy meets a, A, b, B: DATA_CONFLICT, nothing lost', async () => {
    const database = dbName('ci');
    const c = scenario('collation-change-key');
    const model = await c.model();
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, c.createSql, 't', model, 3000);
    await addRows(database, 'code', ['a', 'A', 'b', 'B']);
    const r = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model,
      seededRows: 3000,
      alter: 'MODIFY `code` VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL',
      args: ['--chunk-size', '200'],
      replicaServerId: uniqueServerId(),
    });
    await expectConflict(database, r);
    expect(r.run.stderr).toMatch(/key 'PRIMARY'/);
    // Row values never reach the log.
    expect(r.run.stderr).not.toMatch(/'[aAbB]'/);
  });

  test('CONVERT TO CHARACTER SET makes latin1 Jörg and Jorg equal: DATA_CONFLICT, nothing lost', async () => {
    const database = dbName('latin1');
    const c = scenario('convert-latin1-key');
    const model = await c.model();
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, c.createSql, 't', model, 3000);
    const [qty, price, note, updatedAt] = model.values(999_999, 0);
    for (const k of ['Jörg', 'Jorg']) {
      await admin.query(
        `INSERT INTO ${qualified(database, 't')} (name, qty, price, note, updated_at) VALUES (?, ?, ?, ?, ?)`,
        [k, qty, price, note, updatedAt],
      );
    }
    const r = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model,
      seededRows: 3000,
      alter: 'CONVERT TO CHARACTER SET utf8mb4',
      args: ['--chunk-size', '200'],
      replicaServerId: uniqueServerId(),
    });
    await expectConflict(database, r);
  });

  test('replay inserts A after the copy brought a over: DATA_CONFLICT instead of replacing a', async () => {
    const database = dbName('replay');
    const c = scenario('collation-change-key');
    const model = await c.model();
    const flag = join(dir, 'postpone-replay');
    writeFileSync(flag, '');
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, c.createSql, 't', model, 3000);
    await addRows(database, 'code', ['a']);
    const r = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model,
      seededRows: 3000,
      alter: 'MODIFY `code` VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL',
      args: ['--chunk-size', '500', '--postpone-cut-over-flag-file', flag],
      replicaServerId: uniqueServerId(),
      during: async ({ stderr }) => {
        await waitFor(() => /postponing cut-over/.test(stderr()), {
          timeoutMs: 60_000,
          intervalMs: 20,
          message: 'the copy to finish',
        });
        await addRows(database, 'code', ['A']);
        // Replay applies the insert within a heartbeat or two; then the cut-over may go ahead.
        await new Promise((res) => setTimeout(res, 1000));
        rmSync(flag, { force: true });
      },
    });
    await expectConflict(database, r, (db) => addRows(db, 'code', ['A']));
  });

  test('a is deleted and A inserted during the run: not a collision, the migration succeeds', async () => {
    const database = dbName('moved');
    const c = scenario('collation-change-key');
    const model = await c.model();
    const flag = join(dir, 'postpone-moved');
    writeFileSync(flag, '');
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, c.createSql, 't', model, 3000);
    await addRows(database, 'code', ['a', 'b']);
    const r = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model,
      seededRows: 3000,
      alter: 'MODIFY `code` VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL',
      args: ['--chunk-size', '500', '--postpone-cut-over-flag-file', flag],
      replicaServerId: uniqueServerId(),
      during: async ({ stderr }) => {
        await waitFor(() => /postponing cut-over/.test(stderr()), {
          timeoutMs: 60_000,
          intervalMs: 20,
          message: 'the copy to finish',
        });
        // Under the new collation a and A are one key, but never at the same time: a native ALTER would pass.
        await admin.query(`DELETE FROM ${qualified(database, 't')} WHERE code = 'a'`);
        await addRows(database, 'code', ['A']);
        await admin.query(`UPDATE ${qualified(database, 't')} SET code = 'B' WHERE code = 'b'`);
        rmSync(flag, { force: true });
      },
    });
    expect(r.run.code, explainRun(r.run)).toBe(0);
    // The expectation (already replayed and altered by the harness) lacks the writes made here: add them.
    const exp = qualified(r.expected.database, 't');
    await admin.query(`DELETE FROM ${exp} WHERE code = 'a'`);
    await addRows(r.expected.database, 'code', ['A']);
    await admin.query(`UPDATE ${exp} SET code = 'B' WHERE code = 'b'`);
    const same = await compareTables(admin, r.expected, { database, table: 't' });
    expect(same.ok, describeComparison(same)).toBe(true);
  });
});

// Bytes a single-byte charset leaves undefined (cp1251 0x98; cp1250 0x81, 0x83, 0x88, 0x90, 0x98) are stored as
// they are, even in strict mode, from a binary string (measured on MariaDB 10.11 and MySQL 9.7; so are ascii 0x80-0xFF
// on MariaDB and greek 0xAE on both). Read as text through the utf8mb4 connection they come back as `?`, and they
// sort above it: a key's maximum read that way ends the copy below the rows that hold it. Invalid sjis/gbk/big5
// sequences cannot be stored (MariaDB stores `?`, MySQL an empty string, both with a warning).
describe('a string key holding bytes its charset does not define', () => {
  test.each([
    ['cp1251', [0x98]],
    ['cp1250', [0x81, 0x83, 0x88, 0x90, 0x98]],
  ])('%s: its minimum, maximum and chunk bounds hold them, and every row is copied', async (charset, bytes) => {
    const server = testServer();
    const database = dbName(charset);
    await recreateDatabase(admin, database);
    const t = qualified(database, 't');
    await admin.query(
      `CREATE TABLE ${t} (k VARCHAR(20) CHARACTER SET ${charset} NOT NULL PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB`,
    );
    const keys: Buffer[] = [];
    for (const b of bytes) {
      keys.push(Buffer.from([0x61, b]), Buffer.from([b]), Buffer.from([0x7a, b, b]));
      for (let i = 0; i < 60; i++) keys.push(Buffer.concat([Buffer.from(`r-${i}-`), Buffer.from([b])]));
    }
    for (let i = 0; i < 100; i++) keys.push(Buffer.from(`m-${i}`));
    for (const [n, k] of keys.entries()) await admin.query(`INSERT INTO ${t} VALUES (?, ?)`, [k, n]);
    const rows = `SELECT HEX(k) AS k, n FROM ${t} ORDER BY n`;
    const [before] = await admin.query(rows);
    expect(before).toHaveLength(keys.length);
    const mig = await migrationUser(admin, server.primary, database);
    const alter = 'ADD COLUMN flag TINYINT NOT NULL DEFAULT 0';
    const run = await runOsc(
      oscArgv(mig, database, 't', [
        '--alter',
        alter,
        '--execute',
        '--chunk-size',
        '25',
        '--replica-server-id',
        String(uniqueServerId()),
      ]),
    );
    expect(run.code, explainRun(run)).toBe(0);
    const [after] = await admin.query(rows);
    expect((after as unknown[]).length, 'rows after the migration').toBe(keys.length);
    expect(after).toEqual(before);
  });
});

describe('a unique key over a column prefix', () => {
  test('shortening the prefix of the only unique key is refused before anything changes, not copied with losses', async () => {
    const server = testServer();
    const database = dbName('prefix');
    await recreateDatabase(admin, database);
    await admin.query(
      `CREATE TABLE ${qualified(database, 't')} (name VARCHAR(40) NOT NULL, v INT NOT NULL, UNIQUE KEY u (name(10))) ENGINE=InnoDB`,
    );
    // Unique in their first 10 characters, not in their first 5.
    await admin.query(
      `INSERT INTO ${qualified(database, 't')} VALUES ('abcdefghij-1', 1), ('abcdexxxxx-2', 2), ('zzz', 3)`,
    );
    const before = await checksum(admin, { database, table: 't' });
    const mig = await migrationUser(admin, server.primary, database);
    const alter = 'DROP KEY u, ADD UNIQUE KEY u (name(5))';
    const run = await runOsc(
      oscArgv(mig, database, 't', ['--alter', alter, '--execute', '--replica-server-id', String(uniqueServerId())]),
    );
    expect(run.code, explainRun(run)).toBe(2);
    expect(run.stderr).toContain('code=NO_SHARED_UNIQUE_KEY');
    expect(run.stderr).toMatch(/u \(name\): it indexes a prefix of a column/);
    expect(await tableNames(admin, database)).toEqual(['t']);
    expect(await checksum(admin, { database, table: 't' })).toBe(before);
  });
});

// MySQL allows NOT NULL on a generated column; MariaDB 10.11 does not (a syntax error, measured), so there a
// UNIQUE key over one always allows NULL and cannot identify rows.
const GENERATED_KEY_TABLE = (flavor: 'mysql' | 'mariadb') => `CREATE TABLE t (
  id INT NOT NULL,
  name VARCHAR(64) NOT NULL,
  qty INT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  note VARCHAR(255) NULL,
  updated_at DATETIME(6) NOT NULL,
  code VARCHAR(24) AS (CONCAT('o-', id)) ${flavor === 'mysql' ? 'STORED NOT NULL' : 'PERSISTENT'},
  UNIQUE KEY uk_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

const generatedKeyModel: RowModel = {
  keyColumns: ['id'],
  valueColumns: ['name', 'qty', 'price', 'note', 'updated_at'],
  key: (id) => [id],
  values: (id, v) => {
    const h = mix(id, v);
    return [
      `n-${id}-${v}`,
      (h % 2001) - 1000,
      decimal(h % 1_000_000),
      h % 5 === 0 ? null : `note ${h.toString(36)}`,
      datetime6(h),
    ];
  },
};

describe('a UNIQUE key over a STORED generated column', () => {
  test('is the chunk key when it is the only one (MySQL); MariaDB refuses, saying why', async () => {
    const server = testServer();
    const database = dbName('gen');
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, GENERATED_KEY_TABLE(server.flavor), 't', generatedKeyModel, 2000);
    const alter = 'ADD COLUMN flag TINYINT NOT NULL DEFAULT 0';
    if (server.flavor === 'mariadb') {
      const before = await checksum(admin, { database, table: 't' });
      const mig = await migrationUser(admin, server.primary, database);
      const run = await runOsc(
        oscArgv(mig, database, 't', ['--alter', alter, '--execute', '--replica-server-id', String(uniqueServerId())]),
      );
      expect(run.code, explainRun(run)).toBe(2);
      expect(run.stderr).toContain('code=NO_SHARED_UNIQUE_KEY');
      expect(run.stderr).toMatch(
        /uk_code \(code\): code allows NULL \(MariaDB cannot declare a generated column NOT NULL\)/,
      );
      expect(await tableNames(admin, database)).toEqual(['t']);
      expect(await checksum(admin, { database, table: 't' })).toBe(before);
      return;
    }
    const r = await migrateUnderLoad({
      admin,
      primary: server.primary,
      database,
      table: 't',
      model: generatedKeyModel,
      seededRows: 2000,
      alter,
      args: ['--chunk-size', '200'],
      replicaServerId: uniqueServerId(),
      load: { rate: 150 },
    });
    expect(r.run.code, explainRun(r.run)).toBe(0);
    expect(r.run.stdout).toMatch(/chunk key:\s+uk_code \(code\)/);
    expect(r.comparison?.ok, r.comparison ? describeComparison(r.comparison) : 'not compared').toBe(true);
    expect(r.writesDuringRun).toBeGreaterThan(0);
    for (const kind of ['insert', 'update-key', 'update', 'delete'] as const)
      expect(r.load.counts[kind]).toBeGreaterThan(0);
  });

  test('is refused as a match when the ALTER computes it differently (MySQL)', async () => {
    const server = testServer();
    if (server.flavor === 'mariadb') return;
    const database = dbName('genx');
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, GENERATED_KEY_TABLE('mysql'), 't', generatedKeyModel, 200);
    const before = await checksum(admin, { database, table: 't' });
    const mig = await migrationUser(admin, server.primary, database);
    const alter = "MODIFY code VARCHAR(24) AS (CONCAT('x-', id)) STORED NOT NULL";
    const run = await runOsc(
      oscArgv(mig, database, 't', ['--alter', alter, '--execute', '--replica-server-id', String(uniqueServerId())]),
    );
    expect(run.code, explainRun(run)).toBe(2);
    expect(run.stderr).toContain('code=NO_SHARED_UNIQUE_KEY');
    expect(run.stderr).toMatch(/uk_code \(code\): the new table computes generated column code differently/);
    expect(await tableNames(admin, database)).toEqual(['t']);
    expect(await checksum(admin, { database, table: 't' })).toBe(before);
  });
});
