// The checksum before the swap, through main(): the ghost is changed behind osc's back once the copy is done (an
// osc-on-row-copy-complete hook holds osc there while the test changes it), and osc must find and repair every
// difference, or fail with the range named when the difference cannot be repaired; the original stays untouched.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { exactConnection, LoadGenerator, qualified } from '../support/load.js';
import type { Endpoint } from '../support/load.js';
import { explainRun, migrationUser, oscArgv, repairsOf, runOsc, RUN_TAG } from '../support/run-osc.js';
import type { OscRun } from '../support/run-osc.js';
import { detectFlavor, testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { checksum, tableNames } from '../support/verify.js';
import { ORDERS_CREATE, ordersModel } from '../scenarios/models.js';
import { errorCodeOf, prepareTable, recreateDatabase } from '../scenarios/runner.js';

const DB = `osc_t_checksum_${RUN_TAG}`;
const ROWS = 1000;
// Fixed chunks of 100 rows: chunk n holds ids 100(n-1)+1 .. 100n, the last one everything above 1000.
const CHUNK = ['--chunk-size', '100'];

let admin: Connection;
let mig: Endpoint;
let flavor: 'mysql' | 'mariadb';
let dir: string;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  flavor = await detectFlavor(admin);
  await recreateDatabase(admin, DB);
  mig = await migrationUser(admin, testServer().primary, DB);
});

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
  await admin.end();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osc-checksum-'));
  // The hook says the copy is done, then holds osc until the test removes `hold`.
  const hook = join(dir, 'osc-on-row-copy-complete');
  writeFileSync(
    hook,
    ['#!/bin/sh', `touch '${join(dir, 'ready')}'`, `while [ -e '${join(dir, 'hold')}' ]; do sleep 0.05; done`, ''].join(
      '\n',
    ),
  );
  chmodSync(hook, 0o755);
  writeFileSync(join(dir, 'hold'), '');
  return () => rmSync(dir, { recursive: true, force: true });
});

async function createTable(table: string, columns: string, values: (id: number) => string): Promise<void> {
  await admin.query(`DROP TABLE IF EXISTS ${qualified(DB, table)}, ${qualified(DB, `_${table}_del`)}`);
  await admin.query(`CREATE TABLE ${qualified(DB, table)} (id INT NOT NULL PRIMARY KEY, ${columns})`);
  const rows = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, ${values(i + 1)})`);
  await admin.query(`INSERT INTO ${qualified(DB, table)} VALUES ${rows.join(', ')}`);
}

/** Runs osc; once the copy is done, `change` alters the ghost, then osc goes on. */
async function migrate(
  table: string,
  alter: string,
  change: (ghost: string) => Promise<void>,
  extra: readonly string[] = [],
  onStderr?: (text: string) => void,
): Promise<OscRun> {
  const run = runOsc(
    oscArgv(mig, DB, table, [
      '--alter',
      alter,
      '--execute',
      '--replica-server-id',
      String(uniqueServerId()),
      '--hooks-path',
      dir,
      '--serve-socket-file',
      join(dir, 'osc.sock'),
      ...CHUNK,
      ...extra,
    ]),
    { allowRepairs: true, ...(onStderr === undefined ? {} : { onStderr }) },
  );
  try {
    await waitFor(() => existsSync(join(dir, 'ready')), { timeoutMs: 60_000, message: 'the copy to finish' });
    await change(qualified(DB, `_${table}_gho`));
  } finally {
    rmSync(join(dir, 'hold'), { force: true });
  }
  return run;
}

function lockMsOf(stderr: string): number[] {
  return [...stderr.matchAll(/checksum_snapshot .*lock_ms=(\d+)/g)].map((m) => Number(m[1]));
}

describe('checksum before the swap', () => {
  test('finds and repairs every kind of difference; the migration ends exact', async () => {
    await createTable(
      't',
      's VARCHAR(20) NULL, ts TIMESTAMP NULL, j JSON NULL, n INT NOT NULL',
      (id) =>
        `'${id === 350 ? '' : `name ${id}`}', '2024-01-01 10:00:00', '${id === 750 ? '{"a": 1, "b": 2}' : '[1, 2]'}', ${id}`,
    );
    const run = await migrate('t', 'ADD INDEX n_idx (n)', async (ghost) => {
      await admin.query(`UPDATE ${ghost} SET s = 'name 6' WHERE id = 5`); // one byte of one row
      await admin.query(`DELETE FROM ${ghost} WHERE id = 150`); // a missing row
      await admin.query(`INSERT INTO ${ghost} VALUES (100000, 'extra', NULL, NULL, 1)`); // an extra row
      await admin.query(`UPDATE ${ghost} SET s = NULL WHERE id = 350`); // NULL for ''
      await admin.query(`UPDATE ${ghost} SET s = CONCAT(s, ' ') WHERE id = 450`); // a trailing space
      await admin.query(`UPDATE ${ghost} SET ts = ts + INTERVAL 1 HOUR WHERE id = 550`); // a shifted TIMESTAMP
      await admin.query(`UPDATE ${ghost} SET j = '[2, 1]' WHERE id = 650`); // a JSON array re-ordered
      // A JSON object re-ordered: MySQL stores JSON normalised (no difference); MariaDB's JSON is text.
      await admin.query(`UPDATE ${ghost} SET j = '{"b": 2, "a": 1}' WHERE id = 750`);
    });
    expect(run.code, explainRun(run)).toBe(0);
    expect(repairsOf(run.stdout), explainRun(run)).toBe(flavor === 'mysql' ? 7 : 8);
    expect(run.stdout).toMatch(/verified:\s+1000 rows in 11 chunks/);
    expect(run.stderr).toMatch(/checksum_repair range="?id from 100 \(exclusive\) to 200"? repair=1/);
    // The new table holds exactly the original's rows (same definition: CHECKSUM TABLE compares them).
    expect(await checksum(admin, { database: DB, table: 't' })).toBe(
      await checksum(admin, { database: DB, table: '_t_del' }),
    );
    // The snapshot's lock is reported and stays well inside the cut-over's budget (3 s by default).
    const locks = lockMsOf(run.stderr);
    expect(locks.length).toBeGreaterThanOrEqual(2);
    for (const ms of locks) expect(ms).toBeLessThan(3000);
  });

  test("the hash's frame: a '#' moved across two strings, NULL for '' in the last string, an empty string moved", async () => {
    // b is the last string, hashed without its length (rowHash); a keeps its length.
    await createTable('f', 'a VARCHAR(20) NULL, b VARCHAR(20) NULL', (id) =>
      id === 5 ? `'x#', 'y'` : id === 150 ? `'p', ''` : id === 250 ? `'', 'q'` : `'a${id}', 'b${id}'`,
    );
    const run = await migrate('f', 'ADD INDEX b_idx (b)', async (ghost) => {
      await admin.query(`UPDATE ${ghost} SET a = 'x', b = '#y' WHERE id = 5`);
      await admin.query(`UPDATE ${ghost} SET b = NULL WHERE id = 150`);
      await admin.query(`UPDATE ${ghost} SET a = 'q', b = '' WHERE id = 250`);
    });
    expect(run.code, explainRun(run)).toBe(0);
    expect(repairsOf(run.stdout), explainRun(run)).toBe(3);
    expect(await checksum(admin, { database: DB, table: 'f' })).toBe(
      await checksum(admin, { database: DB, table: '_f_del' }),
    );
  });

  test('repairs under a write load: writes and replay go on through the checksum and its repairs', async () => {
    await admin.query(`DROP TABLE IF EXISTS ${qualified(DB, 't')}, ${qualified(DB, '_t_del')}`);
    await prepareTable(admin, DB, ORDERS_CREATE, 't', ordersModel(), 3000);
    const load = new LoadGenerator({
      endpoint: testServer().primary,
      database: DB,
      table: 't',
      model: ordersModel(),
      seededRows: 3000,
      rate: 300,
    }).start();
    // The cut-over waits (postponed) until the load has stopped, so that the tables must end up equal.
    const postpone = join(dir, 'postpone');
    writeFileSync(postpone, '');
    let log = '';
    let loadResult: Awaited<ReturnType<LoadGenerator['stop']>> | null = null;
    const run = migrate(
      't',
      'ADD INDEX qty_idx (qty)',
      async (ghost) => {
        await admin.query(`UPDATE ${ghost} SET note = CONCAT(COALESCE(note, ''), 'x') WHERE id BETWEEN 1000 AND 1010`);
        await admin.query(
          `INSERT INTO ${ghost} (id, name, qty, price, note, updated_at) VALUES (9999999, 'extra', 1, 1, NULL, NOW(6))`,
        );
      },
      ['--postpone-cut-over-flag-file', postpone],
      (t) => (log += t),
    );
    try {
      await waitFor(() => /checksum_done/.test(log), { timeoutMs: 60_000, message: 'the checksum to finish' });
      loadResult = await load.stop();
    } finally {
      if (loadResult === null) await load.stop().catch(() => undefined);
      rmSync(postpone, { force: true });
    }
    const r = await run;
    expect(r.code, explainRun(r)).toBe(0);
    expect(loadResult.writes.length).toBeGreaterThan(0);
    expect(repairsOf(r.stdout)).toBeGreaterThanOrEqual(1);
    expect(await checksum(admin, { database: DB, table: 't' })).toBe(
      await checksum(admin, { database: DB, table: '_t_del' }),
    );
  });

  test('join mode (the ALTER reorders the key) repairs a missing, a changed and an extra row; the migration ends exact', async () => {
    await admin.query(`DROP TABLE IF EXISTS ${qualified(DB, 'j')}, ${qualified(DB, '_j_del')}`);
    await admin.query(
      `CREATE TABLE ${qualified(DB, 'j')} (a INT NOT NULL, b INT NOT NULL, v VARCHAR(20) NULL, PRIMARY KEY (a, b))`,
    );
    const rows = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, ${ROWS - i}, 'v ${i + 1}')`);
    await admin.query(`INSERT INTO ${qualified(DB, 'j')} VALUES ${rows.join(', ')}`);
    const run = await migrate('j', 'DROP PRIMARY KEY, ADD PRIMARY KEY (b, a)', async (ghost) => {
      await admin.query(`DELETE FROM ${ghost} WHERE a = 150`); // a missing row
      await admin.query(`UPDATE ${ghost} SET v = 'changed' WHERE a = 450`); // a changed row
      await admin.query(`INSERT INTO ${ghost} (a, b, v) VALUES (5000, 5000, 'extra')`); // an extra row
    });
    expect(run.code, explainRun(run)).toBe(0);
    expect(run.stderr).toMatch(/checksum_start mode=join/);
    expect(run.stderr).toMatch(
      /checksum_repair extra_rows=1 range="?\(b, a\) from \(5000, 5000\) to \(5000, 5000\)"? repair=1/,
    );
    // Two chunks re-copied, the extra row deleted.
    expect(repairsOf(run.stdout), explainRun(run)).toBe(3);
    expect(run.stdout).toMatch(/verified:\s+1000 rows in 11 chunks/);
    expect(await checksum(admin, { database: DB, table: 'j' })).toBe(
      await checksum(admin, { database: DB, table: '_j_del' }),
    );
  });

  test('join mode: a lossy conversion fails with the key range named, the original untouched', async () => {
    await admin.query(`DROP TABLE IF EXISTS ${qualified(DB, 'jf')}, ${qualified(DB, '_jf_del')}`);
    await admin.query(
      `CREATE TABLE ${qualified(DB, 'jf')} (a INT NOT NULL, b INT NOT NULL, x DOUBLE NOT NULL, PRIMARY KEY (a, b))`,
    );
    const rows = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, ${ROWS - i}, ${i + 1 === 420 ? '0.1' : i + 1})`);
    await admin.query(`INSERT INTO ${qualified(DB, 'jf')} VALUES ${rows.join(', ')}`);
    const before = await checksum(admin, { database: DB, table: 'jf' });
    const run = await migrate('jf', 'DROP PRIMARY KEY, ADD PRIMARY KEY (b, a), MODIFY x FLOAT NOT NULL', () =>
      Promise.resolve(),
    );
    expect(run.code, explainRun(run)).toBe(1);
    expect(errorCodeOf(run)).toBe('CHECKSUM_FAILED');
    expect(run.stderr).toMatch(/key range \(a, b\) from \(400, 601\) \(exclusive\) to \(500, 501\) after 3 repairs/);
    expect(await tableNames(admin, DB)).toEqual(expect.not.arrayContaining(['_jf_gho', '_jf_ghc']));
    expect(await checksum(admin, { database: DB, table: 'jf' })).toBe(before);
  });

  test('a lossy conversion fails with the key range named, the original untouched', async () => {
    await createTable('f', 'x DOUBLE NOT NULL', (id) => (id === 420 ? '0.1' : String(id)));
    const before = await checksum(admin, { database: DB, table: 'f' });
    const run = await migrate('f', 'MODIFY x FLOAT NOT NULL', () => Promise.resolve());
    expect(run.code, explainRun(run)).toBe(1);
    expect(errorCodeOf(run)).toBe('CHECKSUM_FAILED');
    expect(run.stderr).toMatch(/key range id from 400 \(exclusive\) to 500 after 3 repairs/);
    expect(await tableNames(admin, DB)).toEqual(expect.not.arrayContaining(['_f_gho', '_f_ghc']));
    expect(await checksum(admin, { database: DB, table: 'f' })).toBe(before);
  });

  test('duplicates for a new UNIQUE key that only a repair meets fail with the range named', async () => {
    await createTable('u', 'k INT NOT NULL', (id) => String(id));
    const before = await checksum(admin, { database: DB, table: 'u' });
    const run = await migrate('u', 'ADD UNIQUE KEY k_uniq (k)', async (ghost) => {
      // Row 7 leaves the ghost and row 907 takes its k: re-copying row 7 collides with it.
      await admin.query(`DELETE FROM ${ghost} WHERE id = 7`);
      await admin.query(`UPDATE ${ghost} SET k = 7 WHERE id = 907`);
    });
    expect(run.code, explainRun(run)).toBe(1);
    expect(errorCodeOf(run)).toBe('DATA_CONFLICT');
    expect(run.stderr).toMatch(/repairing key range id from the start to 100/);
    expect(await checksum(admin, { database: DB, table: 'u' })).toBe(before);
  });

  test('--skip-checksum swaps without comparing and says so', async () => {
    await createTable('k', 'v INT NOT NULL', (id) => String(id));
    const run = await migrate(
      'k',
      'ADD INDEX v_idx (v)',
      async (ghost) => {
        await admin.query(`UPDATE ${ghost} SET v = -1 WHERE id = 5`);
      },
      ['--skip-checksum'],
    );
    expect(run.code, explainRun(run)).toBe(0);
    expect(run.stdout).toMatch(/verified:\s+no: --skip-checksum/);
    const [rows] = await admin.query<RowDataPacket[]>(`SELECT v FROM ${qualified(DB, 'k')} WHERE id = 5`);
    expect(rows[0]?.['v']).toBe(-1);
  });
});
