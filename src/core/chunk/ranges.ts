// Parallel copy along the chunk key: ranges are handed out in key order, each from the previous one's upper bound,
// and may finish in any order. The watermark (the checkpoint a resumed copy restarts after, plan.ts) advances only
// over the contiguous prefix of finished ranges: a range that finished above an unfinished one is not yet covered
// by it, so a resume from the watermark copies it again (INSERT IGNORE makes that harmless) and never skips a row.
// A failed statement is retried by its worker with the same bounds (io/db/retry.ts) before the worker takes another
// range; a range that still fails fails the copy, whose watermark stays below it.
// Pure and immutable; the copier holds the state and feeds it each event.
import { OscError } from '../errors.js';
import type { Flavor, KeyValues } from '../types.js';
import { nextRange, sameKey, type CopyPlanState, type KeyRange } from './plan.js';

/**
 * Ranges copied at once when --threads is not given. Measured here (2,000,000 rows, 2 cores): on MySQL 9.7 two
 * workers on disjoint ranges took 11.3-12.8 s against 19-21 s for one; on MariaDB 10.11 one, two or three took the
 * same time (its binlog writes serialise), so more only adds lock contention.
 */
export function defaultThreads(flavor: Flavor): number {
  return flavor === 'mysql' ? 2 : 1;
}

export type RangeStatus = 'running' | 'finished';

export interface CopyRange {
  /** Handed-out order, from 1. */
  readonly id: number;
  readonly lower: KeyValues;
  readonly lowerInclusive: boolean;
  /** Inclusive. */
  readonly upper: KeyValues;
}

export interface OpenRange {
  readonly range: CopyRange;
  readonly status: RangeStatus;
}

export interface RangesState {
  /** min, max and the watermark over the contiguous finished prefix: what a checkpoint persists. */
  readonly plan: CopyPlanState;
  /** Ranges handed out and not yet below the watermark, in key order (= handed-out order). */
  readonly open: readonly OpenRange[];
  /** The last handed-out range's upper bound; null before the first (then ranges start after the watermark). */
  readonly frontier: KeyValues | null;
  /** The last handed-out range reaches max: no more ranges to hand out. */
  readonly exhausted: boolean;
  readonly nextId: number;
}

/** Starts from a plan: a fresh one, or one resumed from its watermark. */
export function startRanges(plan: CopyPlanState): RangesState {
  return { plan, open: [], frontier: null, exhausted: plan.done, nextId: 1 };
}

/** Where the next range's upper bound is to be searched (then handOut), or null when all are handed out. */
export function nextSearch(s: RangesState): KeyRange | null {
  if (s.exhausted) return null;
  const range = nextRange(s.plan);
  if (range === null || s.frontier === null) return range;
  return { lower: s.frontier, lowerInclusive: false, max: range.max };
}

/** Hands out the range from the search's lower bound up to `upper` (inclusive; `reachedMax` when no row is between). */
export function handOut(
  s: RangesState,
  upper: KeyValues,
  reachedMax: boolean,
): { state: RangesState; range: CopyRange } {
  const search = nextSearch(s);
  if (search === null) throw new OscError('INTERNAL', 'no range left to hand out');
  const range: CopyRange = { id: s.nextId, lower: search.lower, lowerInclusive: search.lowerInclusive, upper };
  const exhausted = reachedMax || sameKey(upper, search.max);
  return {
    state: { ...s, open: [...s.open, { range, status: 'running' }], frontier: upper, exhausted, nextId: s.nextId + 1 },
    range,
  };
}

function withStatus(s: RangesState, id: number, from: RangeStatus, to: RangeStatus): OpenRange[] {
  const i = s.open.findIndex((o) => o.range.id === id);
  const found = s.open[i];
  if (found === undefined) throw new OscError('INTERNAL', `copy range ${id} is not open`);
  if (found.status !== from) throw new OscError('INTERNAL', `copy range ${id} is ${found.status}, not ${from}`);
  const open = [...s.open];
  open[i] = { range: found.range, status: to };
  return open;
}

/** A range's rows are on the ghost: the watermark moves over every finished range at the front. */
export function finish(s: RangesState, id: number): RangesState {
  const open = withStatus(s, id, 'running', 'finished');
  let covered = 0;
  while (open[covered]?.status === 'finished') covered++;
  if (covered === 0) return { ...s, open };
  const last = open[covered - 1]!.range;
  const rest = open.slice(covered);
  // Done only when nothing is open or left to hand out: the last range may finish before those below it.
  return { ...s, open: rest, plan: { ...s.plan, watermark: last.upper, done: rest.length === 0 && s.exhausted } };
}

/** Every range is handed out and finished: the copy is complete. */
export function allCopied(s: RangesState): boolean {
  return s.exhausted && s.open.length === 0;
}
