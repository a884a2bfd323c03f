// Other sessions' locks on the table when the cut-over comes, under a write load: each attempt waits at most
// --cut-over-lock-timeout-seconds (writers stall at most about that long), fails with the original intact, and the
// next attempt swaps once the lock is gone; or, when it never goes, the run fails cleanly after its retries. A
// lock on the ghost through the cleanup bounds the cleanup instead of hanging it. (A shared metadata lock held by a
// transaction that read the table: faults.test.ts.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, qualified, quoteId, TABLE_TOKEN } from '../support/load.js';
import { dropUser, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { expectCleanFailure, expectExact, holdMetadataLock } from '../support/fault-checks.js';
import {
  migrateUnderLoad,
  prepareTable,
  recreateDatabase,
  type DuringContext,
  type UnderLoadResult,
} from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';

let admin: Connection;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

const ROWS = 5_000;
/** A row outside the load's ids: the blocking transaction writes it, so no writer waits on its row lock. */
const SPARE_ID = 10_000_000;
const LOCK_TIMEOUT_SECONDS = 1;

/**
 * Migrates under load with the cut-over postponed until `block` ran (given the flag file to remove), while a probe
 * session times a no-op write to the table every 20 ms: the longest it waited is `maxStallMs`.
 */
async function migrateBlocked(
  name: string,
  args: readonly string[],
  block: (ctx: DuringContext, env: { database: string; release: () => void }) => Promise<void>,
): Promise<{ r: UnderLoadResult; database: string; maxStallMs: number }> {
  const database = `osc_t_locks_${name}_${RUN_TAG}`;
  const model = ordersModel();
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, ORDERS_CREATE, 't', model, ROWS);
  await admin.query(
    `INSERT INTO ${qualified(database, 't')} (id, name, qty, price, note, updated_at) VALUES (?, 'spare', 0, 0, NULL, '2001-01-01 00:00:00')`,
    [SPARE_ID],
  );
  const dir = mkdtempSync(join(tmpdir(), 'osc-locks-'));
  const flag = join(dir, 'postpone');
  writeFileSync(flag, '');
  const probe = await exactConnection(testServer().primary);
  let maxStallMs = 0;
  let probing = true;
  // An UPDATE that matches no row: it needs the table's write metadata lock like any writer, and changes nothing.
  const probing$ = (async () => {
    while (probing) {
      const t0 = Date.now();
      await probe.query(`UPDATE ${qualified(database, 't')} SET qty = qty WHERE id = -1`);
      maxStallMs = Math.max(maxStallMs, Date.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const r = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model,
      seededRows: ROWS,
      alter: ORDERS_ALTER,
      args: [
        '--chunk-size',
        '500',
        '--postpone-cut-over-flag-file',
        flag,
        '--cut-over-lock-timeout-seconds',
        String(LOCK_TIMEOUT_SECONDS),
        ...args,
      ],
      replicaServerId: uniqueServerId(),
      during: async (ctx) => {
        await waitFor(() => / to=postponed\b/.test(ctx.stderr()), {
          timeoutMs: 60_000,
          message: 'the postponed phase',
        });
        await block(ctx, { database, release: () => rmSync(flag, { force: true }) });
      },
    });
    return { r, database, maxStallMs };
  } finally {
    probing = false;
    await probing$.catch(() => undefined);
    await probe.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

const attempt = (n: number) => new RegExp(`cut_over_attempt attempt="attempt ${n}/`);
// Each attempt blocks writers at most about its lock timeout; the rest is this machine's scheduling.
const STALL_BUDGET_MS = 2 * LOCK_TIMEOUT_SECONDS * 1000 + 1000;

describe('another session locks the table at cut-over', () => {
  test('a long transaction holding rows of the table: attempts time out, the swap comes once it commits', async () => {
    const locker = await exactConnection(testServer().primary);
    try {
      const { r, database, maxStallMs } = await migrateBlocked('rows', [], async (ctx, { database, release }) => {
        const sql = `UPDATE ${TABLE_TOKEN} SET qty = qty + 1 WHERE id = ?`;
        await locker.query('START TRANSACTION');
        await locker.query(sql.replace(TABLE_TOKEN, qualified(database, 't')), [SPARE_ID]);
        release();
        await waitFor(() => attempt(3).test(ctx.stderr()), { timeoutMs: 30_000, message: 'cut-over attempt 3' });
        await locker.query('COMMIT');
        ctx.record({ kind: 'update', sql, params: [SPARE_ID] });
      });
      expect(r.run.stderr).toMatch(/cut_over_failed attempt="attempt 1\//);
      expect(r.run.stderr).toMatch(/cut_over_failed attempt="attempt 2\//);
      await expectExact(admin, r, database);
      expect(maxStallMs, 'the longest a write waited').toBeLessThan(STALL_BUDGET_MS);
    } finally {
      await locker.end();
    }
  });

  test("another session's LOCK TABLES on it: attempts time out, the swap comes once it unlocks", async () => {
    const locker = await exactConnection(testServer().primary);
    try {
      const { r, database } = await migrateBlocked('locktables', [], async (ctx, { database, release }) => {
        await locker.query(`LOCK TABLES ${quoteId(database)}.t READ`);
        try {
          release();
          await waitFor(() => attempt(2).test(ctx.stderr()), { timeoutMs: 30_000, message: 'cut-over attempt 2' });
        } finally {
          await locker.query('UNLOCK TABLES');
        }
      });
      expect(r.run.stderr).toMatch(/cut_over_failed attempt="attempt 1\//);
      await expectExact(admin, r, database);
    } finally {
      await locker.end();
    }
  });

  test('a lock that never goes: the run fails cleanly after its retries, writers stalled only briefly', async () => {
    const locker = await exactConnection(testServer().primary);
    try {
      const { r, database, maxStallMs } = await migrateBlocked(
        'never',
        ['--default-retries', '3'],
        async (ctx, { database, release }) => {
          await holdMetadataLock(locker, database, 't');
          release();
          await ctx.done;
          await locker.query('COMMIT');
        },
      );
      expect(r.run.stderr).toMatch(/cut_over_failed attempt="attempt 3\/3"/);
      await expectCleanFailure(admin, r, { database, code: 'CUT_OVER_FAILED' });
      expect(maxStallMs, 'the longest a write waited').toBeLessThan(STALL_BUDGET_MS);
    } finally {
      await locker.end();
    }
  });
});

describe('another session locks the ghost', () => {
  test('a session keeps a lock on the ghost through the cleanup: osc gives up after a bounded wait and names what it left', async () => {
    const database = `osc_t_locks_cleanup_${RUN_TAG}`;
    const model = ordersModel();
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, ORDERS_CREATE, 't', model, ROWS);
    const dir = mkdtempSync(join(tmpdir(), 'osc-locks-'));
    const flag = join(dir, 'postpone');
    writeFileSync(flag, '');
    const locker = await exactConnection(testServer().primary);
    try {
      const r = await migrateUnderLoad({
        admin,
        primary: testServer().primary,
        database,
        table: 't',
        model,
        seededRows: ROWS,
        alter: ORDERS_ALTER,
        child: true,
        args: ['--postpone-cut-over-flag-file', flag],
        replicaServerId: uniqueServerId(),
        // Without a bound the DROP of the ghost waits for the lock for a year (lock_wait_timeout's default).
        runTimeoutMs: 60_000,
        during: async (ctx) => {
          await waitFor(() => / to=postponed\b/.test(ctx.stderr()), {
            timeoutMs: 60_000,
            message: 'the postponed phase',
          });
          await holdMetadataLock(locker, database, '_t_gho');
          ctx.kill('SIGTERM');
          await ctx.done;
        },
      });
      expect(r.run.stderr).toMatch(/cleanup_failed left=\S*_t_gho/);
      expect(r.run.stderr).toMatch(/osc: aborted by signal.*osc's tables left behind: `[^`]+`\.`_t_gho` \(drop them/);
      await expectCleanFailure(admin, r, { database, code: 'ABORTED', left: ['_t_gho'] });
    } finally {
      await locker.query('COMMIT');
      await locker.end();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
