import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  createMetrics,
  metricNames,
  parseBinlogPosition,
  progressRatio,
  throttleCategory,
} from '../../src/operator/metrics.js';
import type { ProgressSnapshot } from '../../src/core/progress.js';
import { parsePrometheusText } from '../support/prom-text.js';

const L = 'database="shop",table="orders"';

const base: ProgressSnapshot = {
  phase: 'copy',
  database: 'shop',
  table: 'orders',
  rowsCopied: 500,
  rowsEstimated: 2000,
  elapsedSeconds: 12,
  copySeconds: 10,
  eventsApplied: 7,
  backlog: 3,
  binlogPosition: 'binlog.000003:1234',
  heartbeatLagSeconds: 0.25,
  throttleReason: 'lag=2.3s on 127.0.0.1:3317',
  cutOverAttempts: 0,
  eventsByKind: { insert: 4, update: 2, delete: 1 },
  replicaLags: [
    { replica: '127.0.0.1:3317', seconds: 2.3 },
    { replica: '127.0.0.1:3318', seconds: null },
  ],
  chunkSize: 1000,
  cutOverLockMs: null,
  checksum: null,
};

/** The sample lines (no HELP/TYPE comments, no blank lines) whose name starts with `prefix`. */
function samples(text: string, prefix: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix + '{') || l.startsWith(prefix + ' ') || l.startsWith(prefix + '_'));
}

describe('createMetrics', () => {
  it('uses a registry of its own: nothing lands in the global one, and two migrations do not clash', async () => {
    const a = createMetrics({ database: 'shop', table: 'orders' });
    const b = createMetrics({ database: 'shop', table: 'items' });
    expect(a.registry).not.toBe(globalRegistry);
    expect(a.registry).not.toBe(b.registry);
    expect(globalRegistry.getSingleMetric('osc_rows_copied_total')).toBeUndefined();
    expect(await globalRegistry.metrics()).not.toContain('osc_');
  });

  it('carries database and table names that need escaping exactly', async () => {
    const names = { database: 'Shop "db" é.x', table: 'we`ird\\ \ntable' };
    const m = createMetrics(names);
    const rows = parsePrometheusText(await m.registry.metrics()).filter((x) => x.name === 'osc_rows_copied_total');
    expect(rows.map((x) => ({ database: x.labels['database'], table: x.labels['table'] }))).toEqual([names]);
  });

  it('declares exactly these metrics, with these types', async () => {
    const m = createMetrics({ database: 'shop', table: 'orders' });
    const types = (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(types).toEqual([
      '# TYPE osc_rows_copied_total counter',
      '# TYPE osc_rows_estimated gauge',
      '# TYPE osc_progress_ratio gauge',
      '# TYPE osc_copy_rate_rows_per_second gauge',
      '# TYPE osc_eta_seconds gauge',
      '# TYPE osc_elapsed_seconds gauge',
      '# TYPE osc_chunk_size_rows gauge',
      '# TYPE osc_chunk_duration_seconds histogram',
      '# TYPE osc_binlog_events_applied_total counter',
      '# TYPE osc_binlog_events_received_total counter',
      '# TYPE osc_replay_backlog_events gauge',
      '# TYPE osc_binlog_file_number gauge',
      '# TYPE osc_binlog_offset_bytes gauge',
      '# TYPE osc_heartbeat_lag_seconds gauge',
      '# TYPE osc_replica_lag_seconds gauge',
      '# TYPE osc_replica_readable gauge',
      '# TYPE osc_throttled gauge',
      '# TYPE osc_throttle_reason gauge',
      '# TYPE osc_phase gauge',
      '# TYPE osc_cutover_attempts_total counter',
      '# TYPE osc_cutover_duration_seconds histogram',
      '# TYPE osc_cutover_lock_seconds gauge',
      '# TYPE osc_checksum_chunks_done gauge',
      '# TYPE osc_checksum_chunks_total gauge',
      '# TYPE osc_checksum_mismatches_total counter',
      '# TYPE osc_checksum_repairs_total counter',
      '# TYPE osc_checksum_snapshots_total counter',
      '# TYPE osc_checksum_duration_seconds gauge',
      '# TYPE osc_checksum_lock_seconds gauge',
      '# TYPE osc_errors_total counter',
    ]);
    // Every metric has a help text.
    const helps = (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('# HELP '));
    expect(helps).toHaveLength(types.length);
    for (const h of helps) expect(h).toMatch(/^# HELP osc_[a-z_]+ [A-Z0-9].{10,}$/);
  });

  it('before any snapshot: phase init, zero counters, unknown values absent', async () => {
    const m = createMetrics({ database: 'shop', table: 'orders' });
    const text = await m.registry.metrics();
    expect(samples(text, 'osc_phase')).toEqual([
      `osc_phase{phase="init",${L}} 1`,
      `osc_phase{phase="preflight",${L}} 0`,
      `osc_phase{phase="setup",${L}} 0`,
      `osc_phase{phase="copy",${L}} 0`,
      `osc_phase{phase="checksum",${L}} 0`,
      `osc_phase{phase="postponed",${L}} 0`,
      `osc_phase{phase="cutover",${L}} 0`,
      `osc_phase{phase="cleanup",${L}} 0`,
      `osc_phase{phase="done",${L}} 0`,
      `osc_phase{phase="failed",${L}} 0`,
    ]);
    expect(samples(text, 'osc_rows_copied_total')).toEqual([`osc_rows_copied_total{${L}} 0`]);
    expect(samples(text, 'osc_binlog_events_applied_total')).toEqual([
      `osc_binlog_events_applied_total{kind="insert",${L}} 0`,
      `osc_binlog_events_applied_total{kind="update",${L}} 0`,
      `osc_binlog_events_applied_total{kind="delete",${L}} 0`,
    ]);
    for (const absent of [
      'osc_eta_seconds',
      'osc_binlog_file_number',
      'osc_binlog_offset_bytes',
      'osc_heartbeat_lag_seconds',
      'osc_replica_lag_seconds',
      'osc_throttle_reason',
      'osc_cutover_lock_seconds',
      'osc_checksum_lock_seconds',
      'osc_errors_total',
    ]) {
      expect(samples(text, absent), absent).toEqual([]);
    }
  });

  it('renders a snapshot: every snapshot-derived sample, exactly', async () => {
    const m = createMetrics({ database: 'shop', table: 'orders' });
    m.update(base);
    const lines = (await m.registry.metrics())
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#') && !l.includes('_duration_seconds'));
    expect(lines).toEqual([
      `osc_rows_copied_total{${L}} 500`,
      `osc_rows_estimated{${L}} 2000`,
      `osc_progress_ratio{${L}} 0.25`,
      `osc_copy_rate_rows_per_second{${L}} 50`,
      `osc_eta_seconds{${L}} 30`,
      `osc_elapsed_seconds{${L}} 12`,
      `osc_chunk_size_rows{${L}} 1000`,
      `osc_binlog_events_applied_total{kind="insert",${L}} 4`,
      `osc_binlog_events_applied_total{kind="update",${L}} 2`,
      `osc_binlog_events_applied_total{kind="delete",${L}} 1`,
      `osc_binlog_events_received_total{kind="insert",${L}} 0`,
      `osc_binlog_events_received_total{kind="update",${L}} 0`,
      `osc_binlog_events_received_total{kind="delete",${L}} 0`,
      `osc_replay_backlog_events{${L}} 3`,
      `osc_binlog_file_number{${L}} 3`,
      `osc_binlog_offset_bytes{${L}} 1234`,
      `osc_heartbeat_lag_seconds{${L}} 0.25`,
      `osc_replica_lag_seconds{replica="127.0.0.1:3317",${L}} 2.3`,
      `osc_replica_readable{replica="127.0.0.1:3317",${L}} 1`,
      `osc_replica_readable{replica="127.0.0.1:3318",${L}} 0`,
      `osc_throttled{${L}} 1`,
      `osc_throttle_reason{reason="lag",${L}} 1`,
      `osc_phase{phase="init",${L}} 0`,
      `osc_phase{phase="preflight",${L}} 0`,
      `osc_phase{phase="setup",${L}} 0`,
      `osc_phase{phase="copy",${L}} 1`,
      `osc_phase{phase="checksum",${L}} 0`,
      `osc_phase{phase="postponed",${L}} 0`,
      `osc_phase{phase="cutover",${L}} 0`,
      `osc_phase{phase="cleanup",${L}} 0`,
      `osc_phase{phase="done",${L}} 0`,
      `osc_phase{phase="failed",${L}} 0`,
      `osc_cutover_attempts_total{${L}} 0`,
      `osc_checksum_chunks_done{${L}} 0`,
      `osc_checksum_chunks_total{${L}} 0`,
      `osc_checksum_mismatches_total{${L}} 0`,
      `osc_checksum_repairs_total{${L}} 0`,
      `osc_checksum_snapshots_total{${L}} 0`,
    ]);
  });

  it('renders the checksum: chunks, mismatches, repairs and consistent points, its time and its lock', async () => {
    const m = createMetrics({ database: 'shop', table: 'orders' });
    const checksum = {
      chunksDone: 7,
      chunksTotal: 9,
      rowsChecked: 7000,
      mismatches: 2,
      repairs: 1,
      snapshots: 1,
      seconds: 1.5,
    };
    m.update({ ...base, phase: 'checksum', checksum: { ...checksum, lockMs: null } });
    m.update({
      ...base,
      phase: 'checksum',
      checksum: { ...checksum, mismatches: 3, repairs: 2, snapshots: 3, lockMs: 12 },
    });
    const text = await m.registry.metrics();
    expect(samples(text, 'osc_checksum_chunks_done')).toEqual([`osc_checksum_chunks_done{${L}} 7`]);
    expect(samples(text, 'osc_checksum_chunks_total')).toEqual([`osc_checksum_chunks_total{${L}} 9`]);
    expect(samples(text, 'osc_checksum_mismatches_total')).toEqual([`osc_checksum_mismatches_total{${L}} 3`]);
    expect(samples(text, 'osc_checksum_repairs_total')).toEqual([`osc_checksum_repairs_total{${L}} 2`]);
    expect(samples(text, 'osc_checksum_snapshots_total')).toEqual([`osc_checksum_snapshots_total{${L}} 3`]);
    expect(samples(text, 'osc_checksum_duration_seconds')).toEqual([`osc_checksum_duration_seconds{${L}} 1.5`]);
    expect(samples(text, 'osc_checksum_lock_seconds')).toEqual([`osc_checksum_lock_seconds{${L}} 0.012`]);
    expect(samples(text, 'osc_phase')).toContain(`osc_phase{phase="checksum",${L}} 1`);
  });

  it('advances counters by the difference, moves the phase and throttle reason, and drops what became unknown', async () => {
    const m = createMetrics({ database: 'shop', table: 'orders' });
    m.update(base);
    m.update({
      ...base,
      phase: 'cutover',
      rowsCopied: 2100,
      eventsByKind: { insert: 10, update: 2, delete: 5 },
      binlogPosition: null,
      heartbeatLagSeconds: null,
      throttleReason: 'max-load Threads_running=31>=25',
      replicaLags: [{ replica: '127.0.0.1:3318', seconds: 0.5 }],
      cutOverAttempts: 2,
      cutOverLockMs: 150,
    });
    let text = await m.registry.metrics();
    expect(samples(text, 'osc_rows_copied_total')).toEqual([`osc_rows_copied_total{${L}} 2100`]);
    expect(samples(text, 'osc_progress_ratio')).toEqual([`osc_progress_ratio{${L}} 1`]);
    expect(samples(text, 'osc_eta_seconds')).toEqual([`osc_eta_seconds{${L}} 0`]);
    expect(samples(text, 'osc_binlog_events_applied_total')).toEqual([
      `osc_binlog_events_applied_total{kind="insert",${L}} 10`,
      `osc_binlog_events_applied_total{kind="update",${L}} 2`,
      `osc_binlog_events_applied_total{kind="delete",${L}} 5`,
    ]);
    expect(samples(text, 'osc_binlog_file_number')).toEqual([]);
    expect(samples(text, 'osc_binlog_offset_bytes')).toEqual([]);
    expect(samples(text, 'osc_heartbeat_lag_seconds')).toEqual([]);
    expect(samples(text, 'osc_replica_lag_seconds')).toEqual([
      `osc_replica_lag_seconds{replica="127.0.0.1:3318",${L}} 0.5`,
    ]);
    expect(samples(text, 'osc_replica_readable')).toEqual([`osc_replica_readable{replica="127.0.0.1:3318",${L}} 1`]);
    expect(samples(text, 'osc_throttle_reason')).toEqual([`osc_throttle_reason{reason="max-load",${L}} 1`]);
    expect(samples(text, 'osc_phase').filter((l) => l.endsWith(' 1'))).toEqual([`osc_phase{phase="cutover",${L}} 1`]);
    expect(samples(text, 'osc_cutover_attempts_total')).toEqual([`osc_cutover_attempts_total{${L}} 2`]);
    expect(samples(text, 'osc_cutover_lock_seconds')).toEqual([`osc_cutover_lock_seconds{${L}} 0.15`]);

    // Released: throttled 0 and no reason; a smaller total never makes a counter go down.
    m.update({ ...base, phase: 'done', rowsCopied: 100, throttleReason: null, cutOverAttempts: 2, cutOverLockMs: 150 });
    text = await m.registry.metrics();
    expect(samples(text, 'osc_throttled')).toEqual([`osc_throttled{${L}} 0`]);
    expect(samples(text, 'osc_throttle_reason')).toEqual([]);
    expect(samples(text, 'osc_rows_copied_total')).toEqual([`osc_rows_copied_total{${L}} 2100`]);
    expect(samples(text, 'osc_cutover_attempts_total')).toEqual([`osc_cutover_attempts_total{${L}} 2`]);
    m.update({ ...base, phase: 'done', rowsCopied: 150 });
    expect(samples(await m.registry.metrics(), 'osc_rows_copied_total')).toEqual([`osc_rows_copied_total{${L}} 2150`]);
  });

  it('with a snapshot source, every scrape renders the snapshot of that moment', async () => {
    let current: ProgressSnapshot = base;
    let calls = 0;
    const m = createMetrics({
      database: 'shop',
      table: 'orders',
      snapshot: () => {
        calls++;
        return current;
      },
    });
    expect(calls).toBe(0);
    let text = await m.registry.metrics();
    expect(calls).toBe(1);
    expect(samples(text, 'osc_rows_copied_total')).toEqual([`osc_rows_copied_total{${L}} 500`]);
    expect(samples(text, 'osc_phase').filter((l) => l.endsWith(' 1'))).toEqual([`osc_phase{phase="copy",${L}} 1`]);
    current = { ...base, phase: 'postponed', rowsCopied: 2000, backlog: 9 };
    text = await m.registry.metrics();
    expect(calls).toBe(2);
    expect(samples(text, 'osc_rows_copied_total')).toEqual([`osc_rows_copied_total{${L}} 2000`]);
    expect(samples(text, 'osc_replay_backlog_events')).toEqual([`osc_replay_backlog_events{${L}} 9`]);
    expect(samples(text, 'osc_phase').filter((l) => l.endsWith(' 1'))).toEqual([`osc_phase{phase="postponed",${L}} 1`]);
  });

  it('observes chunks, cut-over attempts, errors and received events', async () => {
    const m = createMetrics({ database: 'shop', table: 'orders' });
    m.observeChunk(0.2);
    m.observeChunk(3);
    m.observeCutOver(0.4, false);
    m.observeCutOver(0.08, true);
    m.countError('CUT_OVER_FAILED');
    m.countError('CUT_OVER_FAILED');
    m.countError('REPLAY_FAILED');
    m.eventsReceived('update', 5);
    m.eventsReceived('update', 2);
    m.eventsReceived('delete', 0);
    const text = await m.registry.metrics();
    expect(samples(text, 'osc_chunk_duration_seconds')).toEqual([
      `osc_chunk_duration_seconds_bucket{le="0.005",${L}} 0`,
      `osc_chunk_duration_seconds_bucket{le="0.01",${L}} 0`,
      `osc_chunk_duration_seconds_bucket{le="0.025",${L}} 0`,
      `osc_chunk_duration_seconds_bucket{le="0.05",${L}} 0`,
      `osc_chunk_duration_seconds_bucket{le="0.1",${L}} 0`,
      `osc_chunk_duration_seconds_bucket{le="0.25",${L}} 1`,
      `osc_chunk_duration_seconds_bucket{le="0.5",${L}} 1`,
      `osc_chunk_duration_seconds_bucket{le="1",${L}} 1`,
      `osc_chunk_duration_seconds_bucket{le="2.5",${L}} 1`,
      `osc_chunk_duration_seconds_bucket{le="5",${L}} 2`,
      `osc_chunk_duration_seconds_bucket{le="10",${L}} 2`,
      `osc_chunk_duration_seconds_bucket{le="30",${L}} 2`,
      `osc_chunk_duration_seconds_bucket{le="+Inf",${L}} 2`,
      `osc_chunk_duration_seconds_sum{${L}} 3.2`,
      `osc_chunk_duration_seconds_count{${L}} 2`,
    ]);
    // (prom-client puts the default labels before a labelled histogram's own; order means nothing to Prometheus.)
    const cutover = samples(text, 'osc_cutover_duration_seconds');
    expect(cutover.filter((l) => !l.includes('_bucket'))).toEqual([
      `osc_cutover_duration_seconds_sum{${L},result="failed"} 0.4`,
      `osc_cutover_duration_seconds_count{${L},result="failed"} 1`,
      `osc_cutover_duration_seconds_sum{${L},result="ok"} 0.08`,
      `osc_cutover_duration_seconds_count{${L},result="ok"} 1`,
    ]);
    expect(cutover).toContain(`osc_cutover_duration_seconds_bucket{le="0.1",${L},result="ok"} 1`);
    expect(cutover).toContain(`osc_cutover_duration_seconds_bucket{le="0.25",${L},result="failed"} 0`);
    expect(cutover).toContain(`osc_cutover_duration_seconds_bucket{le="0.5",${L},result="failed"} 1`);
    expect(samples(text, 'osc_errors_total')).toEqual([
      `osc_errors_total{code="CUT_OVER_FAILED",${L}} 2`,
      `osc_errors_total{code="REPLAY_FAILED",${L}} 1`,
    ]);
    expect(samples(text, 'osc_binlog_events_received_total')).toEqual([
      `osc_binlog_events_received_total{kind="insert",${L}} 0`,
      `osc_binlog_events_received_total{kind="update",${L}} 7`,
      `osc_binlog_events_received_total{kind="delete",${L}} 0`,
    ]);
  });

  it('escapes label values (database and table names may hold quotes and backslashes)', async () => {
    const m = createMetrics({ database: 'we"ird', table: 'back\\slash' });
    m.update(base);
    expect(samples(await m.registry.metrics(), 'osc_rows_estimated')).toEqual([
      'osc_rows_estimated{database="we\\"ird",table="back\\\\slash"} 2000',
    ]);
  });

  it('metricNames lists every exportable sample name, histograms with their suffixes', async () => {
    const names = await metricNames(createMetrics({ database: 'd', table: 't' }).registry);
    expect(names.has('osc_rows_copied_total')).toBe(true);
    expect(names.has('osc_chunk_duration_seconds_bucket')).toBe(true);
    expect(names.has('osc_chunk_duration_seconds_sum')).toBe(true);
    expect(names.has('osc_cutover_duration_seconds_count')).toBe(true);
    expect(names.has('osc_chunk_duration_seconds')).toBe(false);
    expect(names.size).toBe(28 + 2 * 3);
  });
});

describe('pure helpers', () => {
  it('parseBinlogPosition', () => {
    expect(parseBinlogPosition('binlog.000003:1234')).toEqual({ fileNumber: 3, offset: 1234 });
    expect(parseBinlogPosition('mysql-bin.001042:4')).toEqual({ fileNumber: 1042, offset: 4 });
    expect(parseBinlogPosition('000007:99')).toEqual({ fileNumber: 7, offset: 99 });
    expect(parseBinlogPosition('binlog:1234')).toBeNull();
    expect(parseBinlogPosition('binlog.000003')).toBeNull();
    expect(parseBinlogPosition('')).toBeNull();
  });

  it('throttleCategory keeps only the kind of reason', () => {
    expect(throttleCategory('commanded by user')).toBe('user');
    expect(throttleCategory('flag-file /tmp/osc.throttle')).toBe('flag-file');
    expect(throttleCategory('lag=2.3s on 127.0.0.1:3308')).toBe('lag');
    expect(throttleCategory('replica 127.0.0.1:3308 unreadable')).toBe('lag');
    expect(throttleCategory('max-load Threads_running=31>=25')).toBe('max-load');
    expect(throttleCategory('throttle-query returned 3')).toBe('throttle-query');
    expect(throttleCategory('something new')).toBe('other');
  });

  it('progressRatio', () => {
    expect(progressRatio({ phase: 'copy', rowsCopied: 1, rowsEstimated: 4 })).toBe(0.25);
    expect(progressRatio({ phase: 'copy', rowsCopied: 9, rowsEstimated: 4 })).toBe(1);
    expect(progressRatio({ phase: 'copy', rowsCopied: 0, rowsEstimated: 0 })).toBe(0);
    expect(progressRatio({ phase: 'setup', rowsCopied: 0, rowsEstimated: 100 })).toBe(0);
    expect(progressRatio({ phase: 'postponed', rowsCopied: 10, rowsEstimated: 100 })).toBe(1);
    expect(progressRatio({ phase: 'done', rowsCopied: 0, rowsEstimated: 0 })).toBe(1);
  });
});
