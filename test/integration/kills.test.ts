// The server KILLs each of osc's connections in turn, under a write load. What each must end in:
// - the copier (a chunk's INSERT IGNORE ... SELECT): retried on a fresh connection, the migration exact;
// - the applier (a replay batch's transaction): the batch is retried whole, the migration exact;
// - the binlog dump thread: the reader reconnects where it was (faults.test.ts kills it mid-copy);
// - the run-lock session: the run stops (RUN_LOCK_LOST: another run could start now), takes the lock back for its
//   cleanup, and fails cleanly with the original untouched;
// - the cut-over's lock holder and its renamer: that attempt fails with the original intact, the next one swaps. The
//   single-session cut-over (MySQL 8.0.13+) has one session for both: its RENAME is made to wait (another session's
//   HANDLER holds a shared lock on the table) and killed there.
// osc's connections are found in the processlist by the migration user and what they run (or, for the run lock,
// IS_USED_LOCK); the lock holder and the renamer are given time to be found by a session holding a metadata lock.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, quoteId } from '../support/load.js';
import { dropUser, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import {
  expectCleanFailure,
  expectExact,
  holdMetadataLock,
  killFirst,
  oscThreads,
  runLockHolder,
} from '../support/fault-checks.js';
import {
  copyStarted,
  migrateUnderLoad,
  prepareTable,
  recreateDatabase,
  type DuringContext,
  type UnderLoadResult,
} from '../scenarios/runner.js';
import { tableNames } from '../support/verify.js';
import { ORDERS_ALTER, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';
import { algorithmFor } from '../support/cutover-points.js';
import type { CutOverAlgorithm } from '../../src/core/cutover/plan.js';

let admin: Connection;
/** The cut-over algorithm osc takes on this server (core/cutover/plan.ts). */
const algorithm: CutOverAlgorithm = algorithmFor(testServer().flavor);

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

const ROWS = 8_000;

/** Migrates under load with the cut-over postponed until the fault injector removes the flag file. */
async function migrateWithKill(
  name: string,
  args: readonly string[],
  inject: (ctx: DuringContext, env: { database: string; release: () => void }) => Promise<void>,
): Promise<{ r: UnderLoadResult; database: string }> {
  const database = `osc_t_kill_${name}_${RUN_TAG}`;
  const model = ordersModel();
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, ORDERS_CREATE, 't', model, ROWS);
  const dir = mkdtempSync(join(tmpdir(), 'osc-kill-'));
  const flag = join(dir, 'postpone');
  writeFileSync(flag, '');
  try {
    const r = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model,
      seededRows: ROWS,
      alter: ORDERS_ALTER,
      args: ['--postpone-cut-over-flag-file', flag, ...args],
      replicaServerId: uniqueServerId(),
      load: { rate: 400 },
      runTimeoutMs: 60_000,
      during: (ctx) => inject(ctx, { database, release: () => rmSync(flag, { force: true }) }),
    });
    return { r, database };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const postponed = (ctx: DuringContext) =>
  waitFor(() => / to=postponed\b/.test(ctx.stderr()), { timeoutMs: 60_000, message: 'the postponed phase' });

describe("the server KILLs one of osc's connections", () => {
  test('the copier, mid-chunk: the chunk is retried, the result exact', async () => {
    const locker = await exactConnection(testServer().primary);
    try {
      const { r, database } = await migrateWithKill(
        'copier',
        ['--chunk-size', '200'],
        async (_ctx, { database, release }) => {
          // A row halfway locked by another session: the chunk that reaches it waits, and is killed waiting.
          await locker.query('START TRANSACTION');
          await locker.query(`SELECT id FROM ${quoteId(database)}.t WHERE id = ? FOR UPDATE`, [ROWS / 2]);
          await killFirst(admin, { info: 'INSERT IGNORE INTO%', runningSeconds: 1 }, 'a copy chunk waiting on the row');
          await locker.query('COMMIT');
          release();
        },
      );
      expect(r.run.stderr).toMatch(/copy_retry attempt=1/);
      await expectExact(admin, r, database);
    } finally {
      await locker.end();
    }
  });

  test('the applier, inside a replay batch: the batch is retried whole, the result exact', async () => {
    const locker = await exactConnection(testServer().primary);
    try {
      const { r, database } = await migrateWithKill('applier', [], async (ctx, { database, release }) => {
        await postponed(ctx);
        // Replay goes on while the cut-over is postponed; rows of the ghost locked by another session hold its next
        // batch, whose connection is killed waiting.
        await locker.query('START TRANSACTION');
        await locker.query(`SELECT id FROM ${quoteId(database)}.\`_t_gho\` WHERE id <= ? FOR UPDATE`, [ROWS / 2]);
        await killFirst(
          admin,
          { info: `%${database}\`.\`_t_gho\`%`, runningSeconds: 1 },
          'a replay statement waiting on the ghost',
          30_000,
        );
        await locker.query('COMMIT');
        release();
      });
      expect(r.run.stderr).toMatch(/replay_retry attempt=1/);
      await expectExact(admin, r, database);
    } finally {
      await locker.end();
    }
  });

  test('the run-lock session: the run stops (RUN_LOCK_LOST), cleans up under the lock taken back, original intact', async () => {
    const { r, database } = await migrateWithKill('runlock', ['--chunk-size', '200'], async (ctx, { database }) => {
      expect(await copyStarted(admin, database, 't', ctx.stderr, ctx.done)).toBe(true);
      const holder = await runLockHolder(admin, database, 't');
      expect(holder, 'the run lock is held').not.toBeNull();
      expect(await oscThreads(admin)).toContain(holder);
      await admin.query(`KILL ${Number(holder)}`);
      await ctx.done;
    });
    expect(r.run.stderr).toMatch(/the run lock '[^']+' was lost/);
    await expectCleanFailure(admin, r, { database, code: 'RUN_LOCK_LOST' });
  });

  test("the cut-over's lock holder, waiting for its lock: the attempt fails, the original intact, the next swaps", async () => {
    const locker = await exactConnection(testServer().primary);
    try {
      const { r, database } = await migrateWithKill(
        'holder',
        ['--cut-over-lock-timeout-seconds', '5'],
        async (ctx, { database, release }) => {
          await postponed(ctx);
          await holdMetadataLock(locker, database, 't');
          release();
          await killFirst(admin, { info: 'LOCK TABLES%' }, "the lock holder's LOCK TABLES", 30_000);
          await waitFor(() => /cut_over_attempt attempt="attempt 2\//.test(ctx.stderr()), {
            timeoutMs: 30_000,
            message: 'attempt 2',
          });
          await locker.query('COMMIT');
        },
      );
      expect(r.run.stderr).toMatch(/cut_over_failed attempt="attempt 1\//);
      await expectExact(admin, r, database);
    } finally {
      await locker.end();
    }
  });

  test('the renamer, queued behind the lock (single session: the lock holder, its RENAME waiting): the attempt fails, the original intact, the next swaps', async () => {
    const handler = await exactConnection(testServer().primary);
    try {
      const { r, database } = await migrateWithKill('renamer', [], async (ctx, { database, release }) => {
        await postponed(ctx);
        // Single session: a HANDLER's shared lock on the table lets LOCK TABLES ... WRITE through and holds up the
        // RENAME's exclusive one (verified on MySQL 9.7).
        if (algorithm === 'single-session') await handler.query(`HANDLER ${quoteId(database)}.t OPEN`);
        release();
        // Two connections: the RENAME waits behind the lock holder for a few milliseconds: poll for it as fast as
        // the server answers.
        await killFirst(admin, { info: 'RENAME TABLE%' }, 'the RENAME waiting', 30_000, 0);
        if (algorithm === 'single-session') await handler.query('HANDLER t CLOSE');
      });
      // Once in a whole MySQL run (1 of 4) the single session's RENAME had completed when the KILL landed, though the
      // HANDLER should have held it: osc then finds the tables swapped and says so, which is as exact.
      if (/cut_over_swapped_after_error/.test(r.run.stderr)) {
        expect(r.run.stderr).toMatch(/cut_over_done attempt="attempt 1\//);
      } else {
        expect(r.run.stderr).toMatch(/cut_over_failed attempt="attempt 1\//);
        expect(r.run.stderr).toMatch(/cut_over_done attempt="attempt 2\//);
      }
      await expectExact(admin, r, database);
    } finally {
      await handler.end();
    }
  });

  test.runIf(testServer().flavor === 'mysql')(
    'single session: another session holds the ghost at cut-over and the lock holder is killed waiting for it: the attempt fails, the next swaps, no write is lost',
    async () => {
      expect(algorithm).toBe('single-session');
      const locker = await exactConnection(testServer().primary);
      try {
        const { r, database } = await migrateWithKill(
          'holderghost1',
          ['--cut-over-lock-timeout-seconds', '5'],
          async (ctx, { database, release }) => {
            await postponed(ctx);
            await holdMetadataLock(locker, database, '_t_gho');
            release();
            await killFirst(admin, { info: 'LOCK TABLES%' }, "the lock holder's LOCK TABLES", 30_000);
            await waitFor(() => /cut_over_attempt attempt="attempt 2\//.test(ctx.stderr()), {
              timeoutMs: 30_000,
              message: 'attempt 2',
            });
            await locker.query('COMMIT');
          },
        );
        expect(r.run.stderr).toMatch(/cut_over_failed attempt="attempt 1\//);
        await expectExact(admin, r, database);
      } finally {
        await locker.end();
      }
    },
  );

  test.runIf(testServer().flavor === 'mariadb')(
    'another session holds the ghost at cut-over and the lock holder is killed: the sentry stays, no write is lost',
    async () => {
      const locker = await exactConnection(testServer().primary);
      try {
        const { r, database } = await migrateWithKill(
          'holderghost',
          ['--cut-over-lock-timeout-seconds', '3'],
          async (ctx, { database, release }) => {
            await postponed(ctx);
            const before = new Set(await oscThreads(admin));
            await holdMetadataLock(locker, database, '_t_gho');
            release();
            const renamer = await waitFor(async () => (await oscThreads(admin, { info: 'RENAME TABLE%' }))[0], {
              timeoutMs: 30_000,
              intervalMs: 2,
              message: 'the RENAME waiting',
            });
            // Were the sentry dropped now, the RENAME would wait on the ghost and nothing but the lock holder (which
            // opened its session just before the renamer's) would keep it from the table: kill the holder there.
            // (The sentry gone while the RENAME still waits; after a failed attempt osc ends the RENAME first.)
            const dropped = await waitFor(
              async () => {
                const sentry = (await tableNames(admin, database)).includes('_t_del');
                const waiting = (await oscThreads(admin, { info: 'RENAME TABLE%' })).includes(renamer);
                if (!sentry && waiting) return 'dropped';
                return /cut_over_failed attempt="attempt 1\//.test(ctx.stderr()) ? 'kept' : null;
              },
              { timeoutMs: 10_000, intervalMs: 2, message: 'the sentry dropped, or the attempt failed' },
            );
            if (dropped === 'dropped') {
              const holder = Math.max(...(await oscThreads(admin)).filter((id) => !before.has(id) && id < renamer));
              await admin.query(`KILL ${holder}`);
              // The writers get the table back; then the ghost is free too.
              await new Promise((res) => setTimeout(res, 200));
            }
            await locker.query('COMMIT');
          },
        );
        await expectExact(admin, r, database);
        expect(r.run.stderr).toMatch(
          /cut_over_failed attempt="attempt 1\/\d+" reason="another session holds a lock on _t_gho/,
        );
      } finally {
        await locker.end();
      }
    },
  );
});
