// Faults during a migration under write load; both must still end with an exact result.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, quoteId } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { columnsOf, describeComparison, tableNames } from '../support/verify.js';
import { migrateUnderLoad, prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_COLUMNS, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';

const CREATE = ORDERS_CREATE;
const ALTER = ORDERS_ALTER;
const ORIGINAL_COLUMNS = ORDERS_COLUMNS;

let admin: Connection;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

async function ghostHasRows(database: string): Promise<boolean> {
  const [rows] = await admin.query<RowDataPacket[]>(`SELECT 1 AS one FROM ${quoteId(database)}.\`_t_gho\` LIMIT 1`);
  return rows.length > 0;
}

describe('faults under write load', () => {
  test('the binlog dump thread is KILLed mid-copy: the result is still exact', async () => {
    const database = `osc_t_fault_kill_${RUN_TAG}`;
    const model = ordersModel();
    const rows = 30_000;
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, CREATE, 't', model, rows);
    let killedDuringCopy = false;
    const result = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model,
      seededRows: rows,
      alter: ALTER,
      // Small chunks: the copy lasts long enough to kill the reader in the middle of it.
      args: ['--chunk-size', '100'],
      replicaServerId: uniqueServerId(),
      during: async ({ stderr, migrationUser }) => {
        await waitFor(async () => / to=copy\b/.test(stderr()) && (await ghostHasRows(database)), {
          timeoutMs: 60_000,
          intervalMs: 20,
          message: 'the copy to start',
        });
        const [threads] = await admin.query<RowDataPacket[]>(
          "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%'",
          [migrationUser.user],
        );
        expect(threads.length, 'osc has one binlog dump thread').toBe(1);
        killedDuringCopy = !stderr().includes('copy_done');
        await admin.query(`KILL ${Number(threads[0]?.['id'])}`);
      },
    });
    expect(result.run.code, explainRun(result.run)).toBe(0);
    expect(killedDuringCopy, 'the dump thread was killed before the copy finished').toBe(true);
    expect(result.run.stderr).toMatch(/binlog_reconnect/);
    expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
      true,
    );
    expect(result.writesDuringRun).toBeGreaterThan(0);
  });

  test('a lock held on the table at cut-over: attempt 1 times out, the original stays, success once released', async () => {
    const database = `osc_t_fault_lock_${RUN_TAG}`;
    const model = ordersModel();
    const rows = 20_000;
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, CREATE, 't', model, rows);
    const locker = await exactConnection(testServer().primary);
    let releasedAfterAttempt2 = false;
    let lockedSeen: { columns: string[]; tables: string[] } | null = null;
    try {
      const result = await migrateUnderLoad({
        admin,
        primary: testServer().primary,
        database,
        table: 't',
        model,
        seededRows: rows,
        alter: ALTER,
        args: ['--chunk-size', '500', '--cut-over-lock-timeout-seconds', '1'],
        replicaServerId: uniqueServerId(),
        during: async ({ stderr }) => {
          // An open transaction that read the table holds a shared metadata lock until it ends:
          // the copy and the load go on, but LOCK TABLES ... WRITE and RENAME must wait for it.
          await waitFor(async () => / to=copy\b/.test(stderr()) && (await ghostHasRows(database)), {
            timeoutMs: 60_000,
            intervalMs: 20,
            message: 'the copy to start',
          });
          await locker.query('START TRANSACTION');
          await locker.query(`SELECT COUNT(*) AS n FROM ${quoteId(database)}.t`);
          await waitFor(() => /attempt=2\/\d+|attempt 2\/\d+/.test(stderr()), {
            timeoutMs: 60_000,
            intervalMs: 20,
            message: 'cut-over attempt 2',
          });
          // Between the attempts the original is still in place and unchanged in shape.
          lockedSeen = {
            columns: (await columnsOf(admin, { database, table: 't' })).map((c) => c.name),
            tables: await tableNames(admin, database),
          };
          await locker.query('COMMIT');
          releasedAfterAttempt2 = true;
        },
      });
      expect(result.run.code, explainRun(result.run)).toBe(0);
      expect(releasedAfterAttempt2).toBe(true);
      expect(result.run.stderr).toMatch(/cut_over_failed.*attempt=1\/\d+|cut_over_failed.*attempt 1\/\d+/);
      expect(lockedSeen).not.toBeNull();
      expect(lockedSeen!.columns).toEqual(ORIGINAL_COLUMNS);
      expect(lockedSeen!.tables).toContain('t');
      expect(lockedSeen!.tables).toContain('_t_gho');
      expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
        true,
      );
      expect(result.writesDuringRun).toBeGreaterThan(0);
    } finally {
      await locker.end();
    }
  });

  test('FLUSH BINARY LOGS many times during the run: the reader follows every rotation, the result is exact', async () => {
    const database = `osc_t_fault_flush_${RUN_TAG}`;
    const model = ordersModel();
    const rows = 20_000;
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, CREATE, 't', model, rows);
    let flushes = 0;
    const result = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model,
      seededRows: rows,
      alter: ALTER,
      args: ['--chunk-size', '200', '--status-interval', '1'],
      replicaServerId: uniqueServerId(),
      // The cut-over waits 3 s after the start, so the rotations fall in the copy and the postponed replay.
      postponeCutOverMs: 3_000,
      during: async ({ done }) => {
        let ended = false;
        void done.finally(() => (ended = true));
        while (!ended) {
          await admin.query('FLUSH BINARY LOGS');
          flushes++;
          await new Promise((r) => setTimeout(r, 100));
        }
      },
    });
    expect(result.run.code, explainRun(result.run)).toBe(0);
    expect(flushes, 'binary logs flushed during the run').toBeGreaterThanOrEqual(10);
    // Replay went on through the rotations: a later status line reports a position files after the first (status
    // lines come every second, so the last one shown may be a little behind).
    const first = Number(/binlog_start position=[^:\s]*?(\d+):/.exec(result.run.stderr)?.[1] ?? NaN);
    const last = Number([...result.run.stderr.matchAll(/ binlog=[^:\s]*?(\d+):/g)].at(-1)?.[1] ?? NaN);
    expect(last - first, `binlog files replayed through (${first} -> ${last})`).toBeGreaterThanOrEqual(1);
    expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
      true,
    );
    expect(result.writesDuringRun).toBeGreaterThan(0);
  });
});
