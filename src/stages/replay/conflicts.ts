// Transient unique-key collisions between replay and copy, and how they resolve.
//
// The copy reads current rows while replay applies older events, so for a moment the ghost can hold a row whose
// image is newer than the replay position. If the application moved a unique value between rows (R gave up `v`,
// then S took it), replaying "R takes v" meets S's copied, newer image still holding `v`. In the original that
// never coexisted: S's row is simply ahead of replay. So S is moved aside (deleted from the ghost, in the same
// transaction as the event) and re-copied from the original afterwards; a re-copy that still collides waits for
// replay to catch up and tries again. A collision that never resolves is real duplicate data: DATA_CONFLICT.
// Never REPLACE (it would drop S silently) and never IGNORE.
// When the ALTER changes the charset or collation of the key ghost rows are matched by (key.exactColumns), the
// same holds on that key: S may be a distinct source row whose key the new collation calls equal.
import { buildCopyKeys, buildDeleteGhostRow, buildLockGhostRows, buildUnmatchedCount } from '../../core/sql/copy.js';
import { SHOW_WARNINGS } from '../../core/sql/session.js';
import { classifyWarnings, describeWarningProblem } from '../../core/sql/warnings.js';
import { MigrationError } from '../../core/errors.js';
import type { Row } from '../../core/binlog/events.js';
import type { ChunkKey, Column, KeyValues } from '../../core/types.js';
import type { Db, SessionPool } from '../../io/db/pool.js';
import type { Logger } from '../../core/log.js';
import type { TablePlan } from '../../plan.js';
import type { MovedAsideStore } from '../resume/store.js';

/** What the conflict resolver reads of the table plan. */
export type ConflictPlan = Pick<
  TablePlan,
  'database' | 'table' | 'ghost' | 'mapping' | 'key' | 'ghostUniqueKeys' | 'lock'
>;

function identity(key: KeyValues): string {
  return key.map((v) => (Buffer.isBuffer(v) ? `b:${v.toString('hex')}` : `${typeof v}:${String(v)}`)).join('|');
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * The unique key a duplicate-entry error names (never its values), or null: for the key ghost rows are matched
 * by, only when distinct source rows can meet on it (key.exactColumns); elsewhere a duplicate there is a bug.
 */
export function duplicateKey(err: unknown, key: ChunkKey): string | null {
  const message = err instanceof Error ? err.message : '';
  const verdict = classifyWarnings([{ Level: 'Error', Code: 1062, Message: message }], {
    name: key.name,
    ghostName: key.ghostName,
  });
  if (verdict.duplicatesOnChunkKey > 0) return key.exactColumns.length > 0 ? key.ghostName : null;
  return verdict.otherDuplicateKeys[0] ?? null;
}

/** The ghost columns holding the original key's columns (key.columns), in that order. */
function originalKeyOnGhost(key: ChunkKey): Column[] {
  return key.columns.map((c) => {
    const i = key.ghostSources.findIndex((s) => same(s.name, c.name));
    const g = key.ghostColumns[i];
    if (g === undefined)
      throw new MigrationError('INTERNAL', `key column ${c.name} is not in the ghost key ${key.ghostName}`);
    return g;
  });
}

export class ConflictResolver {
  private readonly queued = new Map<string, KeyValues>();
  /** Rows moved aside since the last re-copy: all that replay re-copies after a batch. */
  private fresh = new Set<string>();

  /**
   * `store`: where each moved-aside key is recorded in the transaction that moves it, until it is re-copied, so that
   * a resumed run re-copies what a crash left moved aside (the queue itself lives only in memory).
   */
  constructor(
    private readonly plan: ConflictPlan,
    private readonly logger: Logger,
    private readonly store: MovedAsideStore | null = null,
  ) {}

  /** Queues keys a crashed run had moved aside (read from its checkpoint table) for re-copy. */
  restore(keys: readonly KeyValues[]): void {
    for (const kv of keys) {
      this.queued.set(identity(kv), kv);
      this.fresh.add(identity(kv));
    }
  }

  /** Rows moved aside and not yet re-copied. The cut-over must not swap while any are left. */
  get size(): number {
    return this.queued.size;
  }

  /**
   * Deletes the ghost rows that hold the values `image` needs on unique key `keyName` and queues them for
   * re-copy. Runs inside the replay transaction `s`. False when nothing could be moved (then the collision is real).
   */
  async moveAside(s: Db, image: Row, keyName: string): Promise<boolean> {
    const { mapping, key, database, ghost } = this.plan;
    const onKey = same(keyName, key.ghostName);
    if (onKey && key.exactColumns.length === 0) return false;
    const uk = this.plan.ghostUniqueKeys.find((k) => same(k.name, keyName));
    if (!uk) return false;
    // For the matching key, its own sources (a generated column the ghost computes alike has no mapping).
    const pairs = onKey
      ? key.ghostColumns.map((target, i) => ({ target, source: key.ghostSources[i] }))
      : uk.columns.map((name) => mapping.find((m) => same(m.target.name, name)));
    if (pairs.some((m) => m?.source === undefined)) return false; // a column the ghost computes or defaults: no image value
    const cols = pairs as { target: Column; source: Column }[];
    const values = cols.map((m) => image[m.source.name]);
    if (values.some((v) => v === null || v === undefined)) return false; // NULLs never collide
    // The image's values are the original's (a string as its bytes): compared in the ghost's collation. Each row
    // found comes with its ghost key to delete it by, which holds its original key to copy it again by.
    const found = buildLockGhostRows({
      database,
      ghost,
      key: key.ghostColumns,
      columns: cols.map((m) => m.target),
      values,
      from: cols.map((m) => m.source),
    });
    const own = originalKeyOnGhost(key);
    const rows = await s.rows(found.sql, found.params);
    for (const row of rows) {
      const del = buildDeleteGhostRow({
        database,
        ghost,
        key: key.ghostColumns,
        values: key.ghostColumns.map((c) => row[c.name]),
      });
      await s.run(del.sql, del.params);
      const kv = own.map((c) => row[c.name]);
      await this.store?.add(s, kv);
      this.queued.set(identity(kv), kv);
      this.fresh.add(identity(kv));
    }
    if (rows.length > 0) this.logger.info('replay_conflict_moved_aside', { key: uk.name, rows: rows.length });
    return rows.length > 0;
  }

  /**
   * Re-copies the queued rows from the original; rows that still collide stay queued. Returns how many remain.
   * `fresh`: only the rows moved aside since the last call (after each replay batch); rows that kept colliding wait
   * for the full re-copy once replay caught up (settleConflicts). Retrying all of them after every batch made replay
   * quadratic in the queue (a key every insert collides on, 300 writes/s: replay fell minutes behind).
   */
  async recopy(pool: SessionPool, only: 'all' | 'fresh' = 'all'): Promise<number> {
    const { database, table, ghost, mapping, key, lock } = this.plan;
    const ids = only === 'fresh' ? [...this.fresh] : [...this.queued.keys()];
    this.fresh = new Set();
    for (const id of ids) {
      const kv = this.queued.get(id);
      if (kv === undefined) continue;
      const st = buildCopyKeys({ database, table, ghost, mapping, key, keys: [kv], lock });
      const verdict = await pool.withSession(async (s) => {
        const res = await s.run(st.sql, st.params);
        const warnings =
          res.warningStatus > 0 ? await s.rows<{ Level: string; Code: number; Message: string }>(SHOW_WARNINGS) : [];
        return classifyWarnings(warnings, { name: key.name, ghostName: key.ghostName });
      });
      if (verdict.problems.length > 0) {
        throw new MigrationError(
          'COPY_FAILED',
          `re-copying a row would change data: ${describeWarningProblem(verdict)}; the original table is untouched`,
        );
      }
      if (verdict.otherDuplicateKeys.length > 0) continue;
      // On the matching key, a duplicate is this row itself, unless the ALTER made another row's key equal to it.
      if (verdict.duplicatesOnChunkKey > 0 && key.exactColumns.length > 0) {
        const check = buildUnmatchedCount({ database, table, ghost, key, rows: { keys: [kv] } });
        const [row] = await pool.rows<{ n: string | number }>(check.sql, check.params);
        if (Number(row?.n ?? 0) > 0) continue;
      }
      this.queued.delete(id);
      await this.store?.remove(pool, kv);
    }
    return this.queued.size;
  }
}
