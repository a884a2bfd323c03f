// Prometheus metrics for one migration: a Registry of our own (never prom-client's global one, so two
// migrations in one process, or the tests, never share series), filled from the one read-only
// ProgressSnapshot plus a few event callbacks, and a small node:http server for GET /metrics.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HostPort } from '../core/config.js';
import { ConfigError, PreflightError } from '../core/errors.js';
import { PHASES } from '../core/phase.js';
import type { Phase } from '../core/phase.js';
import { etaSeconds, rowsPerSecond } from '../core/progress.js';
import type { ProgressSnapshot } from '../core/progress.js';

export type EventKind = 'insert' | 'update' | 'delete';
const EVENT_KINDS: readonly EventKind[] = ['insert', 'update', 'delete'];

/** Throttle reasons carry live numbers (`lag=2.3s on h:p`); the label keeps only their kind, so series stay few. */
export type ThrottleCategory = 'user' | 'flag-file' | 'lag' | 'max-load' | 'throttle-query' | 'other';

export interface OscMetrics {
  readonly registry: Registry;
  /** Sets every snapshot-derived series; counters advance by the difference from the previous snapshot. */
  update(s: ProgressSnapshot): void;
  /** One copied chunk took this long. */
  observeChunk(seconds: number): void;
  /** One cut-over attempt took this long and succeeded or failed (attempts are counted from the snapshot). */
  observeCutOver(seconds: number, ok: boolean): void;
  /** An error with this OscError code was raised (or retried). */
  countError(code: string): void;
  /** Row events read from the binlog (before filtering and replay). */
  eventsReceived(kind: EventKind, n: number): void;
}

export interface MetricsOptions {
  readonly database: string;
  readonly table: string;
  /**
   * When given, every scrape first renders this snapshot, so the numbers are as fresh as the scrape
   * (also while nothing else calls update, e.g. a postponed cut-over). update() still works alongside.
   */
  readonly snapshot?: () => ProgressSnapshot;
}

/** Phases in which the row copy has finished (progress is then 1 whatever the estimate said). */
const COPY_FINISHED: ReadonlySet<Phase> = new Set<Phase>(['postponed', 'cutover', 'cleanup', 'done']);

// Chunks aim at a fraction of a second; a chunk past 10 s is a problem worth seeing in its own bucket.
const CHUNK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Cut-over waits up to cut-over-lock-timeout (default 3 s) for its locks.
const CUTOVER_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30];

// A gauge without label names always exports a sample (0 before any set). Gauges whose value can be
// unknown declare the registry's default labels as their label names instead: they start empty and
// `remove({})` takes the sample away again, so "unknown" is an absent series rather than a false 0.
const OPTIONAL: string[] = ['database', 'table'];

/** `binlog.000042:1234` -> { fileNumber: 42, offset: 1234 }; null when it is not of that form. */
export function parseBinlogPosition(text: string): { fileNumber: number; offset: number } | null {
  const m = /^(?:.*\D)?(\d+):(\d+)$/.exec(text);
  if (m === null) return null;
  return { fileNumber: Number(m[1]), offset: Number(m[2]) };
}

/** The kind of a throttler reason (see throttle/decide): `lag=2.3s on 127.0.0.1:3308` -> `lag`. */
export function throttleCategory(reason: string): ThrottleCategory {
  if (reason.startsWith('commanded by user')) return 'user';
  if (reason.startsWith('flag-file')) return 'flag-file';
  if (reason.startsWith('lag=') || /^replica \S+ unreadable/.test(reason)) return 'lag';
  if (reason.startsWith('max-load')) return 'max-load';
  if (reason.startsWith('throttle-query')) return 'throttle-query';
  return 'other';
}

/** Copied fraction 0..1: capped at 1 (the estimate may be low), 1 once the copy phase is over. */
export function progressRatio(s: Pick<ProgressSnapshot, 'phase' | 'rowsCopied' | 'rowsEstimated'>): number {
  if (COPY_FINISHED.has(s.phase)) return 1;
  if (s.rowsEstimated <= 0) return 0;
  return Math.min(1, Math.max(0, s.rowsCopied / s.rowsEstimated));
}

export function createMetrics(labels: MetricsOptions): OscMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ database: labels.database, table: labels.table });
  const registers = [registry];

  // The first metric registered is the first one rendered: its collect() refreshes all the others
  // (update is a hoisted declaration below; it runs only at scrape time, after every metric exists).
  const source = labels.snapshot;
  const rowsCopied = new Counter({
    name: 'osc_rows_copied_total',
    help: 'Rows copied from the original table into the ghost table.',
    registers,
    ...(source === undefined ? {} : { collect: () => update(source()) }),
  });
  const rowsEstimated = new Gauge({
    name: 'osc_rows_estimated',
    help: 'Rows the original table is estimated (or counted) to hold.',
    registers,
  });
  const progress = new Gauge({ name: 'osc_progress_ratio', help: 'Fraction of the row copy done, 0 to 1.', registers });
  const copyRate = new Gauge({
    name: 'osc_copy_rate_rows_per_second',
    help: 'Average copy rate since the copy began, rows per second.',
    registers,
  });
  const eta = new Gauge({
    name: 'osc_eta_seconds',
    help: 'Estimated seconds until the copy is done (absent when unknown).',
    labelNames: OPTIONAL,
    registers,
  });
  const elapsed = new Gauge({ name: 'osc_elapsed_seconds', help: 'Seconds since the migration started.', registers });
  const chunkSize = new Gauge({ name: 'osc_chunk_size_rows', help: 'The chunk size in force, rows.', registers });
  const chunkDuration = new Histogram({
    name: 'osc_chunk_duration_seconds',
    help: 'Time to copy one chunk.',
    buckets: CHUNK_BUCKETS,
    registers,
  });
  const applied = new Counter({
    name: 'osc_binlog_events_applied_total',
    help: 'Row events replayed onto the ghost table, by kind.',
    labelNames: ['kind'],
    registers,
  });
  const received = new Counter({
    name: 'osc_binlog_events_received_total',
    help: 'Row events read from the binlog for the table, by kind.',
    labelNames: ['kind'],
    registers,
  });
  const backlog = new Gauge({
    name: 'osc_replay_backlog_events',
    help: 'Row events read from the binlog and not yet replayed.',
    registers,
  });
  const binlogFile = new Gauge({
    name: 'osc_binlog_file_number',
    help: 'Number of the binlog file replay has reached (absent before replay starts).',
    labelNames: OPTIONAL,
    registers,
  });
  const binlogOffset = new Gauge({
    name: 'osc_binlog_offset_bytes',
    help: 'Offset within that binlog file replay has reached.',
    labelNames: OPTIONAL,
    registers,
  });
  const heartbeatLag = new Gauge({
    name: 'osc_heartbeat_lag_seconds',
    help: 'Delay between writing a changelog heartbeat and reading it back from the binlog (absent before the first).',
    labelNames: OPTIONAL,
    registers,
  });
  const replicaLag = new Gauge({
    name: 'osc_replica_lag_seconds',
    help: 'Replication lag of each throttle-control replica, from the heartbeat.',
    labelNames: ['replica'],
    registers,
  });
  const replicaReadable = new Gauge({
    name: 'osc_replica_readable',
    help: '1 when the replica lag could be read, 0 when not (it then counts as lagging).',
    labelNames: ['replica'],
    registers,
  });
  const throttled = new Gauge({ name: 'osc_throttled', help: '1 while the copy is throttled, else 0.', registers });
  const throttleReason = new Gauge({
    name: 'osc_throttle_reason',
    help: 'Why the copy is throttled: 1 for the current kind of reason, absent when not throttled.',
    labelNames: ['reason'],
    registers,
  });
  const phase = new Gauge({
    name: 'osc_phase',
    help: 'The migration phase: 1 for the current one, 0 for the others.',
    labelNames: ['phase'],
    registers,
  });
  const cutOverAttempts = new Counter({
    name: 'osc_cutover_attempts_total',
    help: 'Cut-over attempts made.',
    registers,
  });
  const cutOverDuration = new Histogram({
    name: 'osc_cutover_duration_seconds',
    help: 'Time of one cut-over attempt, by result.',
    labelNames: ['result'],
    buckets: CUTOVER_BUCKETS,
    registers,
  });
  const cutOverLock = new Gauge({
    name: 'osc_cutover_lock_seconds',
    help: 'How long the successful swap blocked writes (absent before).',
    labelNames: OPTIONAL,
    registers,
  });
  const checksumChunksDone = new Gauge({
    name: 'osc_checksum_chunks_done',
    help: 'Chunks the checksum of ghost against original has compared (checks of repaired chunks included).',
    registers,
  });
  const checksumChunksTotal = new Gauge({
    name: 'osc_checksum_chunks_total',
    help: 'Chunks the checksum has planned so far (the last one is known when reached).',
    registers,
  });
  const checksumMismatches = new Counter({
    name: 'osc_checksum_mismatches_total',
    help: 'Chunk checks that found the ghost differing from the original.',
    registers,
  });
  const checksumRepairs = new Counter({
    name: 'osc_checksum_repairs_total',
    help: 'Key ranges the checksum re-copied into the ghost.',
    registers,
  });
  const checksumSnapshots = new Counter({
    name: 'osc_checksum_snapshots_total',
    help: 'Consistent points the checksum opened: more than one per run when a pause for load or a lost connection made it open a new one.',
    registers,
  });
  const checksumDuration = new Gauge({
    name: 'osc_checksum_duration_seconds',
    help: 'Time the checksum has taken so far (every run of it).',
    registers,
  });
  const checksumLock = new Gauge({
    name: 'osc_checksum_lock_seconds',
    help: "How long the checksum's consistent point blocked writes, the longest (absent before).",
    labelNames: OPTIONAL,
    registers,
  });
  const errors = new Counter({
    name: 'osc_errors_total',
    help: 'Errors raised, by code.',
    labelNames: ['code'],
    registers,
  });

  // Counters must never go down: remember the last snapshot's totals and add only the difference.
  let lastCopied = 0;
  let lastAttempts = 0;
  let lastMismatches = 0;
  let lastRepairs = 0;
  let lastSnapshots = 0;
  const lastApplied: Record<EventKind, number> = { insert: 0, update: 0, delete: 0 };
  let lastReason: ThrottleCategory | null = null;
  let lastReplicas = new Set<string>();

  for (const p of PHASES) phase.set({ phase: p }, p === 'init' ? 1 : 0);
  for (const k of EVENT_KINDS) {
    applied.inc({ kind: k }, 0);
    received.inc({ kind: k }, 0);
  }

  const advance = (counter: Counter, last: number, now: number, lbl: Record<string, string> = {}): number => {
    if (now > last) counter.inc(lbl, now - last);
    // A smaller total (it cannot happen within one run) is taken as the new base rather than a decrease.
    return now;
  };
  const setOrRemove = (g: Gauge, value: number | null): void => {
    if (value === null || !Number.isFinite(value)) g.remove({});
    else g.set({}, value);
  };

  function update(s: ProgressSnapshot): void {
    lastCopied = advance(rowsCopied, lastCopied, s.rowsCopied);
    rowsEstimated.set(s.rowsEstimated);
    progress.set(progressRatio(s));
    const rate = rowsPerSecond(s.rowsCopied, s.copySeconds);
    copyRate.set(rate);
    setOrRemove(eta, COPY_FINISHED.has(s.phase) ? 0 : etaSeconds(s.rowsCopied, s.rowsEstimated, rate));
    elapsed.set(s.elapsedSeconds);
    chunkSize.set(s.chunkSize);
    for (const k of EVENT_KINDS) lastApplied[k] = advance(applied, lastApplied[k], s.eventsByKind[k], { kind: k });
    backlog.set(s.backlog);

    const pos = s.binlogPosition === null ? null : parseBinlogPosition(s.binlogPosition);
    setOrRemove(binlogFile, pos?.fileNumber ?? null);
    setOrRemove(binlogOffset, pos?.offset ?? null);
    setOrRemove(heartbeatLag, s.heartbeatLagSeconds);

    const replicas = new Set<string>();
    for (const r of s.replicaLags) {
      replicas.add(r.replica);
      replicaReadable.set({ replica: r.replica }, r.seconds === null ? 0 : 1);
      if (r.seconds === null) replicaLag.remove({ replica: r.replica });
      else replicaLag.set({ replica: r.replica }, r.seconds);
    }
    for (const gone of lastReplicas) {
      if (replicas.has(gone)) continue;
      replicaLag.remove({ replica: gone });
      replicaReadable.remove({ replica: gone });
    }
    lastReplicas = replicas;

    const reason = s.throttleReason === null ? null : throttleCategory(s.throttleReason);
    throttled.set(reason === null ? 0 : 1);
    if (lastReason !== null && lastReason !== reason) throttleReason.remove({ reason: lastReason });
    if (reason !== null) throttleReason.set({ reason }, 1);
    lastReason = reason;

    for (const p of PHASES) phase.set({ phase: p }, p === s.phase ? 1 : 0);
    lastAttempts = advance(cutOverAttempts, lastAttempts, s.cutOverAttempts);
    setOrRemove(cutOverLock, s.cutOverLockMs === null ? null : s.cutOverLockMs / 1000);

    const c = s.checksum;
    checksumChunksDone.set(c?.chunksDone ?? 0);
    checksumChunksTotal.set(c?.chunksTotal ?? 0);
    lastMismatches = advance(checksumMismatches, lastMismatches, c?.mismatches ?? 0);
    lastRepairs = advance(checksumRepairs, lastRepairs, c?.repairs ?? 0);
    lastSnapshots = advance(checksumSnapshots, lastSnapshots, c?.snapshots ?? 0);
    checksumDuration.set(c?.seconds ?? 0);
    setOrRemove(checksumLock, c?.lockMs == null ? null : c.lockMs / 1000);
  }

  return {
    registry,
    update,
    observeChunk(seconds) {
      chunkDuration.observe(seconds);
    },
    observeCutOver(seconds, ok) {
      cutOverDuration.observe({ result: ok ? 'ok' : 'failed' }, seconds);
    },
    countError(code) {
      errors.inc({ code });
    },
    eventsReceived(kind, n) {
      if (n > 0) received.inc({ kind }, n);
    },
  };
}

/** Every sample name the registry can export (histograms as their _bucket, _sum and _count series). */
export async function metricNames(registry: Registry): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    // prom-client types `type` as a numeric enum, but at run time it is the text format's word.
    if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix);
    else names.add(m.name);
  }
  return names;
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

const HINT = 'osc: Prometheus metrics at /metrics\n';

/**
 * Serves `GET /metrics` (Prometheus text format) and `GET /` (a one-line hint) on the address; port 0
 * picks a free port, which the returned url names. A taken port or an address that cannot be bound
 * is a PreflightError: nothing has been started yet when the orchestrator calls this.
 */
export async function serveMetrics(registry: Registry, address: HostPort): Promise<MetricsServer> {
  const server = createServer((req, res) => void handle(registry, req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address.host, port: address.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const where = `${address.host}:${address.port}`;
    const code = (err as NodeJS.ErrnoException).code;
    const hint = 'choose another with --metrics-address HOST:PORT, or turn it off with --metrics-address off';
    if (code === 'EADDRINUSE')
      throw new PreflightError(
        'ALREADY_RUNNING',
        `metrics address ${where} is already in use (another osc run?); ${hint}`,
        { cause: err },
      );
    throw new ConfigError('BAD_USAGE', `cannot serve metrics on ${where} (${code ?? 'error'}); ${hint}`, {
      cause: err,
    });
  }
  // A scraper's failed socket must not become an unhandled 'error' on the server.
  server.on('clientError', (_err, socket) => socket.destroy());
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive scrapers would otherwise hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}

async function handle(registry: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' }).end('method not allowed\n');
    return;
  }
  if (path === '/metrics') {
    try {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res
        .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`cannot render metrics: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    return;
  }
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : HINT);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found; try /metrics\n');
}
