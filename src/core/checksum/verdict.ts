// The checksum's decisions: how chunks follow each other, whether a chunk matches, whether a differing chunk is
// repaired again or fails the migration, when a postponed cut-over needs a fresh checksum. Pure.
import { OscError } from '../errors.js';
import type { ChunkRange } from '../sql/checksum.js';
import type { Column, KeyValues } from '../types.js';

/** A chunk's figures on one table: rows and the BIT_XOR of their hashes (as the server printed it). */
export interface ChunkFigures {
  readonly rows: number;
  readonly hash: string;
}

/** A number or string as its text; null for anything else. */
function scalarText(v: unknown): string | null {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : null;
}

/** Reads the `n` and `h` a chunk statement returned. */
export function chunkFigures(row: { n?: unknown; h?: unknown } | undefined): ChunkFigures {
  if (row === undefined) throw new OscError('INTERNAL', 'a checksum statement returned no row');
  return { rows: Number(row.n ?? 0), hash: scalarText(row.h) ?? '0' };
}

export function sameFigures(a: ChunkFigures, b: ChunkFigures): boolean {
  return a.rows === b.rows && a.hash === b.hash;
}

/**
 * The chunk after `previous` (null: the first), up to `boundary` (null: to the end). The first chunk has no lower
 * bound and the last no upper one, so that ghost rows beyond the original's keys are checked too.
 */
export function nextChunk(previous: ChunkRange | null, boundary: KeyValues | null): ChunkRange {
  if (previous !== null && previous.upper === null) throw new OscError('INTERNAL', 'no chunk follows the last one');
  const lower = previous === null ? null : { key: previous.upper as KeyValues, inclusive: false };
  return { lower, upper: boundary };
}

/** Chunks up to each boundary in turn, then one open above the last (rows the original gained beyond it). */
export function chunksAlong(boundaries: readonly KeyValues[]): ChunkRange[] {
  const chunks: ChunkRange[] = [];
  let previous: ChunkRange | null = null;
  for (const b of [...boundaries, null]) {
    previous = nextChunk(previous, b);
    chunks.push(previous);
  }
  return chunks;
}

/**
 * The copy's range boundaries kept for the checksum, at most `max` of them whatever the table's size: past that the
 * list is thinned by half (every second one kept, and from then on every second range's), so that memory stays
 * bounded and the chunks grow instead; any subset of increasing boundaries chunks the key as well.
 */
export class BoundaryKeeper {
  private readonly list: KeyValues[] = [];
  private stride = 1;
  private seen = 0;

  constructor(private readonly max = MAX_KEPT_BOUNDARIES) {
    if (!Number.isSafeInteger(max) || max < 2) throw new OscError('INTERNAL', `bad boundary bound ${max}`);
  }

  add(boundary: KeyValues): void {
    if (this.seen++ % this.stride !== 0) return;
    this.list.push(boundary);
    if (this.list.length < this.max) return;
    const kept = this.list.filter((_, i) => i % 2 === 0);
    this.list.splice(0, this.list.length, ...kept);
    this.stride *= 2;
  }

  get boundaries(): readonly KeyValues[] {
    return this.list;
  }
}

/** At 50,000-row copy chunks, tables up to 200M rows keep every boundary; a 1B-row one gets ~250k-row chunks. */
export const MAX_KEPT_BOUNDARIES = 4096;

/**
 * Repairs of one chunk before its difference counts as real: a repair re-copies the range from the original, so a
 * difference that survives it is data the new table cannot hold (a lossy conversion, a new UNIQUE over duplicates).
 * More than one, because writes and replay go on beside the repair and a key range can be busy.
 */
export const MAX_REPAIRS = 3;

export type ChunkStep = 'done' | 'repair' | 'fail';

/** What to do with a chunk after a check: `repairs` it has had so far. */
export function afterCheck(matches: boolean, repairs: number): ChunkStep {
  if (matches) return 'done';
  return repairs < MAX_REPAIRS ? 'repair' : 'fail';
}

/**
 * A cut-over postponed for longer than this after the last checksum gets a fresh one first: the swap is then never
 * based on a check older than a few minutes.
 */
export const RECHECK_AFTER_MS = 5 * 60_000;

/** `afterMs`: RECHECK_AFTER_MS, or a test's shorter interval (ChecksumTesting; no flag sets it). */
export function recheckDue(lastVerifiedAt: number, now: number, afterMs = RECHECK_AFTER_MS): boolean {
  return now - lastVerifiedAt > afterMs;
}

/**
 * Consistent points a checksum run opens again after losing a session's connection (killed, network) before it
 * fails: the chunks verified so far stay verified, the rest are checked at the new point.
 */
export const MAX_REOPENS = 5;

/**
 * A pause for load (max-load, throttle flag, user throttle) longer than this releases the checksum's snapshots, and
 * a new consistent point opens when it ends: a REPEATABLE READ snapshot held open keeps InnoDB from purging the
 * history of every change made meanwhile, which is what a busy server can least afford. Shorter pauses keep them,
 * as a new point costs a brief lock on the original.
 */
export const PAUSE_HOLD_MS = 2_000;

/**
 * Join mode: extra ghost rows (rows that are no row of the original's) read and deleted per repair, at most. More
 * than a few means a fault far beyond what a repair should cover up: after MAX_REPAIRS repairs the run fails.
 */
export const EXTRAS_PER_REPAIR = 1_000;

/** The first and last key of ghost rows, as a range (describeRange) for the operator; null when there are none. */
export function rangeOfKeys(keys: readonly KeyValues[]): ChunkRange | null {
  const [first, last] = [keys[0], keys[keys.length - 1]];
  if (first === undefined || last === undefined) return null;
  return { lower: { key: first, inclusive: true }, upper: last };
}

const MAX_VALUE_CHARS = 40;

function showValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex').slice(0, MAX_VALUE_CHARS)}`;
  const text = scalarText(v) ?? typeof v;
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

function showKey(key: KeyValues): string {
  return key.length === 1 ? showValue(key[0]) : `(${key.map(showValue).join(', ')})`;
}

/**
 * `id from 1001 (exclusive) to 2000`: the key range for the operator, who must find the rows (key values only, cut
 * short; ENUM/SET as member numbers and strings as hex bytes, as the range compares them).
 */
export function describeRange(columns: readonly Column[], range: ChunkRange): string {
  const names = columns.length === 1 ? (columns[0]?.name ?? '') : `(${columns.map((c) => c.name).join(', ')})`;
  const from =
    range.lower === null ? 'the start' : `${showKey(range.lower.key)}${range.lower.inclusive ? '' : ' (exclusive)'}`;
  const to = range.upper === null ? 'the end' : showKey(range.upper);
  return `${names} from ${from} to ${to}`;
}

/** What the checksum tells the orchestrator, the summary and the metrics. */
export interface ChecksumProgress {
  readonly chunksDone: number;
  /** Chunks planned so far (the last one is known only when reached). */
  readonly chunksTotal: number;
  readonly rowsChecked: number;
  /** Chunk checks that found a difference (each check of a chunk counts). */
  readonly mismatches: number;
  readonly repairs: number;
  /**
   * Consistent points opened: one per run unless a pause for load released the snapshots or a lost connection
   * replaced them (each new point re-reads the chunks left, never those proven).
   */
  readonly snapshots: number;
  readonly seconds: number;
  /** The consistent point's lock (the longest, when the checksum opened several), ms. */
  readonly lockMs: number | null;
}

export const NO_CHECKSUM: ChecksumProgress = Object.freeze({
  chunksDone: 0,
  chunksTotal: 0,
  rowsChecked: 0,
  mismatches: 0,
  repairs: 0,
  snapshots: 0,
  seconds: 0,
  lockMs: null,
});
