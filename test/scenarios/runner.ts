// The end-to-end flow shared by the scenario cases, the fault tests and the demo: seed a table, snapshot it,
// start the write load, migrate through main() as the migration user, stop the load, verify offline.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { tableNames } from '../../src/core/names.js';
import { exactConnection, LoadGenerator, qualified, quoteId, seedRows } from '../support/load.js';
import type { Endpoint, Interjection, LoadOptions, LoadResult, LoggedWrite, RowModel } from '../support/load.js';
import { explainRun, migrationUser, oscArgv, runOsc } from '../support/run-osc.js';
import type { OscRun } from '../support/run-osc.js';
import { spawnOsc } from '../support/osc-child.js';
import { compareTables, replayWrites, snapshotTable, verifyMigration } from '../support/verify.js';
import type { Comparison } from '../support/verify.js';
import { ordersModel } from './models.js';
import { rememberSchema } from '../support/schema-registry.js';

export const CASES_DIR = new URL('./cases/', import.meta.url).pathname;

/** How a case must end: migrated, a dry run, or a failure (exit 1) or refusal (exit 2) with osc's error code. */
export type Expectation = 'success' | 'noop' | { readonly exit: 1 | 2; readonly code: string };

export type LoadSpec = Partial<
  Pick<
    LoadOptions,
    'rate' | 'omitColumns' | 'seed' | 'maxWrites' | 'writers' | 'maxTransactionWrites' | 'rollbackRatio' | 'weights'
  >
>;

export interface CaseSpec {
  /** Table name (default t). */
  readonly table: string;
  /** Database name; the runner appends the run tag (default: one derived from the case's folder name). */
  readonly database: string | null;
  /** Rows seeded before the migration. */
  readonly rows: number;
  /** Extra osc flags besides --alter, --execute and connection flags. */
  readonly args: readonly string[];
  /** Pass --execute (default true). */
  readonly execute: boolean;
  readonly expect: Expectation;
  /** Load options, or false for no load (the noop case). */
  readonly load: false | LoadSpec;
  /**
   * Statements run once the copy has started, in order, each between the load's transactions and logged with its
   * writes when it names the table: `{{table}}` is the original, `{{ghost}}` the ghost table. A string is
   * `{"sql": ...}`; `session` statements run first on the same connection (not logged); `effect: "truncate"`
   * tells the load its rows are gone.
   */
  readonly during: readonly Interjection[];
  /** GLOBAL server variables set only while osc runs, then restored. */
  readonly globals: Readonly<Record<string, string | number>>;
  /** Postpone the cut-over (--postpone-cut-over-flag-file) until this long after osc started; null: no. */
  readonly postponeCutOverMs: number | null;
}

export interface ScenarioCase {
  readonly name: string;
  readonly dir: string;
  readonly createSql: string;
  readonly alter: string;
  readonly spec: CaseSpec;
  model(): Promise<RowModel>;
}

const SPEC_KEYS = new Set([
  'table',
  'database',
  'rows',
  'args',
  'execute',
  'expect',
  'load',
  'during',
  'globals',
  'postponeCutOverMs',
]);

function parseExpectation(name: string, raw: unknown): Expectation {
  if (raw === undefined) return 'success';
  if (raw === 'success' || raw === 'noop') return raw;
  if (typeof raw === 'object' && raw !== null) {
    const { exit, code } = raw as { exit?: unknown; code?: unknown };
    if ((exit === 1 || exit === 2) && typeof code === 'string') return { exit, code };
  }
  throw new Error(`case ${name}: expect must be "success", "noop" or {"exit": 1 | 2, "code": "..."}`);
}

function parseStep(name: string, raw: unknown): Interjection {
  if (typeof raw === 'string') return { sql: raw };
  const o = raw as Partial<Interjection> | null;
  if (
    o !== null &&
    typeof o === 'object' &&
    typeof o.sql === 'string' &&
    (o.effect === undefined || o.effect === 'truncate')
  )
    return o as Interjection;
  throw new Error(`case ${name}: a during step is a SQL string or {"sql", "session"?, "effect"?: "truncate"}`);
}

/** case.json; every key optional, unknown keys refused (a typo must not silently weaken a case). */
export function parseSpec(name: string, raw: Record<string, unknown>): CaseSpec {
  for (const k of Object.keys(raw))
    if (!SPEC_KEYS.has(k)) throw new Error(`case ${name}: unknown case.json key ${JSON.stringify(k)}`);
  const globals = (raw['globals'] ?? {}) as Record<string, string | number>;
  for (const g of Object.keys(globals))
    if (!/^[a-z_]+$/.test(g)) throw new Error(`case ${name}: ${JSON.stringify(g)} is not a server variable name`);
  return {
    table: (raw['table'] as string | undefined) ?? 't',
    database: (raw['database'] as string | undefined) ?? null,
    rows: (raw['rows'] as number | undefined) ?? 0,
    args: (raw['args'] as string[] | undefined) ?? [],
    execute: (raw['execute'] as boolean | undefined) ?? true,
    expect: parseExpectation(name, raw['expect']),
    load: (raw['load'] as false | LoadSpec | undefined) ?? {},
    during: ((raw['during'] as unknown[] | undefined) ?? []).map((s) => parseStep(name, s)),
    globals,
    postponeCutOverMs: (raw['postponeCutOverMs'] as number | undefined) ?? null,
  };
}

export function loadCases(dir = CASES_DIR): ScenarioCase[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const caseDir = join(dir, name);
      const spec = parseSpec(
        name,
        JSON.parse(readFileSync(join(caseDir, 'case.json'), 'utf8')) as Record<string, unknown>,
      );
      const rowsFile = join(caseDir, 'rows.ts');
      return {
        name,
        dir: caseDir,
        createSql: readFileSync(join(caseDir, 'create.sql'), 'utf8'),
        alter: readFileSync(join(caseDir, 'alter'), 'utf8').trim(),
        spec,
        model: async () =>
          existsSync(rowsFile) ? ((await import(rowsFile)) as { model: RowModel }).model : ordersModel(),
      };
    });
}

/** DROP + CREATE DATABASE (utf8mb4, so emoji fit whatever the server's default). */
export async function recreateDatabase(admin: Connection, name: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(name)}`);
  await admin.query(`CREATE DATABASE ${quoteId(name)} DEFAULT CHARACTER SET utf8mb4`);
  rememberSchema(name);
}

/** Creates the table from its CREATE script inside `database` and seeds ids 1..rows. */
export async function prepareTable(
  admin: Connection,
  database: string,
  createSql: string,
  table: string,
  model: RowModel,
  rows: number,
): Promise<void> {
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
  readonly load?: Partial<Pick<LoadOptions, 'maxWrites' | 'maxMs'>> & LoadSpec;
  /** Milliseconds the load keeps writing after osc returns. */
  readonly tailMs?: number;
  /** Runs next to the migration (fault injection); gets the live stderr so far and the run's promise. */
  readonly during?: (ctx: DuringContext) => Promise<void>;
  /** Statements run once the copy has started (see CaseSpec.during), after `during` if both are given. */
  readonly steps?: readonly Interjection[];
  /** GLOBAL server variables set just before osc starts and restored as soon as it returns. */
  readonly globals?: Readonly<Record<string, string | number>>;
  /** Keeps the cut-over postponed (a flag file) until this long after osc started. */
  readonly postponeCutOverMs?: number | null;
  /** osc is aborted after this long (default 150 s, under the tests' time limit). */
  readonly runTimeoutMs?: number;
  readonly echo?: boolean;
  /** Called with each stderr chunk. */
  readonly onStderr?: (text: string) => void;
  /** Runs the CLI as a child process (test/support/osc-child.ts), so that the test can send it real signals. */
  readonly child?: boolean;
  /** With `child`: osc stops after this cut-over step until it gets a signal (support/osc-pausing-child.ts). */
  readonly childPauseAt?: string;
}

export interface DuringContext {
  readonly stderr: () => string;
  readonly done: Promise<OscRun>;
  readonly migrationUser: Endpoint;
  /** Runs a statement between the load's transactions and logs it with them (LoadGenerator.interject). */
  readonly interject: (step: Interjection) => Promise<void>;
  /** Logs a write committed just now on the caller's own connection (LoadGenerator.record). */
  readonly record: (write: LoggedWrite) => void;
  /** Sends a signal to osc (only with `child: true`). */
  readonly kill: (signal: NodeJS.Signals) => void;
  /** Stops the write load now (every transaction in flight ends first), e.g. before the server is stopped. */
  readonly stopLoad: () => Promise<void>;
}

export interface UnderLoadResult {
  readonly run: OscRun;
  readonly load: LoadResult;
  /** Writes committed between osc's start and its return. */
  readonly writesDuringRun: number;
  /** Present when osc exited 0. */
  readonly comparison: Comparison | null;
  readonly expected: { readonly database: string; readonly table: string };
  /** How many of `steps` ran (a step waits for the copy; a run that ends before it leaves the rest). */
  readonly stepsRun: number;
}

export function expectedDatabase(database: string): string {
  return `${database}_exp`;
}

/** Resolves true once the copy has begun and the ghost holds rows, false if the run ends first. */
export async function copyStarted(
  admin: Connection,
  database: string,
  table: string,
  stderr: () => string,
  done: Promise<OscRun>,
): Promise<boolean> {
  let ended = false;
  void done.then(
    () => (ended = true),
    () => (ended = true),
  );
  const ghost = qualified(database, tableNames(table).ghost);
  const ghostHasRows = async () => {
    const [rows] = await admin.query<RowDataPacket[]>(`SELECT 1 AS one FROM ${ghost} LIMIT 1`);
    return rows.length > 0;
  };
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    if (/ to=copy\b/.test(stderr()) && (await ghostHasRows().catch(() => false))) return true;
    if (ended) return false;
  }
  throw new Error('the copy did not start within 120 s');
}

/**
 * Sets GLOBAL variables and returns how to restore them (other tests share the server: the restore must not
 * fail, so it falls back to a fresh connection, and gives numbers back as numbers).
 */
async function setGlobals(
  admin: Connection,
  primary: Endpoint,
  globals: Readonly<Record<string, string | number>>,
): Promise<() => Promise<void>> {
  const before = new Map<string, string | number>();
  for (const n of Object.keys(globals)) {
    const [rows] = await admin.query<RowDataPacket[]>(`SELECT @@GLOBAL.${n} AS v`);
    const v = String(rows[0]?.['v']);
    before.set(n, /^-?\d+$/.test(v) ? Number(v) : v);
  }
  const apply = async (conn: Connection, values: Iterable<[string, string | number]>) => {
    for (const [n, v] of values) await conn.query(`SET GLOBAL ${n} = ?`, [v]);
  };
  const restore = async () => {
    if (before.size === 0) return;
    try {
      await apply(admin, before);
    } catch {
      const fresh = await exactConnection(primary);
      try {
        await apply(fresh, before);
      } finally {
        await fresh.end();
      }
    }
  };
  try {
    await apply(admin, Object.entries(globals));
  } catch (err) {
    await restore();
    throw err;
  }
  return restore;
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
  const postpone = i.postponeCutOverMs == null ? null : join(mkdtempSync(join(tmpdir(), 'osc-postpone-')), 'flag');
  if (postpone !== null) writeFileSync(postpone, '');
  const argv = oscArgv(mig, i.database, i.table, [
    '--alter',
    i.alter,
    '--execute',
    '--replica-server-id',
    String(i.replicaServerId),
    ...(postpone === null ? [] : ['--postpone-cut-over-flag-file', postpone]),
    ...i.args,
  ]);
  const restoreGlobals = await setGlobals(i.admin, i.primary, i.globals ?? {});
  // A run that hangs is stopped (exit 1, ABORTED) before the test times out, so that its log tail is reported.
  const stopRun = new AbortController();
  const timer = setTimeout(() => stopRun.abort(), i.runTimeoutMs ?? 150_000);
  const release =
    postpone === null ? null : setTimeout(() => rmSync(postpone, { force: true }), i.postponeCutOverMs ?? 0);
  const onStderr = (t: string) => {
    stderr += t;
    if (i.echo === true) process.stderr.write(t);
    i.onStderr?.(t);
  };
  const child =
    i.child === true
      ? spawnOsc(argv, {
          onStderr,
          timeoutMs: i.runTimeoutMs ?? 150_000,
          ...(i.childPauseAt === undefined ? {} : { pauseAt: i.childPauseAt }),
        })
      : null;
  const done = child?.done ?? runOsc(argv, { onStderr, signal: stopRun.signal });
  const ctx: DuringContext = {
    stderr: () => stderr,
    done,
    migrationUser: mig,
    interject: (step) => load.interject(step),
    record: (w) => load.record(w),
    kill: (signal) => {
      if (child === null) throw new Error('kill() needs migrateUnderLoad({ child: true })');
      child.kill(signal);
    },
    stopLoad: () => load.stop().then(() => undefined),
  };
  let stepsRun = 0;
  const runSteps = async () => {
    const steps = i.steps ?? [];
    if (steps.length === 0 || !(await copyStarted(i.admin, i.database, i.table, ctx.stderr, done))) return;
    const ghost = qualified(i.database, tableNames(i.table).ghost);
    for (const s of steps) {
      await load.interject({ ...s, sql: s.sql.split('{{ghost}}').join(ghost) });
      stepsRun++;
    }
  };
  // A failing fault injector must not leave osc or the load running: settle both, then report it.
  const during = (async () => {
    await i.during?.(ctx);
    await runSteps();
  })().then(
    () => null,
    (err: unknown) => err,
  );
  let run: OscRun;
  try {
    try {
      run = await done;
    } finally {
      clearTimeout(timer);
      if (release !== null) clearTimeout(release);
      if (postpone !== null) rmSync(dirname(postpone), { recursive: true, force: true });
      await restoreGlobals();
    }
  } catch (err) {
    await load.stop().catch(() => undefined);
    throw err;
  }
  const writesDuringRun = load.committed - before;
  const loadResult = await load.stop(i.tailMs ?? 500).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`the write load failed (${message}); osc: ${explainRun(run)}`, { cause: err });
  });
  const duringError = await during;
  if (duringError !== null) {
    // What osc was doing is what tells a failed step's cause: its log goes with the step's own message.
    const log = `\nosc: ${explainRun(run)}`;
    if (!(duringError instanceof Error))
      throw new Error(`fault injection failed: ${JSON.stringify(duringError)}${log}`);
    duringError.message += log;
    throw duringError;
  }

  const comparison =
    run.code === 0
      ? await verifyMigration({
          conn: i.admin,
          snapshot: expected,
          migrated: { database: i.database, table: i.table },
          writes: loadResult.writes,
          alter: i.alter,
        })
      : null;
  return { run, load: loadResult, writesDuringRun, comparison, expected, stepsRun };
}

/** After a failed or refused run: the original must hold exactly the seed plus every committed write, unaltered. */
export async function verifyIntact(
  admin: Connection,
  r: UnderLoadResult,
  original: { readonly database: string; readonly table: string },
): Promise<Comparison> {
  await replayWrites(admin, r.load.writes, r.expected);
  return compareTables(admin, r.expected, original);
}

/** The error code osc logged on failure (`ERROR error code=X ...`), or null. */
export function errorCodeOf(run: OscRun): string | null {
  return /\bERROR\s+error\s+code=(\S+)/.exec(run.stderr)?.[1] ?? null;
}
