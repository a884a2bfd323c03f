// Carries the AUTO_INCREMENT counter from the original to the ghost: once before the copy and once under the
// cut-over lock (core/auto-increment.ts says why, and how the counter is read exactly).
import { carriesCounter, counterRaise, parseAutoIncrement, setAutoIncrement } from '../../core/auto-increment.js';
import { autoIncrementColumn as autoIncrementColumnQuery, showCreateTable } from '../../core/sql/server.js';
import type { Db } from '../../io/db/pool.js';
import type { Logger } from '../../core/log.js';
import type { TablePlan } from '../../plan.js';

/** When the counter is raised: before the copy, before each cut-over attempt, and under the cut-over lock. */
export type CounterMoment = 'before-copy' | 'before-cut-over' | 'under-lock';

/** The original whose counter is read and the ghost it is carried to. */
export type CounterTables = Pick<TablePlan, 'database' | 'table' | 'ghost'>;

async function readCounter(db: Db, database: string, table: string): Promise<bigint | null> {
  const [row] = await db.rows<{ 'Create Table': string }>(showCreateTable(database, table));
  return parseAutoIncrement(row?.['Create Table'] ?? '');
}

async function autoIncrementColumn(db: Db, database: string, table: string): Promise<string | null> {
  const st = autoIncrementColumnQuery(database, table);
  const [row] = await db.rows<{ c: string }>(st.sql, st.params);
  return row === undefined ? null : String(row.c);
}

/** The tables whose counter is carried, or null when it is not (see carriesCounter). */
export async function counterToCarry(
  db: Db,
  plan: CounterTables & Pick<TablePlan, 'mapping'>,
): Promise<CounterTables | null> {
  const { database, table, ghost: ghostTable, mapping } = plan;
  const original = await autoIncrementColumn(db, database, table);
  const ghost = await autoIncrementColumn(db, database, ghostTable);
  return carriesCounter(original, ghost, mapping) ? { database, table, ghost: ghostTable } : null;
}

/**
 * Raises the ghost's counter to the original's when it stands lower. Under the cut-over lock this costs two
 * SHOW CREATE TABLE (which the lock does not block) and, when the counter moved, one ALTER TABLE ... AUTO_INCREMENT.
 */
export async function raiseCounter(db: Db, t: CounterTables, logger: Logger, when: CounterMoment): Promise<void> {
  const started = Date.now();
  const original = await readCounter(db, t.database, t.table);
  const ghost = await readCounter(db, t.database, t.ghost);
  const to = counterRaise(original, ghost);
  if (to === null) return;
  await db.run(setAutoIncrement(t.database, t.ghost, to));
  logger.info('auto_increment_raised', { table: t.ghost, when, from: ghost ?? 1n, to, ms: Date.now() - started });
}
