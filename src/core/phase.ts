// The migration's phases, in order, and which transitions the orchestrator may make.
import { OscError } from './errors.js';

export const PHASES = [
  'init',
  'preflight',
  'setup',
  'copy',
  'checksum',
  'postponed',
  'cutover',
  'cleanup',
  'done',
  'failed',
] as const;
export type Phase = (typeof PHASES)[number];

// The forward path; 'checksum' follows the copy (unless --skip-checksum) and comes again after a long postponement;
// 'postponed' is optional between copy and cutover, and a failed cut-over
// attempt stays in 'cutover' for its retry. Any live phase may abort to 'failed', or go straight
// to 'cleanup' (noop runs, and after an error, drop what was created). 'done' and 'failed' are final.
const NEXT: Readonly<Record<Phase, readonly Phase[]>> = {
  init: ['preflight'],
  preflight: ['setup'],
  setup: ['copy'],
  copy: ['checksum', 'postponed', 'cutover'],
  checksum: ['postponed', 'cutover'],
  postponed: ['checksum', 'cutover'],
  cutover: ['cutover'],
  cleanup: ['done'],
  done: [],
  failed: [],
};

export function canTransition(from: Phase, to: Phase): boolean {
  if (from === 'done' || from === 'failed') return false;
  if (to === 'failed' || to === 'cleanup') return from !== 'cleanup' || to === 'failed';
  return NEXT[from].includes(to);
}

export function assertTransition(from: Phase, to: Phase): void {
  if (!canTransition(from, to)) {
    throw new OscError('INTERNAL', `phase transition ${from} -> ${to} is not allowed`);
  }
}
