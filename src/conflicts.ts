// Transient unique-key collisions between replay and copy, and how they resolve.
//
// The copy reads current rows while replay applies older events, so for a moment the ghost can hold a row whose
// image is newer than the replay position. If the application moved a unique value between rows (R gave up `v`,
// then S took it), replaying "R takes v" meets S's copied, newer image still holding `v`. In the original that
// never coexisted: S's row is simply ahead of replay. So S is moved aside (deleted from the ghost, in the same
// transaction as the event) and re-copied from the original afterwards; a re-copy that still collides waits for
// replay to catch up and tries again. A collision that never resolves is real duplicate data: DATA_CONFLICT.
// Never REPLACE (it would drop S silently) and never IGNORE.
import { buildCopyKeys, keyEquals } from './core/sql/copy.js';
import { columnList, qualify } from './core/sql/quote.js';
import { classifyWarnings, describeWarningProblem } from './core/sql/warnings.js';
import { MigrationError } from './core/errors.js';
import type { Row } from './core/binlog/events.js';
import type { ChunkKey, ColumnMapping, KeyValues, UniqueKey } from './core/types.js';
import type { Db, SessionPool } from './io/pool.js';
import type { Logger } from './log.js';

export interface ConflictDeps {
  readonly database: string;
  readonly table: string;
  readonly ghost: string;
  readonly mapping: readonly ColumnMapping[];
  readonly key: ChunkKey;
  /** The ghost's unique keys (after the ALTER). */
  readonly ghostUniqueKeys: readonly UniqueKey[];
  readonly lock: 'FOR SHARE' | 'LOCK IN SHARE MODE';
  readonly logger: Logger;
}

function identity(key: KeyValues): string {
  return key.map((v) => (Buffer.isBuffer(v) ? `b:${v.toString('hex')}` : `${typeof v}:${String(v)}`)).join('|');
}

/** The unique key a duplicate-entry error names (never its values), or null. */
export function duplicateKey(err: unknown, key: ChunkKey): string | null {
  const message = err instanceof Error ? err.message : '';
  return classifyWarnings([{ Level: 'Error', Code: 1062, Message: message }], { name: key.name, ghostName: key.ghostName }).otherDuplicateKeys[0] ?? null;
}

export class ConflictResolver {
  private readonly queued = new Map<string, KeyValues>();

  constructor(private readonly deps: ConflictDeps) {}

  /** Rows moved aside and not yet re-copied. The cut-over must not swap while any are left. */
  get size(): number {
    return this.queued.size;
  }

  /**
   * Deletes the ghost rows that hold the values `image` needs on unique key `keyName` and queues them for
   * re-copy. Runs inside the replay transaction `s`. False when nothing could be moved (then the collision is real).
   */
  async moveAside(s: Db, image: Row, keyName: string): Promise<boolean> {
    const { mapping, key, database, ghost } = this.deps;
    const uk = this.deps.ghostUniqueKeys.find((k) => k.name.toLowerCase() === keyName.toLowerCase());
    if (!uk || uk.name.toLowerCase() === key.ghostName.toLowerCase()) return false;
    const targets = uk.columns.map((name) => mapping.find((m) => m.target.name.toLowerCase() === name.toLowerCase()));
    if (targets.some((m) => m === undefined)) return false; // a column the ghost computes or defaults: no image value
    const cols = targets as ColumnMapping[];
    const values = cols.map((m) => image[m.source.name]);
    if (values.some((v) => v === null || v === undefined)) return false; // NULLs never collide
    // The image's values are the original's (a string as its bytes): compared in the ghost's collation.
    const where = keyEquals(cols.map((m) => m.target), values, cols.map((m) => m.source));
    // A locking read: the rows as they are now, not as this transaction's snapshot saw them.
    const rows = await s.rows(`SELECT ${columnList(key.ghostColumns.map((c) => c.name))} FROM ${qualify(database, ghost)} WHERE ${where.sql} FOR UPDATE`, where.params);
    for (const row of rows) {
      const kv = key.ghostColumns.map((c) => row[c.name]);
      const del = keyEquals(key.ghostColumns, kv);
      await s.run(`DELETE FROM ${qualify(database, ghost)} WHERE ${del.sql}`, del.params);
      this.queued.set(identity(kv), kv);
    }
    if (rows.length > 0) this.deps.logger.info('replay_conflict_moved_aside', { key: uk.name, rows: rows.length });
    return rows.length > 0;
  }

  /** Re-copies the queued rows from the original; rows that still collide stay queued. Returns how many remain. */
  async recopy(pool: SessionPool): Promise<number> {
    const { database, table, ghost, mapping, key, lock } = this.deps;
    for (const [id, kv] of [...this.queued]) {
      const st = buildCopyKeys({ database, table, ghost, mapping, key, keys: [kv], lock });
      const verdict = await pool.withSession(async (s) => {
        const res = await s.run(st.sql, st.params);
        const warnings = res.warningStatus > 0 ? await s.rows<{ Level: string; Code: number; Message: string }>('SHOW WARNINGS') : [];
        return classifyWarnings(warnings, { name: key.name, ghostName: key.ghostName });
      });
      if (verdict.problems.length > 0) {
        throw new MigrationError('COPY_FAILED', `re-copying a row would change data: ${describeWarningProblem(verdict)}; the original table is untouched`);
      }
      if (verdict.otherDuplicateKeys.length === 0) this.queued.delete(id);
    }
    return this.queued.size;
  }
}
