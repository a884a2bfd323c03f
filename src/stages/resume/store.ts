// Reads and writes `_<t>_ghk` (core/sql/checkpoint.ts): the checkpoint row, and the keys of rows replay moved aside.
import { decodeKey, encodeKey, parseCheckpoint, renderCheckpoint, type Checkpoint } from '../../core/checkpoint.js';
import {
  CHECKPOINT_ROW,
  deleteCheckpointRow,
  isMovedRow,
  movedRowName,
  readCheckpointRows,
  writeCheckpointRow,
} from '../../core/sql/checkpoint.js';
import { PreflightError } from '../../core/errors.js';
import type { KeyValues } from '../../core/types.js';
import type { Db } from '../../io/db/pool.js';
import type { TablePlan } from '../../plan.js';

type Where = Pick<TablePlan, 'database' | 'checkpoint'>;

export async function writeCheckpoint(db: Db, t: Where, c: Checkpoint): Promise<void> {
  const st = writeCheckpointRow(t.database, t.checkpoint, CHECKPOINT_ROW, renderCheckpoint(c));
  await db.run(st.sql, st.params);
}

export interface StoredState {
  /** Null when the run died before writing its first checkpoint. */
  readonly checkpoint: Checkpoint | null;
  /** Rows replay moved aside and had not re-copied. */
  readonly moved: readonly KeyValues[];
}

export async function readStoredState(db: Db, t: Where, keyColumns: number | null): Promise<StoredState> {
  const rows = await db.rows<{ name: string; value: string }>(readCheckpointRows(t.database, t.checkpoint));
  let checkpoint: Checkpoint | null = null;
  const moved: KeyValues[] = [];
  for (const r of rows) {
    const name = String(r.name);
    const value = String(r.value);
    if (name === CHECKPOINT_ROW) checkpoint = parseCheckpoint(value, keyColumns);
    else if (isMovedRow(name)) {
      let raw: unknown;
      try {
        raw = JSON.parse(value);
      } catch {
        throw new PreflightError(
          'RESUME_REFUSED',
          'a moved-aside key in the checkpoint is not JSON; nothing was changed',
        );
      }
      moved.push(decodeKey(raw, keyColumns));
    }
  }
  return { checkpoint, moved };
}

/** Where the conflict resolver records the rows it moved aside until they are re-copied (see conflicts.ts). */
export interface MovedAsideStore {
  /** In the replay transaction that moves the row aside. */
  add(s: Db, key: KeyValues): Promise<void>;
  /** After the row was re-copied. */
  remove(db: Db, key: KeyValues): Promise<void>;
}

export function movedAsideStore(t: Where): MovedAsideStore {
  const named = (key: KeyValues) => {
    const text = JSON.stringify(encodeKey(key));
    return { name: movedRowName(text), text };
  };
  return {
    async add(s, key) {
      const { name, text } = named(key);
      const st = writeCheckpointRow(t.database, t.checkpoint, name, text);
      await s.run(st.sql, st.params);
    },
    async remove(db, key) {
      const st = deleteCheckpointRow(t.database, t.checkpoint, named(key).name);
      await db.run(st.sql, st.params);
    },
  };
}
