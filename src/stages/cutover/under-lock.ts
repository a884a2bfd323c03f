// What both cut-over algorithms do while A holds the original locked, before the swap (core/cutover/plan.ts).
import { MigrationError } from '../../core/errors.js';
import type { CutOverStep } from '../../core/cutover/plan.js';
import type { Db } from '../../io/db/pool.js';
import type { CutOverDeps } from './cutover.js';

/**
 * Every change made before the lock is replayed once this attempt's marker is (replay then holds: `onHeld`); no row
 * replay moved aside waits to be re-copied; the hook does its work on `ghostWriter` (the session that may write the
 * ghost now; it counts in the lock time, e.g. the AUTO_INCREMENT counter raised); the run lock is still this run's
 * (without it another run may have dropped or replaced the ghost); no abort asked for: the last moment one is
 * honoured, since once the RENAME is sent the swap may happen.
 */
export async function drainUnderLock(
  deps: CutOverDeps,
  token: string,
  timeoutMs: number,
  step: (name: CutOverStep) => Promise<void>,
  onHeld: () => void,
  ghostWriter: Db,
): Promise<void> {
  const replayed = deps.applier.waitForMarker(token, true, timeoutMs, deps.signal);
  replayed.catch(() => undefined);
  await deps.writeMarker(token);
  await step('write-marker');
  await replayed;
  onHeld();
  await step('wait-marker-replayed');
  if ((deps.movedAsideRows?.() ?? 0) > 0)
    throw new MigrationError('CUT_OVER_FAILED', 'rows moved aside by replay are waiting to be re-copied');
  await deps.beforeRename?.(ghostWriter);
  await deps.checkRunLock?.();
  await step('check-run-lock');
  if (deps.signal.aborted) throw new MigrationError('ABORTED', 'aborted during the cut-over, before the swap');
}
