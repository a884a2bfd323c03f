// Table names on both sides of `_` in the server's lock order (RENAME locks its names sorted by their bytes): the
// cut-over must swap each of them under the write load, losing nothing.
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renameLockPlan } from '../../src/core/cutover/plan.js';
import { exactConnection, quoteId } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId } from '../support/servers.js';
import { columnsOf, describeComparison } from '../support/verify.js';
import { expectedDatabase, migrateUnderLoad, prepareTable, recreateDatabase } from '../scenarios/runner.js';
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

const ROWS = 3_000;

describe('table names before and after _ in the lock order', () => {
  test.each([
    ['Orders', 'before-drop'],
    ['9t', 'before-drop'],
    ['$t', 'before-drop'],
    ['_A', 'before-drop'],
    ['_a', 'after-drop'],
    ['t', 'after-drop'],
    ['Über', 'after-drop'],
  ])('%s', async (table, queuesOnTable) => {
    // The servers here run with lower_case_table_names=0, where case matters.
    expect(renameLockPlan(table, `_${table}_del`, `_${table}_gho`, 0).queuesOnTable).toBe(queuesOnTable);
    const database = `osc_t_names_${Buffer.from(table).toString('hex')}_${RUN_TAG}`;
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
    const result = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table,
      model,
      seededRows: ROWS,
      alter: ORDERS_ALTER,
      // Few, short attempts: a cut-over that cannot succeed fails in seconds rather than minutes.
      args: ['--chunk-size', '500', '--default-retries', '3', '--cut-over-lock-timeout-seconds', '2'],
      replicaServerId: uniqueServerId(),
    });
    expect(result.run.code, explainRun(result.run)).toBe(0);
    expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
      true,
    );
    expect(result.writesDuringRun).toBeGreaterThan(0);
    expect((await columnsOf(admin, { database, table })).map((c) => c.name)).toContain('shipping_status');
    await admin.query(`DROP DATABASE ${quoteId(database)}`);
    await admin.query(`DROP DATABASE ${quoteId(expectedDatabase(database))}`);
  });
});
