// The end-to-end flow shared by the scenario cases, the fault tests and the demo: seed a table, snapshot it,
// start the write load, migrate through main() as the migration user, stop the load, verify offline.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { LoadGenerator, quoteId, seedRows } from '../support/load.js';
import type { Endpoint, LoadOptions, LoadResult, RowModel } from '../support/load.js';
import { migrationUser, oscArgv, runOsc } from '../support/run-osc.js';
import type { OscRun } from '../support/run-osc.js';
import { snapshotTable, verifyMigration } from '../support/verify.js';
import type { Comparison } from '../support/verify.js';
import { ordersModel } from './models.js';

export const CASES_DIR = new URL('./cases/', import.meta.url).pathname;

export interface CaseSpec {
  /** Table name (default t). */
  readonly table: string;
  /** Rows seeded before the migration. */
  readonly rows: number;
  /** Extra osc flags besides --alter, --execute and connection flags. */
  readonly args: readonly string[];
  /** Pass --execute (default true). */
  readonly execute: boolean;
  readonly expect: 'success' | 'noop';
  /** Load options, or false for no load (the noop case). */
  readonly load: false | { readonly rate?: number; readonly omitColumns?: readonly string[]; readonly seed?: number; readonly maxWrites?: number };
}

export interface ScenarioCase {
  readonly name: string;
  readonly dir: string;
  readonly createSql: string;
  readonly alter: string;
  readonly spec: CaseSpec;
  model(): Promise<RowModel>;
}

export function loadCases(dir = CASES_DIR): ScenarioCase[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const caseDir = join(dir, name);
      const raw = JSON.parse(readFileSync(join(caseDir, 'case.json'), 'utf8')) as Partial<CaseSpec>;
      const spec: CaseSpec = {
        table: raw.table ?? 't',
        rows: raw.rows ?? 0,
        args: raw.args ?? [],
        execute: raw.execute ?? true,
        expect: raw.expect ?? 'success',
        load: raw.load ?? {},
      };
      const rowsFile = join(caseDir, 'rows.ts');
      return {
        name,
        dir: caseDir,
        createSql: readFileSync(join(caseDir, 'create.sql'), 'utf8'),
        alter: readFileSync(join(caseDir, 'alter'), 'utf8').trim(),
        spec,
        model: async () => (existsSync(rowsFile) ? ((await import(rowsFile)) as { model: RowModel }).model : ordersModel()),
      };
    });
}

/** DROP + CREATE DATABASE (utf8mb4, so emoji fit whatever the server's default). */
export async function recreateDatabase(admin: Connection, name: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(name)}`);
  await admin.query(`CREATE DATABASE ${quoteId(name)} DEFAULT CHARACTER SET utf8mb4`);
}

/** Creates the table from its CREATE script inside `database` and seeds ids 1..rows. */
export async function prepareTable(admin: Connection, database: string, createSql: string, table: string, model: RowModel, rows: number): Promise<void> {
  await admin.query(`USE ${quoteId(database)}`);
  await admin.query(createSql);
  if (rows > 0) await seedRows(admin, database, table, model, rows);
}

export interface UnderLoadInput {
  readonly admin: Connection;
  /** The admin account on the primary: the load writes as the application would. */
  readonly primary: Endpoint;
  readonly database: string;
  readonly table: string;
  readonly model: RowModel;
  readonly seededRows: number;
  readonly alter: string;
  /** Extra osc flags (chunk size, --approve-renamed-columns ...). */
  readonly args: readonly string[];
  readonly replicaServerId: number;
  readonly load?: Partial<Pick<LoadOptions, 'rate' | 'omitColumns' | 'seed' | 'maxWrites' | 'maxMs'>>;
  /** Milliseconds the load keeps writing after osc returns. */
  readonly tailMs?: number;
  /** Runs next to the migration (fault injection); gets the live stderr so far and the run's promise. */
  readonly during?: (ctx: DuringContext) => Promise<void>;
  readonly echo?: boolean;
  /** Called with each stderr chunk. */
  readonly onStderr?: (text: string) => void;
}

export interface DuringContext {
  readonly stderr: () => string;
  readonly done: Promise<OscRun>;
  readonly migrationUser: Endpoint;
}

export interface UnderLoadResult {
  readonly run: OscRun;
  readonly load: LoadResult;
  /** Writes committed between osc's start and its return. */
  readonly writesDuringRun: number;
  /** Present when osc exited 0. */
  readonly comparison: Comparison | null;
  readonly expected: { readonly database: string; readonly table: string };
}

export function expectedDatabase(database: string): string {
  return `${database}_exp`;
}

export async function migrateUnderLoad(i: UnderLoadInput): Promise<UnderLoadResult> {
  const expected = { database: expectedDatabase(i.database), table: i.table };
  await recreateDatabase(i.admin, expected.database);
  // The expectation starts from the seed exactly as it was before any load or migration.
  await snapshotTable(i.admin, { database: i.database, table: i.table }, expected);
  const mig = await migrationUser(i.admin, i.primary, i.database);

  const load = new LoadGenerator({
    endpoint: i.primary,
    database: i.database,
    table: i.table,
    model: i.model,
    seededRows: i.seededRows,
    ...i.load,
  }).start();
  // Let some writes land before osc reads its binlog position, and keep them coming throughout.
  const warmUntil = Date.now() + 2000;
  while (load.committed < 20 && Date.now() < warmUntil) await new Promise((r) => setTimeout(r, 20));

  let stderr = '';
  const before = load.committed;
  const argv = oscArgv(mig, i.database, i.table, [
    '--alter',
    i.alter,
    '--execute',
    '--replica-server-id',
    String(i.replicaServerId),
    ...i.args,
  ]);
  const done = runOsc(argv, {
    onStderr: (t) => {
      stderr += t;
      i.onStderr?.(t);
    },
    ...(i.echo === undefined ? {} : { echo: i.echo }),
  });
  // A failing fault injector must not leave osc or the load running: settle both, then report it.
  const during = i.during ? i.during({ stderr: () => stderr, done, migrationUser: mig }).then(() => null, (err: unknown) => err) : Promise.resolve(null);
  let run: OscRun;
  let writesDuringRun: number;
  let loadResult: LoadResult;
  try {
    run = await done;
  } finally {
    writesDuringRun = load.committed - before;
    loadResult = await load.stop(i.tailMs ?? 500);
  }
  const duringError = await during;
  if (duringError !== null) throw duringError instanceof Error ? duringError : new Error(`fault injection failed: ${JSON.stringify(duringError)}`);

  const comparison =
    run.code === 0
      ? await verifyMigration({ conn: i.admin, snapshot: expected, migrated: { database: i.database, table: i.table }, writes: loadResult.writes, alter: i.alter })
      : null;
  return { run, load: loadResult, writesDuringRun, comparison, expected };
}
