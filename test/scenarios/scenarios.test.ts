// One test per folder under cases/: seed, snapshot, run the write load, migrate, verify every row and the schema.
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection } from '../support/load.js';
import { explainRun, migrationUser, oscArgv, runOsc } from '../support/run-osc.js';
import { testServer, uniqueServerId } from '../support/servers.js';
import { checksum, columnsOf, describeComparison, tableNames } from '../support/verify.js';
import { loadCases, migrateUnderLoad, prepareTable, recreateDatabase } from './runner.js';

const cases = loadCases();
let admin: Connection;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  await admin?.end();
});

// Database names stay well under 64 characters with the _exp suffix.
const dbName = (name: string) => `osc_t_sc_${name.replace(/[^a-z0-9]/gi, '_')}`.slice(0, 50);

describe('scenarios', () => {
  test('the cases folder holds the cases the issue lists', () => {
    expect(cases.map((c) => c.name)).toEqual([
      'add-column-not-null-default',
      'add-column-nullable',
      'add-index',
      'add-unique',
      'composite-pk',
      'convert-utf8mb4',
      'drop-column',
      'empty-table',
      'generated-columns',
      'int-to-bigint-key',
      'many-types',
      'noop',
      'one-row',
      'rename-column',
      'unique-not-pk',
    ]);
  });

  for (const c of cases) {
    test(c.name, async () => {
      const server = testServer();
      const database = dbName(c.name);
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
          oscArgv(mig, database, table, ['--alter', c.alter, '--replica-server-id', String(uniqueServerId()), ...c.spec.args]),
        );
        expect(run.code, explainRun(run)).toBe(0);
        expect(run.stdout).toMatch(/noop/);
        expect(run.stdout).toMatch(/chunk key:\s+PRIMARY \(id\)/);
        expect(run.stdout).toMatch(/shared columns:\s+id, name, qty, price, note, updated_at/);
        expect(run.stdout).toMatch(/estimated rows:\s+\d+/);
        expect(await tableNames(admin, database)).toEqual(tablesBefore);
        expect(await checksum(admin, { database, table })).toBe(sumBefore);
        expect(await columnsOf(admin, { database, table })).toEqual(colsBefore);
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
      });
      expect(result.run.code, explainRun(result.run)).toBe(0);
      expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(true);
      // The load really ran while osc worked: inserts, key moves, updates and deletes all committed.
      expect(result.writesDuringRun).toBeGreaterThan(0);
      if (c.spec.load !== false && c.spec.rows > 0) {
        for (const kind of ['insert', 'update-key', 'update', 'delete'] as const) expect(result.load.counts[kind]).toBeGreaterThan(0);
      }
      const tables = await tableNames(admin, database);
      expect(tables).toContain(table);
      expect(tables).toContain(`_${table}_del`);
      expect(tables).not.toContain(`_${table}_gho`);
      expect(tables).not.toContain(`_${table}_ghc`);
    });
  }
});
