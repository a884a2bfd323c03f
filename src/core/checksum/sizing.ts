// How big the checksum's chunks are. They reuse the copy's sizing by time (core/chunk/sizer.ts) with other bounds:
// a checksum chunk takes no lock and writes nothing, so only the fixed cost per chunk (two statements and a boundary
// search) argues for its size, and the repair of a differing chunk (delete and copy again) against it.
//
// Measured here (MariaDB 10.11, 2 shared cores, 500,000 rows of 5 columns, warm): hashing one table takes about
// 0.4-0.5 µs per row, the boundary search about 0.1 µs; from 1,000-row chunks growing 1.5x per chunk the ramp
// alone took 10 chunks and half the checksum's time, from 10,000 rows the whole checksum took 0.5 s for a 4.9 s copy.
import { defaultSizing, type ChunkSizing } from '../chunk/sizer.js';

/** Never fewer rows: at about 1 µs per row a chunk of this size costs about 10 ms, its fixed cost a few. */
export const CHECKSUM_MIN_ROWS = 10_000;
/** Never more: a chunk that differs is deleted from the ghost and copied again, in one DELETE. */
export const CHECKSUM_MAX_ROWS = 100_000;
/** Target time per chunk at least: no lock is held, longer chunks only save round trips. */
export const CHECKSUM_MIN_SECONDS = 0.25;

/** --chunk-size fixes the checksum's chunks too; otherwise the copy's target time, at least CHECKSUM_MIN_SECONDS. */
export function checksumSizing(fixedRows: number | null, chunkTime: number): ChunkSizing {
  return {
    ...defaultSizing(fixedRows, Math.max(chunkTime, CHECKSUM_MIN_SECONDS)),
    minRows: CHECKSUM_MIN_ROWS,
    maxRows: CHECKSUM_MAX_ROWS,
  };
}
