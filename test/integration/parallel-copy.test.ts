// Parallel copy (stages/copy/copier.ts over core/chunk/ranges.ts) on a real server, under a concurrent write load:
// several ranges are copied at once and the result is exact, row by row.
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId } from '../support/servers.js';
import { describeComparison } from '../support/verify.js';
import { expectedDatabase, migrateUnderLoad, prepareTable, recreateDatabase } from '../scenarios/runner.js';
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
const ROWS = 20_000;
const database = `osc_t_parallel_${RUN_TAG}`;

let admin: Connection;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  for (const d of [database, expectedDatabase(database)])
    await admin.query(`DROP DATABASE IF EXISTS \`${d}\``).catch(() => undefined);
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

describe('parallel copy', () => {
  test('three workers copy disjoint ranges under a write load; the result is exact', async () => {
    const model = ordersModel();
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, CREATE, 't', model, ROWS);
    const result = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model,
      seededRows: ROWS,
      alter: ORDERS_ALTER,
      args: ['--threads', '3', '--chunk-size', '300'],
      replicaServerId: uniqueServerId(),
      load: { rate: 300 },
    });
    expect(result.run.code, explainRun(result.run)).toBe(0);
    const peak = / copy_done .*\bpeak_threads=(\d+)/.exec(result.run.stderr);
    expect(Number(peak?.[1]), 'ranges copied at once').toBeGreaterThanOrEqual(2);
    expect(Number(peak?.[1])).toBeLessThanOrEqual(3);
    expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
      true,
    );
  });
});
