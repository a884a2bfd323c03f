// One test per folder under cases/: seed, snapshot, run the write load, migrate, verify every row and the schema.
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, migrationUser, oscArgv, runOsc, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { LoadGenerator, quoteId } from '../support/load.js';
import { tableNames as ownTableNames } from '../../src/core/names.js';
import {
  applyAlter,
  checksum,
  columnsOf,
  compareTables,
  describeComparison,
  replayWrites,
  snapshotTable,
  tableNames,
} from '../support/verify.js';
import { ORDERS_CREATE, ordersModel } from './models.js';
import {
  errorCodeOf,
  expectedDatabase,
  loadCases,
  migrateUnderLoad,
  prepareTable,
  recreateDatabase,
  verifyIntact,
} from './runner.js';
import type { ScenarioCase } from './runner.js';

const cases = loadCases();
let admin: Connection;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

/** A passing case leaves nothing behind; a failing one keeps its tables to look at. */
async function dropDatabases(database: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(database)}`);
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(expectedDatabase(database))}`);
}

// Database names stay within 64 characters with the _exp suffix; the run tag keeps parallel runs apart.
const dbName = (name: string) => `osc_t_sc_${name.replace(/[^a-z0-9]/gi, '_').slice(0, 30)}_${RUN_TAG}`;
function caseDatabase(c: ScenarioCase): string {
  if (c.spec.database === null) return dbName(c.name);
  const name = `${c.spec.database}_${RUN_TAG}`;
  if ([...name].length > 60)
    throw new Error(`case ${c.name}: database name ${name} is too long (60 characters at most)`);
  return name;
}

describe('scenarios', () => {
  test('the cases folder holds the cases the issue lists', () => {
    // Other cases may join; these must stay.
    expect(cases.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'add-column-not-null-default',
        'add-column-nullable',
        'add-index',
        'add-unique',
        'bit-key',
        'collation-change-key',
        'collation-ci-conflict',
        'collation-ci-no-conflict',
        'composite-pk',
        'convert-latin1-key',
        'convert-utf8mb4',
        'ddl-ghost-during-copy',
        'ddl-original-during-copy',
        'defaults-every-kind',
        'drop-column',
        'empty-table',
        'enum-in-key',
        'enum-key',
        'extend-primary-key',
        'float-key',
        'enum-set-key',
        'generated-columns',
        'generated-stored-to-plain',
        'int-to-bigint-key',
        'latin1-bytes',
        'latin1-c1-bytes',
        'many-types',
        'name-backtick-table',
        'name-digit-database',
        'name-digit-table',
        'name-longest-table',
        'name-non-ascii-table',
        'name-odd-database',
        'name-reserved-table',
        'name-space-slash-table',
        'name-upper-table',
        'noop',
        'one-row',
        'rename-column',
        'set-in-key',
        'spatial',
        'statement-dml-during-copy',
        'truncate-during-copy',
        'unique-duplicates-during-copy',
        'unique-duplicates-seeded',
        'unique-not-pk',
        'wait-timeout-5',
      ]),
    );
  });

  test('the verification itself: a replayed load matches, a lost write and a changed value do not', async () => {
    const server = testServer();
    const database = dbName('harness');
    const exp = { database: expectedDatabase(database), table: 't' };
    const model = ordersModel();
    await recreateDatabase(admin, database);
    await recreateDatabase(admin, exp.database);
    await prepareTable(admin, database, cases.find((c) => c.name === 'add-index')?.createSql ?? '', 't', model, 2000);
    await snapshotTable(admin, { database, table: 't' }, exp);
    const load = new LoadGenerator({
      endpoint: server.primary,
      database,
      table: 't',
      model,
      seededRows: 2000,
      rate: 500,
      maxWrites: 300,
    }).start();
    const result = await load.stop(1000);
    expect(result.writes.length).toBeGreaterThan(100);
    await replayWrites(admin, result.writes, exp);
    const same = await compareTables(admin, exp, { database, table: 't' });
    expect(same.ok, describeComparison(same)).toBe(true);

    const [ids] = await admin.query(`SELECT id FROM \`${database}\`.t ORDER BY id LIMIT 2`);
    const [a, b] = (ids as { id: number }[]).map((r) => r.id);
    await admin.query(`UPDATE \`${database}\`.t SET qty = qty + 1 WHERE id = ?`, [a]);
    await admin.query(`DELETE FROM \`${database}\`.t WHERE id = ?`, [b]);
    const differs = await compareTables(admin, exp, { database, table: 't' });
    expect(differs.ok).toBe(false);
    expect(differs.differences).toHaveLength(2);
    expect(differs.differences[0]).toMatch(
      new RegExp(`^row \\(id=${a}\\) column qty: expected -?\\d+, actual -?\\d+$`),
    );
    expect(differs.differences[1]).toBe(`row (id=${b}): expected but missing from the migrated table`);
    await dropDatabases(database);
  });

  test('the load itself: writers, transactions, rollbacks and interjected statements replay exactly', async () => {
    const server = testServer();
    const database = dbName('load');
    const exp = { database: expectedDatabase(database), table: 't' };
    const model = ordersModel();
    await recreateDatabase(admin, database);
    await recreateDatabase(admin, exp.database);
    await prepareTable(admin, database, ORDERS_CREATE, 't', model, 2000);
    await snapshotTable(admin, { database, table: 't' }, exp);
    const load = new LoadGenerator({
      endpoint: server.primary,
      database,
      table: 't',
      model,
      seededRows: 2000,
      rate: 1000,
      maxWrites: 1200,
    }).start();
    await waitFor(() => load.committed >= 300, { timeoutMs: 30_000, intervalMs: 10, message: '300 writes' });
    await load.interject({ sql: 'UPDATE {{table}} SET qty = qty + 1000000 WHERE id <= 1000' });
    await waitFor(() => load.committed >= 600, { timeoutMs: 30_000, intervalMs: 10, message: '600 writes' });
    await load.interject({ sql: 'TRUNCATE TABLE {{table}}', effect: 'truncate' });
    await waitFor(() => load.committed >= 900, { timeoutMs: 30_000, intervalMs: 10, message: '900 writes' });
    const result = await load.stop();
    expect(result.transactions, 'several statements per transaction').toBeLessThan(
      result.writes.length - result.counts.statement,
    );
    expect(result.rolledBack).toBeGreaterThan(0);
    expect(result.counts.statement).toBe(2);
    for (const kind of ['insert', 'update-key', 'update', 'delete'] as const)
      expect(result.counts[kind]).toBeGreaterThan(0);
    await replayWrites(admin, result.writes, exp);
    const same = await compareTables(admin, exp, { database, table: 't' });
    expect(same.ok, describeComparison(same)).toBe(true);
    expect(same.rows).toBeGreaterThan(0);
    await dropDatabases(database);
  });

  for (const c of cases) {
    test(c.name, async () => {
      const server = testServer();
      const database = caseDatabase(c);
      const table = c.spec.table;
      const model = await c.model();
      await recreateDatabase(admin, database);
      await prepareTable(admin, database, c.createSql, table, model, c.spec.rows);

      if (c.spec.expect === 'noop') {
        const tablesBefore = await tableNames(admin, database);
        const sumBefore = await checksum(admin, { database, table });
        const colsBefore = await columnsOf(admin, { database, table });
        const mig = await migrationUser(admin, server.primary, database);
        const run = await runOsc(
          oscArgv(mig, database, table, [
            '--alter',
            c.alter,
            '--replica-server-id',
            String(uniqueServerId()),
            ...c.spec.args,
          ]),
        );
        expect(run.code, explainRun(run)).toBe(0);
        expect(run.stdout).toMatch(/noop/);
        expect(run.stdout).toMatch(/chunk key:\s+PRIMARY \(id\)/);
        expect(run.stdout).toMatch(/shared columns:\s+id, name, qty, price, note, updated_at/);
        expect(run.stdout).toMatch(/estimated rows:\s+\d+/);
        expect(await tableNames(admin, database)).toEqual(tablesBefore);
        expect(await checksum(admin, { database, table })).toBe(sumBefore);
        expect(await columnsOf(admin, { database, table })).toEqual(colsBefore);
        await dropDatabases(database);
        return;
      }

      const result = await migrateUnderLoad({
        admin,
        primary: server.primary,
        database,
        table,
        model,
        seededRows: c.spec.rows,
        alter: c.alter,
        args: c.spec.args,
        replicaServerId: uniqueServerId(),
        load: c.spec.load === false ? { maxWrites: 0 } : c.spec.load,
        steps: c.spec.during,
        globals: c.spec.globals,
        postponeCutOverMs: c.spec.postponeCutOverMs,
        // OSC_TEST_ECHO=1 shows osc's log as it runs, to look into a slow or failing case.
        echo: process.env['OSC_TEST_ECHO'] === '1',
      });
      expect(result.stepsRun, 'every during step ran while osc was copying').toBe(c.spec.during.length);
      const expectation = c.spec.expect;
      if (typeof expectation === 'object') {
        expect({ exit: result.run.code, code: errorCodeOf(result.run) }, explainRun(result.run)).toEqual(expectation);
        // Nothing of osc's is left, nothing was swapped, and the original holds exactly the seed plus every write.
        expect(await tableNames(admin, database)).toEqual([table]);
        const intact = await verifyIntact(admin, result, { database, table });
        expect(intact.ok, describeComparison(intact)).toBe(true);
        if (expectation.code === 'DATA_CONFLICT') {
          // The expectation itself: the server's own ALTER refuses the same data.
          await expect(applyAlter(admin, result.expected, c.alter)).rejects.toMatchObject({ errno: 1062 });
        }
        await dropDatabases(database);
        return;
      }
      expect(result.run.code, explainRun(result.run)).toBe(0);
      expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
        true,
      );
      // The load really ran while osc worked: inserts, key moves, updates and deletes all committed.
      expect(result.writesDuringRun).toBeGreaterThan(0);
      if (c.spec.load !== false && c.spec.rows > 0) {
        for (const kind of ['insert', 'update-key', 'update', 'delete'] as const)
          expect(result.load.counts[kind]).toBeGreaterThan(0);
      }
      const names = ownTableNames(table);
      const tables = await tableNames(admin, database);
      expect(tables).toContain(table);
      expect(tables).toContain(names.old);
      expect(tables).not.toContain(names.ghost);
      expect(tables).not.toContain(names.changelog);
      await dropDatabases(database);
    });
  }
});
