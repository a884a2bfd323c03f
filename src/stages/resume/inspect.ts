// --resume's checks, run by the preflight under the run lock: which of a dead run's tables are there, whether its
// checkpoint belongs to this migration (ALTER, key, osc version, both tables' definitions), whether this is the
// server it was written on (identity, GTIDs) and whether the binary log replay must go on from is still there.
// Reads only: every refusal leaves the server as it was.
import {
  binlogMissing,
  identityMismatch,
  resumeMismatch,
  schemaFingerprint,
  type Checkpoint,
  type ResumeExpectation,
} from '../../core/checkpoint.js';
import { PreflightError } from '../../core/errors.js';
import type { TableNames } from '../../core/names.js';
import { judgeLeftovers, type Leftovers, type LeftoverVerdict } from '../../core/resume.js';
import { SHOW_BINARY_LOGS } from '../../core/sql/checkpoint.js';
import { tablesNamed } from '../../core/sql/ddl.js';
import type { KeyValues, ServerInfo } from '../../core/types.js';
import { readTableSchema } from '../../io/db/inspector.js';
import type { Db } from '../../io/db/pool.js';
import { gtidProblem, readServerIdentity } from './server-state.js';
import { readStoredState } from './store.js';

/** What a resumed run starts from. */
export interface ResumePoint {
  readonly checkpoint: Checkpoint;
  /** Rows the dead run's replay had moved aside and not re-copied. */
  readonly moved: readonly KeyValues[];
  /** `_<t>_del` to drop before the run goes on: the dead run's cut-over sentry, or an old table (--initially-drop-old-table). */
  readonly dropOld: 'sentry' | 'old' | null;
}

export function refuse(database: string, table: string, reason: string): PreflightError {
  return new PreflightError(
    'RESUME_REFUSED',
    `cannot resume the run on ${database}.${table}: ${reason}; nothing was changed`,
  );
}

export async function readLeftovers(db: Db, database: string, names: TableNames): Promise<Leftovers> {
  const q = tablesNamed(database, [names.ghost, names.changelog, names.checkpoint, names.old]);
  const rows = await db.rows<{ name: string; comment: string | null }>(q.sql, q.params);
  const get = (n: string) => rows.find((r) => String(r.name) === n);
  const old = get(names.old);
  return {
    ghost: get(names.ghost) !== undefined,
    changelog: get(names.changelog) !== undefined,
    checkpoint: get(names.checkpoint) !== undefined,
    old: old === undefined ? null : String(old.comment ?? ''),
  };
}

export async function judge(
  db: Db,
  database: string,
  table: string,
  names: TableNames,
  initiallyDropOldTable: boolean,
): Promise<Exclude<LeftoverVerdict, { kind: 'refuse' | 'nothing' }>> {
  const verdict = judgeLeftovers(await readLeftovers(db, database, names), names, initiallyDropOldTable);
  if (verdict.kind === 'nothing')
    throw new PreflightError(
      'NOTHING_TO_RESUME',
      `nothing to resume on ${database}.${table}: no ghost, changelog or checkpoint table of an earlier run is there; run without --resume`,
    );
  if (verdict.kind === 'refuse') throw refuse(database, table, verdict.reason);
  return verdict;
}

/**
 * The checkpoint, checked against this migration and the server: the same server (identity), still holding the
 * transactions the checkpoint had seen (GTIDs: a restored or failed-over server may reuse the same file names for
 * other events) and the binary log replay must go on from.
 */
export async function checkResume(
  db: Db,
  where: { readonly database: string; readonly table: string; readonly checkpoint: string },
  keyColumns: number,
  expected: ResumeExpectation,
  server: ServerInfo,
): Promise<{ checkpoint: Checkpoint; moved: readonly KeyValues[] }> {
  const { database, table } = where;
  const stored = await readStoredState(db, where, keyColumns);
  const checkpoint = stored.checkpoint;
  if (checkpoint === null)
    throw refuse(
      database,
      table,
      `${where.checkpoint} holds no checkpoint (the run died before its first one); start over with --initially-drop-ghost-table`,
    );
  const mismatch = resumeMismatch(checkpoint, expected);
  if (mismatch !== null) throw refuse(database, table, mismatch);
  const other = identityMismatch(checkpoint.server, await readServerIdentity(db, server.flavor));
  if (other !== null) throw refuse(database, table, other);
  if (checkpoint.gtid !== null) {
    const lost = await gtidProblem(db, server.flavor, { binlog: checkpoint.binlog, gtid: checkpoint.gtid });
    if (lost !== null) throw refuse(database, table, lost);
  }
  const logs = await db.rows<{ Log_name: string; File_size: string | number }>(SHOW_BINARY_LOGS);
  const missing = binlogMissing(
    checkpoint.binlog,
    logs.map((r) => ({ name: String(r.Log_name), size: Number(r.File_size) })),
  );
  if (missing !== null) throw refuse(database, table, missing);
  return { checkpoint, moved: stored.moved };
}

/**
 * The ghost is gone and `_<t>_del` is a real table: the dead run's RENAME swapped the tables when both now match
 * the checkpoint (the table is the ghost's definition, `_<t>_del` the original's). Else refused: check by hand.
 */
export async function checkSwapped(
  db: Db,
  where: { readonly database: string; readonly table: string; readonly checkpoint: string; readonly old: string },
  expected: Pick<ResumeExpectation, 'oscVersion' | 'alter'>,
): Promise<Checkpoint> {
  const { database, table, old } = where;
  const { checkpoint } = await readStoredState(db, where, null);
  if (checkpoint === null)
    throw refuse(database, table, `the ghost is gone, ${old} exists and ${where.checkpoint} holds no checkpoint`);
  const mismatch = resumeMismatch(checkpoint, {
    ...expected,
    key: checkpoint.key,
    original: checkpoint.original,
    ghost: checkpoint.ghost,
  });
  if (mismatch !== null) throw refuse(database, table, mismatch);
  const now = schemaFingerprint(await readTableSchema(db, database, table));
  const before = schemaFingerprint(await readTableSchema(db, database, old));
  if (checkpoint.phase !== 'cutover' || now !== checkpoint.ghost || before !== checkpoint.original)
    throw refuse(
      database,
      table,
      `the ghost table is gone and ${old} is not the original as the run checkpointed it: check ${table} and ${old} by hand`,
    );
  return checkpoint;
}
