import type { ProgressSnapshot } from '../../src/core/progress.js';

/** A copy under way: 12,000 of 200,000 rows after 5 s, a small replay backlog. */
export const COPYING: ProgressSnapshot = {
  phase: 'copy',
  database: 'shop',
  table: 'orders',
  rowsCopied: 12000,
  rowsEstimated: 200000,
  elapsedSeconds: 7,
  copySeconds: 5,
  eventsApplied: 512,
  backlog: 3,
  binlogPosition: 'binlog.000003:1234',
  heartbeatLagSeconds: 0.2,
  throttleReason: null,
  cutOverAttempts: 0,
  eventsByKind: { insert: 500, update: 10, delete: 2 },
  replicaLags: [],
  chunkSize: 1000,
  cutOverLockMs: null,
  checksum: null,
};

/** Half of a 1,000-row copy, as the control socket's tests read it. */
export const HALF_COPIED: ProgressSnapshot = {
  phase: 'copy',
  database: 'shop',
  table: 'orders',
  rowsCopied: 500,
  rowsEstimated: 1000,
  elapsedSeconds: 2,
  copySeconds: 1,
  eventsApplied: 7,
  backlog: 0,
  binlogPosition: 'binlog.000002:900',
  heartbeatLagSeconds: null,
  throttleReason: null,
  cutOverAttempts: 0,
  eventsByKind: { insert: 7, update: 0, delete: 0 },
  replicaLags: [],
  chunkSize: 1000,
  cutOverLockMs: null,
  checksum: null,
};
