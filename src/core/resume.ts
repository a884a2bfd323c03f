// What the tables a dead run left behind allow (pure): resume it, finish a cut-over that completed, or refuse and
// say why. The preflight reads the tables under the run lock (no live run can own them then) and acts on the verdict.
import type { TableNames } from './names.js';
import { isSentryComment } from './sql/ddl.js';

/** Which of osc's tables exist; `old`: the comment of `_<t>_del`, null when it does not exist. */
export interface Leftovers {
  readonly ghost: boolean;
  readonly changelog: boolean;
  readonly checkpoint: boolean;
  readonly old: string | null;
}

export type LeftoverVerdict =
  /** Nothing of a run is there. */
  | { readonly kind: 'nothing' }
  /**
   * Resume; `dropOld`: `_<t>_del` is to be dropped first, the dead run's cut-over sentry, or an old table
   * --initially-drop-old-table drops.
   */
  | { readonly kind: 'resume'; readonly dropOld: 'sentry' | 'old' | null }
  /** The ghost is gone and `_<t>_del` is a real table: the dead run's RENAME may have swapped the tables. */
  | { readonly kind: 'maybe-swapped' }
  | { readonly kind: 'refuse'; readonly reason: string };

export function judgeLeftovers(l: Leftovers, names: TableNames, initiallyDropOldTable: boolean): LeftoverVerdict {
  // An old table alone is a finished migration's (or a dead run's sentry): nothing to go on with either way.
  if (!l.ghost && !l.changelog && !l.checkpoint) return { kind: 'nothing' };
  if (!l.checkpoint)
    return {
      kind: 'refuse',
      reason: `there is no checkpoint table ${names.checkpoint}: the run died before its first checkpoint (or was not started by an osc that writes one); start over with --initially-drop-ghost-table`,
    };
  if (!l.changelog)
    return {
      kind: 'refuse',
      reason: `the changelog table ${names.changelog} is missing (dropped by hand?); start over with --initially-drop-ghost-table`,
    };
  const sentry = l.old !== null && isSentryComment(l.old);
  if (!l.ghost) {
    if (l.old !== null && !sentry) return { kind: 'maybe-swapped' };
    return {
      kind: 'refuse',
      reason: `the ghost table ${names.ghost} is missing (dropped by hand?); start over with --initially-drop-ghost-table`,
    };
  }
  if (l.old !== null && !sentry && !initiallyDropOldTable)
    return {
      kind: 'refuse',
      reason: `old table ${names.old} exists (left by an earlier migration?): drop it, or pass --initially-drop-old-table`,
    };
  return { kind: 'resume', dropOld: l.old === null ? null : sentry ? 'sentry' : 'old' };
}

/** The preflight's refusal when a dead run's tables are there and neither --resume nor a drop flag was given. */
export function leftoversMessage(qualifiedTable: string, found: readonly string[], resumable: boolean): string {
  const ways = resumable
    ? 'continue that run with --resume (and the same --alter), or drop them and start over with --initially-drop-ghost-table'
    : 'it left no checkpoint, so it cannot be resumed: drop them and start over with --initially-drop-ghost-table';
  const exist = found.length === 1 ? 'already exists' : 'already exist';
  return `${found.join(', ')} ${exist} (left by an earlier osc run on ${qualifiedTable} that died: no run holds its lock): ${ways}`;
}
