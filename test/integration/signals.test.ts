// SIGTERM and Ctrl-C (SIGINT) of the osc process under a write load, at each point of a run: a clean abort (exit 1,
// ABORTED), osc's own tables dropped (ghost, changelog, the cut-over's sentry), nothing else touched, no run lock,
// the original equal row by row to what the writers wrote. osc runs as a child process (bin/osc.ts), so the
// signals are real ones; one handler serves both (src/cli/main.ts), and each point is covered by both.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, quoteId } from '../support/load.js';
import { dropUser, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { expectCleanFailure, holdMetadataLock } from '../support/fault-checks.js';
import {
  copyStarted,
  migrateUnderLoad,
  prepareTable,
  recreateDatabase,
  type DuringContext,
} from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';
import { pointStep, algorithmFor, type CutOverPoint } from '../support/cutover-points.js';
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

interface Point {
  readonly name: string;
  readonly args?: readonly string[];
  /** osc stops after this cut-over point until the signal comes (support/osc-pausing-child.ts). */
  readonly pauseAt?: CutOverPoint;
  /** The signals sent at this point (default both). */
  readonly signals?: readonly NodeJS.Signals[];
  /** Waits for the point, sends the signal, and returns what to undo once it was sent. */
  reach(ctx: DuringContext, env: { database: string; flag: string; send: () => void }): Promise<void>;
}

/** Runs osc as a child under load, sends `signal` at `point`, and checks the clean abort. */
async function abortAt(point: Point, signal: NodeJS.Signals): Promise<void> {
  const database = `osc_t_sig_${point.name}_${signal.toLowerCase()}_${RUN_TAG}`;
  const model = ordersModel();
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, ORDERS_CREATE, 't', model, ROWS);
  const dir = mkdtempSync(join(tmpdir(), 'osc-sig-'));
  const flag = join(dir, 'postpone');
  writeFileSync(flag, '');
  let sentAt = -1;
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
      ...(point.pauseAt === undefined ? {} : { childPauseAt: pointStep(point.pauseAt, algorithm) }),
      // The cut-over waits for the flag file (removed by the point, or never); --verbose logs each cut-over step.
      args: ['--chunk-size', '100', '--postpone-cut-over-flag-file', flag, '--verbose', ...(point.args ?? [])],
      replicaServerId: uniqueServerId(),
      during: (ctx) =>
        point.reach(ctx, {
          database,
          flag,
          send: () => {
            sentAt = ctx.stderr().length;
            ctx.kill(signal);
          },
        }),
    });
    expect(sentAt, 'the signal was sent').toBeGreaterThanOrEqual(0);
    expect(r.run.stderr.slice(sentAt)).toMatch(new RegExp(`signal=${signal}|signal ${signal}`));
    await expectCleanFailure(admin, r, { database, code: 'ABORTED' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const POINTS: readonly Point[] = [
  {
    name: 'copy',
    async reach(ctx, { database, send }) {
      expect(await copyStarted(admin, database, 't', ctx.stderr, ctx.done)).toBe(true);
      expect(ctx.stderr()).not.toMatch(/copy_done/);
      send();
    },
  },
  {
    // Replay behind (its applier waits on rows a session holds locked) and the cut-over waiting for it to catch up.
    name: 'catchup',
    async reach(ctx, { database, flag, send }) {
      await waitFor(() => / to=postponed\b/.test(ctx.stderr()), { timeoutMs: 60_000, message: 'the postponed phase' });
      const locker = await exactConnection(testServer().primary);
      try {
        await locker.query('START TRANSACTION');
        await locker.query(`SELECT id FROM ${quoteId(database)}.\`_t_gho\` FOR UPDATE`);
        rmSync(flag);
        await waitFor(() => /cut-over released/.test(ctx.stderr()), { timeoutMs: 10_000, message: 'the release' });
        // The writers go on; replay cannot apply their changes, so the cut-over waits before its first attempt.
        await new Promise((r) => setTimeout(r, 500));
        expect(ctx.stderr()).not.toMatch(/cut_over_attempt/);
        send();
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
    },
  },
  {
    name: 'postponed',
    async reach(ctx, { send }) {
      await waitFor(() => / to=postponed\b/.test(ctx.stderr()), { timeoutMs: 60_000, message: 'the postponed phase' });
      send();
    },
  },
  {
    // A session's open transaction on the table: the lock holder's LOCK TABLES waits (two connections: the sentry
    // exists; single session: replay is paused for the lock).
    name: 'cutlock',
    args: ['--cut-over-lock-timeout-seconds', '1'],
    async reach(ctx, { database, flag, send }) {
      await waitFor(() => / to=postponed\b/.test(ctx.stderr()), { timeoutMs: 60_000, message: 'the postponed phase' });
      const locker = await exactConnection(testServer().primary);
      try {
        await holdMetadataLock(locker, database, 't');
        rmSync(flag);
        const before = algorithm === 'two-connection' ? 'create-sentry' : 'hold-replay';
        await waitFor(() => new RegExp(`step=${before}\\b`).test(ctx.stderr()), {
          timeoutMs: 20_000,
          message: `the step ${before}`,
        });
        send();
        await ctx.done;
      } finally {
        await locker.query('COMMIT');
        await locker.end();
      }
    },
  },
  {
    // A session's open transaction on the ghost. Two connections: the RENAME is queued behind the lock holder, which
    // holds the table locked while it checks that the ghost is free (MySQL waits 1 s for it there; MariaDB fails the
    // check at once and the signal comes during the pause before the next attempt). Single session: the lock holder's
    // LOCK TABLES waits for the ghost.
    name: 'cutrename',
    args: ['--cut-over-lock-timeout-seconds', '1'],
    async reach(ctx, { database, flag, send }) {
      await waitFor(() => / to=postponed\b/.test(ctx.stderr()), { timeoutMs: 60_000, message: 'the postponed phase' });
      const locker = await exactConnection(testServer().primary);
      try {
        await holdMetadataLock(locker, database, '_t_gho');
        rmSync(flag);
        const queued = algorithm === 'two-connection' ? 'wait-rename-blocked' : 'hold-replay';
        await waitFor(() => new RegExp(`step=${queued}\\b`).test(ctx.stderr()), {
          timeoutMs: 20_000,
          message: `the step ${queued}`,
        });
        send();
        // The session ends once osc cleans up (the next test keeps it open through the cleanup).
        await waitFor(() => /WARN {2}cleanup /.test(ctx.stderr()), { timeoutMs: 20_000, message: 'the cleanup' });
      } finally {
        await locker.query('COMMIT');
        await locker.end();
      }
    },
  },
  {
    // Stopped holding the lock, the marker not yet written: the attempt fails on the abort, the lock goes.
    name: 'cutlocked',
    pauseAt: 'locked',
    signals: ['SIGTERM'],
    async reach(ctx, { flag, send }) {
      await waitFor(() => / to=postponed\b/.test(ctx.stderr()), { timeoutMs: 60_000, message: 'the postponed phase' });
      rmSync(flag);
      await waitFor(() => /osc-test-paused /.test(ctx.stderr()), { timeoutMs: 20_000, message: 'the pause' });
      send();
    },
  },
  {
    // Stopped at the last moment an abort is honoured: the lock held, the marker replayed, the run lock checked,
    // no RENAME sent (single session: it is A's next statement).
    name: 'cutlast',
    pauseAt: 'last-abort',
    signals: ['SIGINT'],
    async reach(ctx, { flag, send }) {
      await waitFor(() => / to=postponed\b/.test(ctx.stderr()), { timeoutMs: 60_000, message: 'the postponed phase' });
      rmSync(flag);
      await waitFor(() => /osc-test-paused /.test(ctx.stderr()), { timeoutMs: 20_000, message: 'the pause' });
      send();
    },
  },
];

describe('a signal to the osc process', () => {
  for (const point of POINTS) {
    for (const signal of point.signals ?? (['SIGTERM', 'SIGINT'] as const)) {
      test(`${signal} during ${point.name}: clean abort, own tables dropped, original intact`, () =>
        abortAt(point, signal));
    }
  }
});
