// Lost replies and lost connections during the swap, end to end under the write load: osc reaches the server
// through a proxy that loses the server's reply to one statement (which still runs). After such an attempt osc
// must find out from the server which table is which, and never drop the original mistaken for its sentry.
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, quoteId } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId } from '../support/servers.js';
import { startFaultProxy, type FaultProxy, type LostReply } from '../support/fault-proxy.js';
import { columnsOf, describeComparison, tableNames } from '../support/verify.js';
import { migrateUnderLoad, prepareTable, recreateDatabase, type UnderLoadResult } from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_COLUMNS, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';
import { algorithmFor } from '../support/cutover-points.js';

/** The cut-over algorithm osc takes on this server (core/cutover/plan.ts); some faults exist in one of them only. */
const algorithm = algorithmFor(testServer().flavor);

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

/** Migrates `table` in a fresh database with osc connected through a proxy that loses the replies `rules` name. */
async function migrateThroughFaults(
  name: string,
  table: string,
  rules: (proxy: () => FaultProxy) => LostReply[],
): Promise<UnderLoadResult & { database: string; proxy: FaultProxy }> {
  const database = `osc_t_cof_${name}_${RUN_TAG}`;
  const model = ordersModel();
  await recreateDatabase(admin, database);
  await prepareTable(
    admin,
    database,
    ORDERS_CREATE.replace('CREATE TABLE t (', `CREATE TABLE ${quoteId(table)} (`),
    table,
    model,
    ROWS,
  );
  let proxy: FaultProxy | null = null;
  const p = await startFaultProxy(
    testServer().primary,
    rules(() => proxy!),
  );
  proxy = p;
  try {
    const result = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table,
      model,
      seededRows: ROWS,
      alter: ORDERS_ALTER,
      // Later flags win: osc talks to the proxy, the load to the server itself. Few attempts: a run that cannot
      // recover fails in seconds.
      args: ['--port', String(p.port), '--chunk-size', '500', '--default-retries', '4'],
      replicaServerId: uniqueServerId(),
    });
    return { ...result, database, proxy: p };
  } finally {
    await p.close();
  }
}

function expectSwappedExactly(r: UnderLoadResult): void {
  expect(r.run.code, explainRun(r.run)).toBe(0);
  expect(r.comparison?.ok, r.comparison ? describeComparison(r.comparison) : 'not compared').toBe(true);
  expect(r.writesDuringRun).toBeGreaterThan(0);
  expect(r.run.stderr).not.toMatch(/REPLAY_FAILED|cleanup_failed/);
}

async function expectOldTableIsTheOriginal(database: string, table: string): Promise<void> {
  expect((await tableNames(admin, database)).sort()).toEqual([`_${table}_del`, table].sort());
  expect((await columnsOf(admin, { database, table: `_${table}_del` })).map((c) => c.name)).toEqual(ORDERS_COLUMNS);
  const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM ${quoteId(database)}.${quoteId(`_${table}_del`)}`);
  expect(Number((rows as { n: unknown }[])[0]?.n)).toBeGreaterThan(ROWS / 2);
}

describe('a lost reply during the swap', () => {
  test("the reply to a RENAME that ran is lost (B's; single session: A's, its session still holding the lock): the swap is recognised as done, the run succeeds", async () => {
    const r = await migrateThroughFaults('brename', 't', () => [{ statement: /RENAME TABLE /, then: 'cut' }]);
    expect(r.proxy.hasFired(0), 'the fault happened').toBe(true);
    expectSwappedExactly(r);
    expect(r.run.stderr).toMatch(/cut_over_swapped_after_error/);
    expect(r.run.stderr).toMatch(/cut_over_done attempt="attempt 1\//);
    await expectOldTableIsTheOriginal(r.database, 't');
  });

  test.runIf(algorithm === 'single-session')(
    "single session: A's reply to the RENAME is lost and its session ends: the swap is recognised as done, the original kept",
    async () => {
      const r = await migrateThroughFaults('arename', 't', () => [{ statement: /RENAME TABLE /, then: 'end' }]);
      expect(r.proxy.hasFired(0), 'the fault happened').toBe(true);
      expectSwappedExactly(r);
      expect(r.run.stderr).toMatch(/cut_over_swapped_after_error/);
      await expectOldTableIsTheOriginal(r.database, 't');
    },
  );

  test.runIf(algorithm === 'single-session')(
    "single session: A's reply to LOCK TABLES is lost on a cut connection: A is killed so the table is free again, and the next attempt swaps",
    async () => {
      const r = await migrateThroughFaults('alock', 't', () => [
        { statement: /LOCK TABLES `[^`]+`\.`t` WRITE, `[^`]+`\.`_t_gho` WRITE/, then: 'cut' },
      ]);
      expect(r.proxy.hasFired(0), 'the fault happened').toBe(true);
      expectSwappedExactly(r);
      expect(r.run.stderr).toMatch(/cut_over_failed attempt="attempt 1\/4"/);
      expect(r.run.stderr).toMatch(/cut_over_done attempt="attempt 2\/4"/);
      await expectOldTableIsTheOriginal(r.database, 't');
    },
  );

  test.runIf(algorithm === 'two-connection')(
    "A's reply to the sentry's DROP is lost and A's session ends, then B's RENAME runs and its reply is lost too: the original is kept",
    async () => {
      // Orders sorts before `_Orders_del`: B waits on Orders first, so when the server ends A, B is first in line.
      const table = 'Orders';
      const r = await migrateThroughFaults('adrop', table, (proxy) => [
        {
          statement: new RegExp(`DROP TABLE \`[^\`]+\`\\.\`_${table}_del\``),
          then: 'end',
          // The client hears of A's loss only once B's RENAME ran, so osc learns of both at once.
          closeClientWhen: () => Promise.race([proxy().fired(1), new Promise<void>((r) => setTimeout(r, 5_000))]),
        },
        { statement: /RENAME TABLE /, then: 'cut' },
      ]);
      expect([r.proxy.hasFired(0), r.proxy.hasFired(1)], 'both faults happened').toEqual([true, true]);
      expectSwappedExactly(r);
      expect(r.run.stderr).toMatch(/cut_over_swapped_after_error/);
      await expectOldTableIsTheOriginal(r.database, table);
    },
  );

  test.runIf(algorithm === 'two-connection')(
    "A's reply to the sentry's DROP is lost on a cut connection: A is killed so the table is free again, and the next attempt swaps",
    async () => {
      const r = await migrateThroughFaults('acut', 't', () => [
        { statement: /DROP TABLE `[^`]+`\.`_t_del`/, then: 'cut' },
      ]);
      expect(r.proxy.hasFired(0), 'the fault happened').toBe(true);
      expectSwappedExactly(r);
      expect(r.run.stderr).toMatch(/cut_over_failed attempt="attempt 1\/4"/);
      expect(r.run.stderr).toMatch(/cut_over_done attempt="attempt 2\/4"/);
      await expectOldTableIsTheOriginal(r.database, 't');
    },
  );
});
