// Operator control end to end through main(), on the real primary + replica, with the write load running:
// replica-lag, max-load and user throttling stop the copy and release it; critical-load, panic (socket and flag
// file) abort with the original intact; a postponed cut-over keeps replaying until released; the socket is 0600
// while it runs and gone afterwards.
import { existsSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { exactConnection } from '../support/load.js';
import { oscCtl, socketCommand, status, copyStalls } from '../support/operator.js';
import { dropUser, explainRun, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { adminConnection, testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { columnsOf, compareTables, describeComparison, replayWrites, tableNames } from '../support/verify.js';
import { migrateUnderLoad, prepareTable, recreateDatabase } from '../scenarios/runner.js';
import type { DuringContext, UnderLoadResult } from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_COLUMNS, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';

const CREATE = ORDERS_CREATE;
const ALTER = ORDERS_ALTER;
const ORIGINAL_COLUMNS = ORDERS_COLUMNS;
const ROWS = 20_000;
/** Generous: a loaded 2-core machine may be slow, and nothing here waits longer than it must. */
const LONG = 60_000;

let admin: Connection;
let dir: string;
let socket: string;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osc-op-'));
  socket = join(dir, 'osc.sock');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface RunInput {
  readonly name: string;
  readonly args: readonly string[];
  readonly during?: (ctx: DuringContext) => Promise<void>;
  readonly rows?: number;
}

/**
 * A fresh database with the seeded table, then a migration under load with our own socket, flag files in `dir`
 * (the shared /tmp/osc.throttle of other runs must not reach us) and no metrics port.
 */
async function run(i: RunInput): Promise<UnderLoadResult & { database: string }> {
  const database = `osc_t_op_${i.name}_${RUN_TAG}`;
  const model = ordersModel();
  const rows = i.rows ?? ROWS;
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, CREATE, 't', model, rows);
  const result = await migrateUnderLoad({
    admin,
    primary: testServer().primary,
    database,
    table: 't',
    model,
    seededRows: rows,
    alter: ALTER,
    args: [
      '--chunk-size',
      '100',
      '--serve-socket-file',
      socket,
      '--throttle-additional-flag-file',
      join(dir, 'shared.throttle'),
      '--metrics-address',
      'off',
      ...i.args,
    ],
    replicaServerId: uniqueServerId(),
    ...(i.during === undefined ? {} : { during: panicOnFailure(i.during) }),
  });
  return { ...result, database };
}

/** A failed expectation inside `during` must not leave the run throttled or postponed until the test times out. */
function panicOnFailure(during: (ctx: DuringContext) => Promise<void>): (ctx: DuringContext) => Promise<void> {
  return async (ctx) => {
    try {
      await during(ctx);
    } catch (err) {
      await socketCommand(socket, 'panic').catch(() => undefined);
      throw err;
    }
  };
}

function expectMigrated(r: UnderLoadResult): void {
  expect(r.run.code, explainRun(r.run)).toBe(0);
  expect(r.comparison?.ok, r.comparison ? describeComparison(r.comparison) : 'not compared').toBe(true);
  expect(r.writesDuringRun).toBeGreaterThan(0);
  expect(existsSync(socket), 'socket file removed after the run').toBe(false);
}

/** Exit 1; the original holds exactly the seed plus the load's writes, unaltered; our tables and socket are gone. */
async function expectAbortedIntact(r: UnderLoadResult & { database: string }): Promise<void> {
  expect(r.run.code, explainRun(r.run)).toBe(1);
  expect(await tableNames(admin, r.database)).toEqual(['t']);
  expect((await columnsOf(admin, { database: r.database, table: 't' })).map((c) => c.name)).toEqual(ORIGINAL_COLUMNS);
  await replayWrites(admin, r.load.writes, r.expected);
  const c = await compareTables(admin, r.expected, { database: r.database, table: 't' });
  expect(c.ok, describeComparison(c)).toBe(true);
  expect(existsSync(socket), 'socket file removed after the run').toBe(false);
}

/** The copy has begun and copied some rows (status over the socket). */
async function copyUnderWay(): Promise<void> {
  await waitFor(
    async () => {
      const s = await status(socket);
      return s.phase === 'copy' && s.copied > 0;
    },
    { timeoutMs: LONG, intervalMs: 20, message: 'the copy to be under way' },
  );
}

/** The first `throttled` log line's reason matching `pattern`. */
async function throttledLine(stderr: () => string, pattern: RegExp): Promise<string> {
  return waitFor(
    () =>
      stderr()
        .split('\n')
        .find((l) => /\bthrottled reason=/.test(l) && pattern.test(l)),
    {
      timeoutMs: LONG,
      intervalMs: 20,
      message: `a throttled line matching ${pattern}`,
    },
  );
}

describe('operator control under write load', () => {
  test('replica lag: a stopped SQL thread throttles the copy with the lag reason; restarting it lets the run finish', async () => {
    const replica = testServer().replica;
    if (replica === undefined) throw new Error('this test needs the replica (the sandbox provides one)');
    const where = `${replica.host}:${replica.port}`;
    const mysqlFlavor = testServer().flavor === 'mysql';
    const stopSql = mysqlFlavor ? 'STOP REPLICA SQL_THREAD' : 'STOP SLAVE SQL_THREAD';
    const startSql = mysqlFlavor ? 'START REPLICA SQL_THREAD' : 'START SLAVE SQL_THREAD';
    const replicaAdmin = await adminConnection({ replica: true });
    let stoppedDuringCopy = false;
    let stalled = '';
    try {
      const r = await run({
        name: 'lag',
        rows: 30_000,
        args: ['--throttle-control-replicas', where, '--max-lag-millis', '500', '--nice-ratio', '2'],
        during: async ({ stderr }) => {
          await copyUnderWay();
          await replicaAdmin.query(stopSql);
          try {
            stoppedDuringCopy = (await status(socket)).phase === 'copy';
            const line = await throttledLine(stderr, /lag=/);
            expect(line).toContain(`on ${where}`);
            stalled = (await copyStalls(socket)).throttled ?? '';
          } finally {
            await replicaAdmin.query(startSql);
          }
        },
      });
      expectMigrated(r);
      expect(stoppedDuringCopy, 'the SQL thread was stopped while the copy ran').toBe(true);
      expect(stalled).toMatch(new RegExp(`^lag=.* on ${where.replaceAll('.', '\\.')}$`));
      expect(r.run.stderr).toMatch(/\bthrottle_released\b/);
    } finally {
      // Whatever happened above, the replica must replicate again for the next tests.
      await replicaAdmin.query(startSql).catch(() => undefined);
      await replicaAdmin.end();
    }
  });

  test('max-load with a low threshold throttles; raising it over the socket lets the run finish', async () => {
    let readBack = '';
    let setReply = '';
    let stalled = '';
    const r = await run({
      name: 'maxload',
      args: ['--max-load', 'Threads_connected=1'],
      during: async ({ stderr }) => {
        await throttledLine(stderr, /max-load Threads_connected=\d+>=1\b/);
        stalled = (await copyStalls(socket)).throttled ?? '';
        readBack = await socketCommand(socket, 'max-load=?');
        setReply = await socketCommand(socket, 'max-load=Threads_connected=100000');
      },
    });
    expectMigrated(r);
    expect(stalled).toMatch(/^max-load Threads_connected=\d+>=1$/);
    expect(readBack).toBe('Threads_connected=1\n');
    expect(setReply).toBe('ok: max-load=Threads_connected=100000\n');
  });

  test('critical-load aborts: exit 1, CRITICAL_LOAD, original intact', async () => {
    const r = await run({ name: 'critical', args: ['--critical-load', 'Threads_connected=1'] });
    await expectAbortedIntact(r);
    expect(r.run.stderr).toMatch(/\bCRITICAL_LOAD\b/);
  });

  test('throttle (osc ctl) then no-throttle (node:net): the copy stops with "commanded by user", then resumes and completes', async () => {
    let ctl = { code: -1, stdout: '', stderr: '' };
    let resumeReply = '';
    let stalled = '';
    let copiedWhenStalled = 0;
    const r = await run({
      name: 'user',
      args: ['--nice-ratio', '1'],
      during: async ({ stderr }) => {
        await copyUnderWay();
        ctl = await oscCtl(socket, ['throttle']);
        await throttledLine(stderr, /commanded by user/);
        const s = await copyStalls(socket);
        stalled = s.throttled ?? '';
        copiedWhenStalled = s.copied;
        resumeReply = await socketCommand(socket, 'no-throttle');
        // Copying again: the count moves past where it stood.
        await waitFor(
          async () => (await status(socket)).copied > copiedWhenStalled || / to=(postponed|cutover)\b/.test(stderr()),
          {
            timeoutMs: LONG,
            message: 'the copy to resume',
          },
        );
      },
    });
    expectMigrated(r);
    expect(ctl.code, ctl.stderr).toBe(0);
    expect(ctl.stdout).toMatch(/^ok: throttled by user/);
    expect(stalled).toBe('commanded by user');
    expect(copiedWhenStalled).toBeLessThan(ROWS);
    expect(resumeReply).toMatch(/^ok: user throttle lifted/);
    expect(r.run.stderr).toMatch(/\bthrottle_released\b/);
  });

  test('panic over the socket aborts: exit 1, original intact, own tables dropped, socket removed', async () => {
    let reply = '';
    const r = await run({
      name: 'panic',
      args: ['--nice-ratio', '1'],
      during: async () => {
        await copyUnderWay();
        reply = await socketCommand(socket, 'panic');
      },
    });
    expect(reply).toMatch(/^ok: panic/);
    await expectAbortedIntact(r);
    expect(r.run.stderr).toMatch(/panic \(control socket\)/);
  });

  test('the panic flag file aborts the same way when it appears', async () => {
    const flag = join(dir, 'panic');
    const r = await run({
      name: 'panicfile',
      args: ['--nice-ratio', '1', '--panic-flag-file', flag],
      during: async () => {
        await copyUnderWay();
        writeFileSync(flag, '');
      },
    });
    await expectAbortedIntact(r);
    expect(r.run.stderr).toContain(`panic (flag file ${flag})`);
  });

  /** Waits in `postponed` while the load's writes keep being replayed; `release` ends the wait. */
  async function postponed(name: string, release: (flag: string) => Promise<void>): Promise<UnderLoadResult> {
    const flag = join(dir, 'postpone');
    writeFileSync(flag, '');
    const r = await run({
      name,
      args: ['--postpone-cut-over-flag-file', flag],
      during: async ({ stderr }) => {
        await waitFor(() => /postponing cut-over/.test(stderr()), {
          timeoutMs: LONG,
          intervalMs: 20,
          message: 'postponing cut-over',
        });
        const first = await status(socket);
        expect(first.phase).toBe('postponed');
        // Writes made while waiting are replayed: the applied count keeps rising.
        await waitFor(async () => (await status(socket)).applied > first.applied, {
          timeoutMs: LONG,
          message: 'applied to rise while postponed',
        });
        expect((await status(socket)).phase).toBe('postponed');
        await release(flag);
      },
    });
    expectMigrated(r);
    expect(r.run.stderr).toMatch(/ to=postponed\b/);
    return r;
  }

  test('postponed cut-over waits, keeps replaying, and completes on unpostpone', async () => {
    let reply = '';
    const r = await postponed('postpone', async () => {
      reply = await socketCommand(socket, 'unpostpone');
    });
    expect(reply).toBe('ok: unpostponed; cutting over\n');
    expect(r.run.stderr).toMatch(/cut-over released by=unpostpone/);
  });

  test('postponed cut-over is released when the flag file is removed', async () => {
    const r = await postponed('postponefile', (flag) => {
      unlinkSync(flag);
      return Promise.resolve();
    });
    expect(r.run.stderr).toMatch(/cut-over released by="flag file removed"/);
  });

  test('the socket file is mode 0600 while the run lasts and gone after it', async () => {
    let mode = -1;
    let isSocket = false;
    const r = await run({
      name: 'sockmode',
      args: ['--nice-ratio', '1'],
      during: async () => {
        await copyUnderWay();
        const st = statSync(socket);
        mode = st.mode & 0o777;
        isSocket = st.isSocket();
      },
    });
    expectMigrated(r);
    expect(isSocket).toBe(true);
    expect(mode.toString(8)).toBe('600');
  });
});
