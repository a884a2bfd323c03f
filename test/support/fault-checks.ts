// What the fault tests assert after a run: either a clean failure (exit 1 with osc's code, the original exactly as
// the writers left it, osc's own tables dropped, no run lock, no connection of osc's left) or an exact migration.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { expect } from 'vitest';
import { lockName, tableNames as ownNames } from '../../src/core/names.js';
import { errorCodeOf, verifyIntact, type UnderLoadResult } from '../scenarios/runner.js';
import { quoteId } from './load.js';
import { explainRun, MIGRATION_USER } from './run-osc.js';
import { waitFor } from './servers.js';
import { describeComparison, tableNames } from './verify.js';

export interface ThreadFilter {
  readonly command?: string;
  /** LIKE pattern on the statement running. */
  readonly info?: string;
  /** Only statements running at least this long (a statement waiting for a lock). */
  readonly runningSeconds?: number;
}

/** Thread ids of osc's connections (the migration user's), optionally those whose statement matches `info`. */
export async function oscThreads(
  admin: Connection,
  where: ThreadFilter = {},
  user = MIGRATION_USER,
): Promise<number[]> {
  const [rows] = await admin.query<RowDataPacket[]>(
    `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?` +
      (where.command === undefined ? '' : ' AND COMMAND LIKE ?') +
      (where.info === undefined ? '' : ' AND INFO LIKE ?') +
      (where.runningSeconds === undefined ? '' : ' AND TIME >= ?'),
    [
      user,
      ...(where.command === undefined ? [] : [where.command]),
      ...(where.info === undefined ? [] : [where.info]),
      ...(where.runningSeconds === undefined ? [] : [where.runningSeconds]),
    ],
  );
  return rows.map((r) => Number(r['id']));
}

/** The connection holding osc's run lock on the table, or null. */
export async function runLockHolder(admin: Connection, database: string, table: string): Promise<number | null> {
  const [rows] = await admin.query<RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS holder', [lockName(database, table)]);
  const h: unknown = rows[0]?.['holder'];
  return h === null || h === undefined ? null : Number(h);
}

/** Polls the processlist until a connection of osc's matches, then KILLs it; returns its id. */
export async function killFirst(
  admin: Connection,
  where: ThreadFilter,
  message: string,
  timeoutMs = 60_000,
  intervalMs = 5,
): Promise<number> {
  const id = await waitFor(async () => (await oscThreads(admin, where))[0] ?? null, {
    timeoutMs,
    intervalMs,
    message,
  });
  await admin.query(`KILL ${id}`);
  return id;
}

export interface CleanFailure {
  readonly database: string;
  readonly table?: string;
  /** osc's error code (`ERROR error code=X`). */
  readonly code: string;
  /** osc's tables the failure leaves behind on purpose (named in its message); default none. */
  readonly left?: readonly string[];
}

/**
 * A clean failure: exit 1 with `code`; the original equal row by row to the seed plus every committed write (same
 * definition); in the database only the table (and `left`); no run lock held; every connection of osc's gone; the
 * writers never failed.
 */
export async function expectCleanFailure(admin: Connection, r: UnderLoadResult, f: CleanFailure): Promise<void> {
  const table = f.table ?? 't';
  expect(r.run.code, explainRun(r.run)).toBe(1);
  expect(errorCodeOf(r.run), explainRun(r.run)).toBe(f.code);
  const intact = await verifyIntact(admin, r, { database: f.database, table });
  expect(intact.ok, describeComparison(intact)).toBe(true);
  expect((await tableNames(admin, f.database)).sort()).toEqual([table, ...(f.left ?? [])].sort());
  expect(await runLockHolder(admin, f.database, table)).toBeNull();
  await waitFor(async () => (await oscThreads(admin)).length === 0, {
    timeoutMs: 10_000,
    message: "osc's connections to leave the server",
  });
  expect(r.load.dropped, 'writer transactions that never committed').toBe(0);
  expect(r.writesDuringRun).toBeGreaterThan(0);
}

/** A completed migration equal to the offline result, and nothing of osc's left but the old table. */
export async function expectExact(admin: Connection, r: UnderLoadResult, database: string, table = 't'): Promise<void> {
  expect(r.run.code, explainRun(r.run)).toBe(0);
  expect(r.comparison?.ok, r.comparison ? describeComparison(r.comparison) : 'not compared').toBe(true);
  expect((await tableNames(admin, database)).sort()).toEqual([ownNames(table).old, table].sort());
  expect(await runLockHolder(admin, database, table)).toBeNull();
  expect(r.load.dropped, 'writer transactions that never committed').toBe(0);
  expect(r.writesDuringRun).toBeGreaterThan(0);
}

/** An open transaction that has read `table`: it holds a shared metadata lock on it until commit. */
export async function holdMetadataLock(conn: Connection, database: string, table: string): Promise<void> {
  await conn.query('START TRANSACTION');
  await conn.query(`SELECT 1 FROM ${quoteId(database)}.${quoteId(table)} LIMIT 1`);
}
