// Progress arithmetic and the one-line status. The status line, the control socket's `status`
// reply and the metrics all render from the same read-only ProgressSnapshot.
import type { Phase } from './phase.js';

export interface ProgressSnapshot {
  readonly phase: Phase;
  readonly database: string;
  readonly table: string;
  readonly rowsCopied: number;
  readonly rowsEstimated: number;
  readonly elapsedSeconds: number;
  readonly copySeconds: number;
  readonly eventsApplied: number;
  readonly backlog: number;
  readonly binlogPosition: string | null;
  readonly heartbeatLagSeconds: number | null;
  readonly throttleReason: string | null;
  readonly cutOverAttempts: number;
  /** Row events replayed, by kind (eventsApplied is their sum). */
  readonly eventsByKind: Readonly<Record<'insert' | 'update' | 'delete', number>>;
  /** Lag of each throttle-control replica (`host:port`), null when it could not be read. */
  readonly replicaLags: readonly { readonly replica: string; readonly seconds: number | null }[];
  /** The chunk size in force now. */
  readonly chunkSize: number;
  /** Cut-over: how long the last successful swap blocked writes, ms (null before). */
  readonly cutOverLockMs: number | null;
}

/** Phases in which the row copy has finished. */
const COPY_FINISHED: ReadonlySet<Phase> = new Set<Phase>(['postponed', 'cutover', 'cleanup', 'done']);

/**
 * Percent copied, 0..100 with one decimal. The estimate (information_schema) may be below the real
 * count, so the value is capped at 100; an estimate of 0 gives 100 once the copy is done, else 0.
 */
export function percent(copied: number, estimated: number, done = false): number {
  if (estimated <= 0) return done ? 100 : 0;
  if (done) return 100;
  return Math.min(100, Math.max(0, Math.round((copied / estimated) * 1000) / 10));
}

/** Rows per second over `seconds`; 0 before any time has passed. */
export function rowsPerSecond(copied: number, seconds: number): number {
  return seconds > 0 ? copied / seconds : 0;
}

/** Seconds left at `rate` rows/s, rounded; null when the rate or the estimate is unknown. */
export function etaSeconds(copied: number, estimated: number, rate: number): number | null {
  if (!(rate > 0) || !(estimated > 0)) return null;
  return Math.round(Math.max(0, estimated - copied) / rate);
}

/** 3723 -> `1h02m03s`, 245 -> `4m05s`, 7 -> `7s` (whole seconds, rounded down). */
export function formatDuration(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  if (h > 0) return `${h}h${two(m)}m${two(s)}s`;
  if (m > 0) return `${m}m${two(s)}s`;
  return `${s}s`;
}

/**
 * `phase=copy copied=12000/200000 pct=6.0% rate=2400/s eta=1m18s backlog=3 applied=512 lag=0.2s
 * binlog=binlog.000003:1234`, then ` cutover_attempts=n` once cut-over was tried and
 * ` throttled="reason"` while throttled. Unknown values print as `-`.
 */
export function renderStatusLine(s: ProgressSnapshot): string {
  const copyDone = COPY_FINISHED.has(s.phase);
  const rate = rowsPerSecond(s.rowsCopied, s.copySeconds);
  const eta = copyDone ? 0 : etaSeconds(s.rowsCopied, s.rowsEstimated, rate);
  const parts = [
    `phase=${s.phase}`,
    `copied=${s.rowsCopied}/${s.rowsEstimated}`,
    `pct=${percent(s.rowsCopied, s.rowsEstimated, copyDone).toFixed(1)}%`,
    `rate=${Math.round(rate)}/s`,
    `eta=${eta === null ? '-' : formatDuration(eta)}`,
    `backlog=${s.backlog}`,
    `applied=${s.eventsApplied}`,
    `lag=${s.heartbeatLagSeconds === null ? '-' : `${s.heartbeatLagSeconds.toFixed(1)}s`}`,
    `binlog=${s.binlogPosition ?? '-'}`,
  ];
  if (s.cutOverAttempts > 0) parts.push(`cutover_attempts=${s.cutOverAttempts}`);
  if (s.throttleReason !== null) parts.push(`throttled=${JSON.stringify(s.throttleReason)}`);
  return parts.join(' ');
}
