// Where the fault tests stop osc inside the cut-over, named by what holds at that moment, and the step of each
// algorithm (core/cutover/plan.ts) that is that moment: the same cases run against both algorithms.
import type { CutOverAlgorithm, CutOverStep } from '../../src/core/cutover/plan.js';
import type { Flavor } from '../../src/core/types.js';

export type CutOverPoint = 'locked' | 'replayed' | 'renaming' | 'swapped' | 'last-abort';

const POINT_STEPS: Readonly<Record<CutOverPoint, Readonly<Record<CutOverAlgorithm, CutOverStep>>>> = {
  // The original locked (two connections: the sentry with it), the marker not written yet.
  locked: { 'two-connection': 'lock-tables', 'single-session': 'lock-tables' },
  // The marker replayed: the ghost holds every change, replay is held, the lock still on.
  replayed: { 'two-connection': 'wait-marker-replayed', 'single-session': 'wait-marker-replayed' },
  // The swap is next and nothing else stands in its way. Two connections: B's RENAME queued, the sentry dropped,
  // so A's end lets it run. Single session: A holds the lock and has checked the run lock; the RENAME is its next
  // statement, so A's end renames nothing.
  renaming: { 'two-connection': 'drop-sentry', 'single-session': 'check-run-lock' },
  // The tables swapped (single session: still under A's lock).
  swapped: { 'two-connection': 'rename-completes', 'single-session': 'rename-completes' },
  // The last moment an abort is honoured: the lock held, the run lock checked, no RENAME sent.
  'last-abort': { 'two-connection': 'check-run-lock', 'single-session': 'check-run-lock' },
};

export function pointStep(point: CutOverPoint, algorithm: CutOverAlgorithm): CutOverStep {
  return POINT_STEPS[point][algorithm];
}

/**
 * The algorithm osc takes on the test server (its log says which: `cut_over_algorithm algorithm=...`): the MySQL
 * servers osc is tested on are 8.0.13 or later.
 */
export function algorithmFor(flavor: Flavor): CutOverAlgorithm {
  return flavor === 'mysql' ? 'single-session' : 'two-connection';
}

/**
 * The algorithms a test can drive on a server of this flavour (cutOver takes either): MariaDB refuses the
 * single-session one; the MySQL servers osc is tested on are 8.0.13 or later, which run both.
 */
export function algorithmsFor(flavor: Flavor): readonly CutOverAlgorithm[] {
  return flavor === 'mysql' ? ['two-connection', 'single-session'] : ['two-connection'];
}
