// Batched replay writes an update as DELETE + INSERT of the last image (core/binlog/batch.ts); for a ghost whose
// new column the server fills on every write (an expression default), replay keeps per-event statements so that
// such a column keeps the value it got when the row was copied (core/binlog/refill.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, qualified } from '../support/load.js';
import { dropUser, explainRun, migrationUser, MIGRATION_USER, oscArgv, RUN_TAG, runOsc } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_COLUMNS, ordersModel } from '../scenarios/models.js';

const CREATE = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  qty INT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  note VARCHAR(255) NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
const ROWS = 3000;

let admin: Connection;
let dir: string;
const databases: string[] = [];

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  dir = mkdtempSync(join(tmpdir(), 'osc-modes-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!admin) return;
  for (const d of databases) await admin.query(`DROP DATABASE IF EXISTS \`${d}\``).catch(() => undefined);
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

/** Migrates t with `alter`, held before the cut-over while `during` runs on the copied ghost. */
async function migrateHeld(name: string, alter: string, during: (db: string, stderr: () => string) => Promise<void>) {
  const database = `osc_t_${name}_${RUN_TAG}`;
  databases.push(database);
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, CREATE, 't', ordersModel(), ROWS);
  const mig = await migrationUser(admin, testServer().primary, database);
  const postpone = join(dir, `${name}-postpone`);
  writeFileSync(postpone, '');
  let stderr = '';
  const argv = oscArgv(mig, database, 't', [
    '--alter',
    alter,
    '--execute',
    '--replica-server-id',
    String(uniqueServerId()),
    '--postpone-cut-over-flag-file',
    postpone,
    '--chunk-size',
    '500',
  ]);
  const run = runOsc(argv, { onStderr: (t) => (stderr += t) });
  try {
    await waitFor(() => /copy_done/.test(stderr), { timeoutMs: 60_000, intervalMs: 20, message: 'the copy to finish' });
    await during(database, () => stderr);
  } finally {
    rmSync(postpone, { force: true });
  }
  const r = await run;
  expect(r.code, explainRun(r)).toBe(0);
  return { database, stderr };
}

const sumQty = async (table: string): Promise<number> => {
  const [rows] = await admin.query<RowDataPacket[]>(`SELECT SUM(qty) AS s FROM ${table}`);
  return Number(rows[0]?.['s']);
};

describe('replay modes', () => {
  test('batched: an update burst is replayed exactly', async () => {
    const { database, stderr } = await migrateHeld(
      'batched',
      "ADD COLUMN status VARCHAR(10) NOT NULL DEFAULT 'new'",
      async (db) => {
        await admin.query(`UPDATE ${qualified(db, 't')} SET qty = qty + 7, note = CONCAT('n', id)`);
        await admin.query(`DELETE FROM ${qualified(db, 't')} WHERE id % 10 = 3`);
        const target = await sumQty(qualified(db, 't'));
        await waitFor(async () => (await sumQty(qualified(db, '_t_gho'))) === target, {
          timeoutMs: 60_000,
          intervalMs: 50,
          message: 'replay to apply the burst',
        });
      },
    );
    expect(stderr).not.toMatch(/replay_per_event/);
    const cols = ORDERS_COLUMNS.map((c) => `\`${c}\``).join(', ');
    const [now] = await admin.query<RowDataPacket[]>(
      `SELECT ${cols}, status FROM ${qualified(database, 't')} ORDER BY id`,
    );
    const [old] = await admin.query<RowDataPacket[]>(
      `SELECT ${cols} FROM ${qualified(database, '_t_del')} ORDER BY id`,
    );
    expect(now.length).toBe(ROWS - ROWS / 10);
    expect(now.map((r) => ORDERS_COLUMNS.map((c) => r[c] as unknown))).toEqual(
      old.map((r) => ORDERS_COLUMNS.map((c) => r[c] as unknown)),
    );
    expect(new Set(now.map((r) => String(r['status'])))).toEqual(new Set(['new']));
  });

  test('per-event: a new column the server fills on every write keeps its value through updates', async () => {
    const { stderr } = await migrateHeld(
      'perevent',
      'ADD COLUMN touched DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)',
      async (db) => {
        const ghost = qualified(db, '_t_gho');
        const [before] = await admin.query<RowDataPacket[]>(`SELECT touched FROM ${ghost} WHERE id = 1`);
        await new Promise((r) => setTimeout(r, 20));
        await admin.query(`UPDATE ${qualified(db, 't')} SET qty = -42 WHERE id = 1`);
        await waitFor(
          async () => {
            const [rows] = await admin.query<RowDataPacket[]>(`SELECT qty FROM ${ghost} WHERE id = 1`);
            return Number(rows[0]?.['qty']) === -42;
          },
          { timeoutMs: 30_000, intervalMs: 20, message: 'replay to apply the update' },
        );
        const [after] = await admin.query<RowDataPacket[]>(`SELECT touched FROM ${ghost} WHERE id = 1`);
        expect(after).toEqual(before);
      },
    );
    expect(stderr).toMatch(/replay_per_event .*columns=touched/);
  });
});
