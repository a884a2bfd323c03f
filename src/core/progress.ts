// Progress arithmetic and the one-line status. The status line, the control socket's `status`
// reply and the metrics all render from the same read-only ProgressSnapshot.
import type { ChecksumProgress } from './checksum/verdict.js';
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
  /** The checksum of ghost against original: null before it began (and with --skip-checksum). */
  readonly checksum: ChecksumProgress | null;
}

/** Phases in which the row copy has finished. */
const COPY_FINISHED: ReadonlySet<Phase> = new Set<Phase>(['checksum', 'postponed', 'cutover', 'cleanup', 'done']);

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

export interface ProgressFigures {
  /** 0..100, one decimal; 100 once the copy has finished. */
  readonly percent: number;
  /** Rows copied per second of copy time. */
  readonly rate: number;
  /** Seconds left; 0 once the copy has finished, null when unknown. */
  readonly eta: number | null;
}

/** The derived figures every rendering shares, so the status line, the bar and the hooks agree. */
export function progressFigures(s: ProgressSnapshot): ProgressFigures {
  const copyDone = COPY_FINISHED.has(s.phase);
  const rate = rowsPerSecond(s.rowsCopied, s.copySeconds);
  return {
    percent: percent(s.rowsCopied, s.rowsEstimated, copyDone),
    rate,
    eta: copyDone ? 0 : etaSeconds(s.rowsCopied, s.rowsEstimated, rate),
  };
}

/**
 * `phase=copy copied=12000/200000 pct=6.0% rate=2400/s eta=1m18s backlog=3 applied=512 lag=0.2s
 * binlog=binlog.000003:1234`, then ` cutover_attempts=n` once cut-over was tried and
 * ` throttled="reason"` while throttled. Unknown values print as `-`.
 */
export function renderStatusLine(s: ProgressSnapshot): string {
  const { percent: pct, rate, eta } = progressFigures(s);
  const parts = [
    `phase=${s.phase}`,
    `copied=${s.rowsCopied}/${s.rowsEstimated}`,
    `pct=${pct.toFixed(1)}%`,
    `rate=${Math.round(rate)}/s`,
    `eta=${eta === null ? '-' : formatDuration(eta)}`,
    `backlog=${s.backlog}`,
    `applied=${s.eventsApplied}`,
    `lag=${s.heartbeatLagSeconds === null ? '-' : `${s.heartbeatLagSeconds.toFixed(1)}s`}`,
    `binlog=${s.binlogPosition ?? '-'}`,
  ];
  if (s.checksum !== null) parts.push(...checksumParts(s.checksum));
  if (s.cutOverAttempts > 0) parts.push(`cutover_attempts=${s.cutOverAttempts}`);
  if (s.throttleReason !== null) parts.push(`throttled=${JSON.stringify(s.throttleReason)}`);
  return parts.join(' ');
}

/**
 * `checksum=12/40 repairs=0` (chunks checked of planned so far); ` mismatches=n` once one differed; ` snapshots=n`
 * once a pause for load or a lost connection made it open more than one consistent point.
 */
function checksumParts(c: ChecksumProgress): string[] {
  const parts = [`checksum=${c.chunksDone}/${c.chunksTotal}`, `repairs=${c.repairs}`];
  if (c.mismatches > 0) parts.push(`mismatches=${c.mismatches}`);
  if (c.snapshots > 1) parts.push(`snapshots=${c.snapshots}`);
  return parts;
}

// ---- the live terminal line

/**
 * What the bar says the migration is doing. The labels share one column width (the longest), so the bar starts in
 * the same column in every phase; `postponed` is short for `postponing cut-over` (the log line says it whole).
 */
const PHASE_LABEL: Readonly<Record<Phase, string>> = {
  init: 'starting',
  preflight: 'preflight',
  setup: 'setup',
  copy: 'copy',
  checksum: 'checksum',
  postponed: 'postponed',
  cutover: 'cut-over',
  cleanup: 'cleanup',
  done: 'done',
  failed: 'failed',
};
const LABEL_WIDTH = Math.max(...Object.values(PHASE_LABEL).map((l) => l.length));

/** Below this many cells a bar says nothing useful; the text gets the room instead. */
const MIN_BAR = 10;
const MAX_BAR = 40;
/**
 * Room the bar leaves for the figures: a copy of a few hundred thousand rows
 * (`  6.0% 12000/200000 2400/s eta 1m18s backlog 3 lag 0.2s`) fits beside an 11-cell bar on an 80-column terminal.
 */
const TEXT_ROOM = 55;

/**
 * One terminal line of exactly `width` characters, the same layout in every phase:
 * `copy      [########..............]   42.5% 85000/200000 2400/s eta 47s backlog 3 lag 0.2s throttled: flag-file`.
 * The label column and the bar's length depend on the width alone, so neither the bar nor the percent after it
 * moves when the phase, the numbers or the throttle state change; the figures get what is left and are padded to it.
 * When they do not fit, rows, backlog, lag and rate go, in that order; what still does not fit is cut with `…`.
 * The throttle reason sits last but outlives every optional field.
 */
export function renderProgressBar(s: ProgressSnapshot, width: number): string {
  const w = Math.floor(width);
  if (!(w > 0)) return '';
  const { percent: pct, rate, eta } = progressFigures(s);
  const fields: { readonly key: string; readonly text: string }[] = [
    { key: 'pct', text: `${pct.toFixed(1)}%`.padStart(6) },
    { key: 'rows', text: `${s.rowsCopied}/${s.rowsEstimated}` },
    { key: 'rate', text: `${Math.round(rate)}/s` },
    { key: 'eta', text: `eta ${eta === null ? '-' : formatDuration(eta)}` },
    { key: 'backlog', text: `backlog ${s.backlog}` },
    { key: 'lag', text: `lag ${s.heartbeatLagSeconds === null ? '-' : `${s.heartbeatLagSeconds.toFixed(1)}s`}` },
  ];
  if (s.phase === 'checksum' && s.checksum !== null)
    fields.splice(1, 1, { key: 'rows', text: `checked ${s.checksum.chunksDone}/${s.checksum.chunksTotal} chunks` });
  if (s.throttleReason !== null) fields.push({ key: 'throttle', text: `throttled: ${s.throttleReason}` });

  // label, space, [cells], space, figures
  const cells = Math.min(MAX_BAR, w - LABEL_WIDTH - 4 - TEXT_ROOM);
  let head = `${PHASE_LABEL[s.phase].padEnd(LABEL_WIDTH)} `;
  if (cells >= MIN_BAR) {
    const filled = Math.round((pct / 100) * cells);
    head += `[${'#'.repeat(filled)}${'.'.repeat(cells - filled)}] `;
  }
  const room = w - head.length;
  const join = (list: readonly { readonly text: string }[]): string => list.map((f) => f.text).join(' ');
  let kept = fields;
  let text = join(kept);
  for (const drop of ['rows', 'backlog', 'lag', 'rate']) {
    if (text.length <= room) break;
    kept = kept.filter((f) => f.key !== drop);
    text = join(kept);
  }
  const line = head + text;
  return line.length <= w ? line.padEnd(w) : `${line.slice(0, w - 1)}…`;
}
