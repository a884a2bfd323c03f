// The copy runs beside replay instead of in turns with it: with replay stuck on one row change (its ghost row held
// by another transaction), the copy still copies the whole table; once replay goes on, the result is exact.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, qualified, TABLE_TOKEN, type LoggedWrite } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { describeComparison } from '../support/verify.js';
import { migrateUnderLoad, prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_ALTER, ordersModel } from '../scenarios/models.js';

const CREATE = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  qty INT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  note VARCHAR(255) NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

const ROWS = 6000;
// Below the seeded ids (1..ROWS) and the load's, and written once the copy has read its key range (copy_started):
// the copy never reaches it, only replay does. (Written before that, it would be the copy's first row and the copy
// would wait on B's lock with replay.)
const STUCK = -5;

let admin: Connection;
let dir: string;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  dir = mkdtempSync(join(tmpdir(), 'osc-beside-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.query(`DROP DATABASE IF EXISTS \`osc_t_beside_${RUN_TAG}\``).catch(() => undefined);
  await admin.query(`DROP DATABASE IF EXISTS \`osc_t_beside_${RUN_TAG}_exp\``).catch(() => undefined);
  await admin.end();
});

/**
 * Makes replay stick: B holds STUCK's row on the ghost, and a row inserted with that id on the original is what replay
 * then meets. Resolves once replay waits on B's lock.
 */
async function holdReplay(
  admin: Connection,
  b: Connection,
  database: string,
  model: ReturnType<typeof ordersModel>,
  record: (w: LoggedWrite) => void,
): Promise<void> {
  const table = qualified(database, 't');
  const ghost = qualified(database, '_t_gho');
  await b.query('START TRANSACTION');
  await b.query(
    `INSERT INTO ${ghost} (id, name, qty, price, note, updated_at) VALUES (?, 'held', 0, 0, NULL, NOW(6))`,
    [STUCK],
  );
  const sql = `INSERT INTO ${TABLE_TOKEN} (id, ${model.valueColumns.join(', ')}) VALUES (?, ${model.valueColumns.map(() => '?').join(', ')})`;
  const params = [STUCK, ...model.values(STUCK, 0)];
  await admin.query(sql.split(TABLE_TOKEN).join(table), params);
  record({ kind: 'insert', sql, params });
  await waitFor(
    async () => {
      const [rows] = await admin.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ?`,
        [`DELETE FROM %_t_gho%`],
      );
      return Number(rows[0]?.['n']) > 0;
    },
    { timeoutMs: 30_000, intervalMs: 20, message: "replay waiting on B's row" },
  );
}

interface Stuck {
  readonly database: string;
  readonly stderr: () => string;
  readonly record: (w: LoggedWrite) => void;
  /** Lets the copy go (it waits on a throttle flag until then). */
  readonly releaseCopy: () => void;
}

/**
 * Migrates a seeded table under a light load; once the copy has begun (held by a throttle flag), replay is made to
 * stick (holdReplay) and `whileStuck` runs; B's lock goes when it returns. Resolves with the migration's result.
 */
async function migrateWithReplayStuck(
  rows: number,
  rate: number,
  whileStuck: (s: Stuck) => Promise<void>,
): Promise<Awaited<ReturnType<typeof migrateUnderLoad>>> {
  const database = `osc_t_beside_${RUN_TAG}`;
  const model = ordersModel();
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, CREATE, 't', model, rows);
  const throttle = join(dir, 'throttle');
  writeFileSync(throttle, '');
  const b = await exactConnection(testServer().primary);
  try {
    return await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model,
      seededRows: rows,
      alter: ORDERS_ALTER,
      args: ['--chunk-size', '100', '--throttle-flag-file', throttle],
      replicaServerId: uniqueServerId(),
      load: { rate },
      during: async ({ stderr, record }) => {
        try {
          await waitFor(() => / copy_started /.test(stderr()), {
            timeoutMs: 60_000,
            intervalMs: 20,
            message: 'the copy',
          });
          await holdReplay(admin, b, database, model, record);
          await whileStuck({ database, stderr, record, releaseCopy: () => rmSync(throttle, { force: true }) });
        } finally {
          await b.query('ROLLBACK').catch(() => undefined);
        }
      },
    });
  } finally {
    await b.end().catch(() => undefined);
  }
}

describe('the copy beside replay', () => {
  test('replay stuck on a row lock does not stop the copy; the result is exact', async () => {
    const ghost = qualified(`osc_t_beside_${RUN_TAG}`, '_t_gho');
    const committed = async (where: string, params: unknown[] = []): Promise<number> => {
      const [rows] = await admin.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${ghost} WHERE ${where}`, params);
      return Number(rows[0]?.['n']);
    };
    const result = await migrateWithReplayStuck(ROWS, 50, async ({ releaseCopy }) => {
      // Replay is stuck: the copy still goes on (until replay is 5 s behind, the backlog bound the next test meets).
      const before = await committed('id BETWEEN 1 AND ?', [ROWS]);
      releaseCopy();
      await waitFor(async () => (await committed('id BETWEEN 1 AND ?', [ROWS])) >= before + 1000, {
        timeoutMs: 40_000,
        intervalMs: 20,
        message: 'the copy to go on while replay is stuck',
        detail: async () => {
          const [sessions] = await admin.query<RowDataPacket[]>(
            `SELECT ID, TIME, STATE, LEFT(INFO, 160) AS INFO FROM information_schema.PROCESSLIST WHERE INFO IS NOT NULL`,
          );
          // osc's log comes with the failure anyway (migrateUnderLoad); the sessions show who waits on whom now.
          return `busy sessions: ${JSON.stringify(sessions)}`;
        },
      });
      expect(await committed('id = ?', [STUCK]), 'replay has not applied the stuck event yet').toBe(0);
    });
    expect(result.run.code, explainRun(result.run)).toBe(0);
    expect(result.run.stderr).not.toMatch(/ER_LOCK_WAIT_TIMEOUT|errno=1205\b/);
    expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
      true,
    );
  });

  test('a replay backlog over its bound pauses the copy until replay has gained ground; the result is exact', async () => {
    const rows = 9000;
    const result = await migrateWithReplayStuck(rows, 20, async ({ database, stderr, record, releaseCopy }) => {
      // A burst of row events (one per row, over the bound of 8,000) queues behind the stuck one.
      const sql = `UPDATE ${TABLE_TOKEN} SET qty = qty + 1 WHERE id BETWEEN 1 AND ?`;
      await admin.query(sql.split(TABLE_TOKEN).join(qualified(database, 't')), [rows]);
      record({ kind: 'update', sql, params: [rows] });
      releaseCopy();
      await waitFor(() => / copy_paused reason="replay backlog \d+ events"/.test(stderr()), {
        timeoutMs: 30_000,
        intervalMs: 20,
        message: 'the copy to pause on the backlog',
      });
      expect(stderr()).not.toMatch(/ copy_done /);
    });
    expect(result.run.code, explainRun(result.run)).toBe(0);
    expect(result.run.stderr).toMatch(/ copy_resumed backlog=\d+/);
    expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
      true,
    );
  });
});
