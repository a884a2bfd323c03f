// The copy's progress along the chunking key as a small immutable state. The watermark is the
// highest key already copied: it is plain data (key values in key order) that can be persisted,
// e.g. in the changelog, and a copy resumed from it copies the rows after it and nothing before.
// min and max are read once before the copy starts; rows inserted above max later reach the ghost
// through binlog replay, so the copy never needs to chase them.
import type { KeyValues } from '../types.js';

export interface CopyPlanState {
  readonly min: KeyValues | null;
  readonly max: KeyValues | null;
  /** The last key copied (inclusive), or null before the first chunk. */
  readonly watermark: KeyValues | null;
  readonly done: boolean;
}

export interface KeyRange {
  readonly lower: KeyValues;
  readonly lowerInclusive: boolean;
  readonly max: KeyValues;
}

/** Both null: the table was empty, nothing to copy. */
export function startPlan(min: KeyValues | null, max: KeyValues | null): CopyPlanState {
  if (min === null || max === null) return { min: null, max: null, watermark: null, done: true };
  return { min, max, watermark: null, done: false };
}

/** The range the next chunk's upper bound is searched in, or null when the copy is done. */
export function nextRange(state: CopyPlanState): KeyRange | null {
  if (state.done || state.min === null || state.max === null) return null;
  if (state.watermark === null) return { lower: state.min, lowerInclusive: true, max: state.max };
  return { lower: state.watermark, lowerInclusive: false, max: state.max };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) {
    return (a === null || a === undefined) && (b === null || b === undefined);
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    return a.every((byte, i) => byte === b[i]);
  }
  const numeric = (v: unknown): v is bigint | number | string =>
    typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string';
  // 12, 12n and '12' are one key: the server and the binlog reader may hand over any of them.
  if (numeric(a) && numeric(b)) return String(a) === String(b);
  return Object.is(a, b);
}

/** Equal keys, value by value: Buffers by bytes, numbers/bigints/strings by their decimal text. */
export function sameKey(a: KeyValues, b: KeyValues): boolean {
  return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
}

/**
 * A key as a string, equal for two keys of decoded values (bytes, numbers, bigints, strings, null) exactly when
 * sameKey holds: to collect keys in a Map. Bytes by their hex, numbers, bigints and strings by their text (as
 * sameKey), tagged so no two kinds can meet.
 */
export function keyIdentity(key: KeyValues): string {
  return JSON.stringify(
    key.map((v) => {
      if (v === null || v === undefined) return 'n';
      if (v instanceof Uint8Array) return `b${Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex')}`;
      if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string') return `v${String(v)}`;
      return `o${typeof v}:${JSON.stringify(v) ?? ''}`;
    }),
  );
}
