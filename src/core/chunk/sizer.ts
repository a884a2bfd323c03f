// Chunk size by time: the copy aims at a target duration per chunk and sizes the next chunk from the last one's
// rows and duration. Pure; the copier feeds it each chunk's figures and reads the size for the next.
//
// Measured on this machine (2 shared cores; 5-column orders table, warm buffer pool, one session, consecutive
// `INSERT IGNORE ... SELECT ... FOR SHARE` chunks on the primary key; median per chunk, rows/s over 4-50 chunks):
//
//   rows per chunk     1k        2k        5k        10k       20k       40k       80k
//   MariaDB 10.11    6 ms      12-14 ms  21-32 ms  44-55 ms  81-88 ms  173 ms    370 ms
//                    108k/s    150-162k  128-178k  178-250k  190-215k  238k      214k
//   MySQL 9.7        19 ms     22-28 ms  35-67 ms  60-96 ms  126-151   254 ms    674 ms (max 978)
//                    44k/s     61-97k    75-154k   102-163k  124-149k  154k      115k
//
// A chunk costs a fixed part (a round trip and a commit: about 15 ms on MySQL here, a few ms on MariaDB) plus a
// per-row part. Throughput levels off from about 10k rows (50-100 ms) on both, and MySQL gets slower again beyond
// 40k rows (measured; the cause was not investigated). Every chunk holds shared
// locks on its rows while it runs, so writers to those rows wait for it: the shorter the better once the fixed
// cost is paid. But each chunk also commits, and the benchmark (npm run bench, 1,000,000 rows, medians of three
// runs taken in turns with pt-online-schema-change) found 0.5 s chunks faster on both servers: idle, osc took
// 0.95x pt-osc's time at 0.5 s against 1.16-1.20x at 0.1 s on MariaDB 10.11, and 1.11x against 1.75x on MySQL 9.7
// (500,000 rows; its default sync_binlog=1 adds a binlog fsync to every commit). Writers pay for it: their p99
// latency under 500 writes/s rose from 30 to 53 ms on MariaDB and from 52 to 95 ms on MySQL, as with pt-osc,
// whose default is also 0.5 s. Hence 0.5 s (about 50k rows on MariaDB, 15-30k on MySQL here).
import { OscError } from '../errors.js';

/** Target seconds per chunk when --chunk-time is not given (see above). */
export const DEFAULT_CHUNK_SECONDS = 0.5;
/** The first chunk's size, before any measurement: small enough to be harmless on a slow or wide table. */
export const INITIAL_CHUNK_ROWS = 1000;
/** Never fewer rows: below this the fixed per-chunk cost dominates whatever the row width. */
export const MIN_CHUNK_ROWS = 100;
/** Never more: no faster beyond about 40k rows on either server, and slower on MySQL 9.7 at 80k. */
export const MAX_CHUNK_ROWS = 50_000;

// At most 1.5x per chunk: one chunk that happened to run fast (a cold neighbour finished, a burst of writes
// paused) must not make the next one huge. From 1000 rows it reaches 20k in 8 chunks.
const GROWTH_LIMIT = 1.5;
// A chunk this many times over the target is shrunk at once to the size its own rate gives: at 4x the next chunk
// would otherwise hold its locks for seconds again. Chunks in steady state measured up to 2.5x their median
// (noise on a shared machine), so 4 stays clear of ordinary jitter.
const PANIC_FACTOR = 4;
// Within this band around the target the size stays: the measured jitter is larger than what a correction
// would gain, and a size that keeps moving makes progress figures jumpy.
const KEEP_BELOW = 1.25;
const KEEP_ABOVE = 0.8;
// A chunk that read under half its planned rows (the table's last chunk, rows deleted meanwhile) says little
// about the rate: its fixed cost dominates. It can still shrink the size when it overshoots.
const MIN_SAMPLE_FRACTION = 0.5;

export interface ChunkSizing {
  /** --chunk-size: the size is fixed and time is not looked at. Null: sized by time. */
  readonly fixedRows: number | null;
  /** --chunk-time: target seconds per chunk. */
  readonly targetSeconds: number;
  readonly minRows: number;
  readonly maxRows: number;
}

export interface ChunkSample {
  /** Rows the chunk read (copied now, or already on the ghost). */
  readonly rows: number;
  readonly seconds: number;
}

export function defaultSizing(fixedRows: number | null, targetSeconds = DEFAULT_CHUNK_SECONDS): ChunkSizing {
  return checkSizing({ fixedRows, targetSeconds, minRows: MIN_CHUNK_ROWS, maxRows: MAX_CHUNK_ROWS });
}

function checkSizing(s: ChunkSizing): ChunkSizing {
  const whole = (n: number) => Number.isSafeInteger(n) && n >= 1;
  if (s.fixedRows !== null && !whole(s.fixedRows))
    throw new OscError('INTERNAL', `chunk size must be a positive integer, got ${s.fixedRows}`);
  if (!(s.targetSeconds > 0) || !Number.isFinite(s.targetSeconds))
    throw new OscError('INTERNAL', `chunk time must be positive, got ${s.targetSeconds}`);
  if (!whole(s.minRows) || !whole(s.maxRows) || s.minRows > s.maxRows) {
    throw new OscError(
      'INTERNAL',
      `chunk size bounds must be positive integers with min <= max, got ${s.minRows}..${s.maxRows}`,
    );
  }
  return s;
}

/** The first chunk's size. */
export function firstChunkSize(s: ChunkSizing): number {
  return s.fixedRows ?? clamp(INITIAL_CHUNK_ROWS, s);
}

function clamp(rows: number, s: ChunkSizing): number {
  return Math.min(s.maxRows, Math.max(s.minRows, Math.floor(rows)));
}

/**
 * The next chunk's size after a chunk of `current` planned rows that read `last.rows` rows in `last.seconds`:
 * the size that chunk's rate would have filled the target with, reached gradually when growing, halfway when a
 * little slow, at once when far too slow.
 */
export function nextChunkSize(s: ChunkSizing, current: number, last: ChunkSample): number {
  checkSizing(s);
  if (s.fixedRows !== null) return s.fixedRows;
  if (!(last.seconds > 0) || last.rows <= 0) return clamp(current, s); // nothing measured
  const ratio = last.seconds / s.targetSeconds;
  const ideal = (last.rows / last.seconds) * s.targetSeconds;
  if (ratio > PANIC_FACTOR) return clamp(Math.min(ideal, current), s);
  if (last.rows < current * MIN_SAMPLE_FRACTION) return clamp(current, s);
  if (ratio >= KEEP_ABOVE && ratio <= KEEP_BELOW) return clamp(current, s);
  if (ideal > current) return clamp(Math.min(ideal, current * GROWTH_LIMIT), s);
  return clamp(current - (current - ideal) / 2, s);
}
