// The Grafana dashboard must stay in step with the metrics: it parses, every query names only metrics
// that createMetrics' registry exports, and it uses the datasource that Grafana's provisioning creates.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics, metricNames } from '../../src/operator/metrics.js';
import {
  allPanels,
  dashboard,
  dashboardQueries,
  DOCKER_DIR,
  grafanaSubstitute,
  parseLabelValues,
} from '../support/dashboard.js';

const read = (rel: string): string => readFileSync(new URL(rel, DOCKER_DIR), 'utf8');

/** Every `osc_...` identifier in a PromQL expression. */
function oscNames(expr: string): string[] {
  return [...expr.matchAll(/\bosc_[a-zA-Z0-9_:]*/g)].map((m) => m[0]);
}

describe('docker/grafana/dashboards/osc.json', () => {
  it('parses, has a uid and a title, and panels with unique ids and a place on the grid', () => {
    expect(dashboard.uid).toBe('osc');
    expect(dashboard.title).toMatch(/osc/);
    const panels = allPanels();
    expect(panels.length).toBeGreaterThanOrEqual(10);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos, p.title).toBeDefined();
      expect((p.gridPos?.x ?? 0) + (p.gridPos?.w ?? 0), p.title).toBeLessThanOrEqual(24);
    }
  });

  it('every query names only metrics that the registry exports', async () => {
    const known = await metricNames(createMetrics({ database: 'd', table: 't' }).registry);
    const unknown: string[] = [];
    for (const q of dashboardQueries()) {
      expect(q.expr, `a query in "${q.panel}" is empty`).not.toBe('');
      const names = oscNames(q.expr);
      expect(names.length, `"${q.panel}": ${q.expr} names no osc metric`).toBeGreaterThan(0);
      for (const n of names) if (!known.has(n)) unknown.push(`${q.panel}: ${n}`);
    }
    expect(unknown).toEqual([]);
  });

  it('shows progress, rates, lag, backlog, throttle, phase, checksum, cut-over and errors', () => {
    const used = new Set(dashboardQueries().flatMap((q) => oscNames(q.expr)));
    for (const name of [
      'osc_progress_ratio',
      'osc_rows_copied_total',
      'osc_rows_estimated',
      'osc_copy_rate_rows_per_second',
      'osc_replica_lag_seconds',
      'osc_heartbeat_lag_seconds',
      'osc_replay_backlog_events',
      'osc_binlog_events_applied_total',
      'osc_throttled',
      'osc_throttle_reason',
      'osc_phase',
      'osc_cutover_attempts_total',
      'osc_cutover_duration_seconds_count',
      'osc_chunk_duration_seconds_bucket',
      'osc_errors_total',
      'osc_checksum_chunks_done',
      'osc_checksum_repairs_total',
      'osc_checksum_lock_seconds',
    ]) {
      expect(used.has(name), name).toBe(true);
    }
  });

  it("every panel and query uses the provisioned Prometheus datasource's uid", () => {
    const provisioned = read('grafana/provisioning/datasources/prometheus.yml');
    const uid = /^\s*uid:\s*(\S+)\s*$/m.exec(provisioned)?.[1];
    expect(uid).toBe('osc-prometheus');
    for (const p of allPanels()) {
      if (p.targets === undefined) continue;
      expect(p.datasource?.uid, p.title).toBe(uid);
      for (const t of p.targets) expect(t.datasource?.uid ?? uid, p.title).toBe(uid);
    }
  });

  it('the dashboard provider loads the folder compose mounts, and Prometheus scrapes /metrics', () => {
    expect(read('grafana/provisioning/dashboards/osc.yml')).toMatch(/^\s*path:\s*\/var\/lib\/grafana\/dashboards\s*$/m);
    const compose = read('compose.yml');
    expect(compose).toContain('./grafana/dashboards:/var/lib/grafana/dashboards:ro');
    expect(compose).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(compose).toContain('./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    const prometheus = read('prometheus/prometheus.yml');
    expect(prometheus).toMatch(/metrics_path:\s*\/metrics/);
    expect(prometheus).toMatch(/targets:\s*\["host\.docker\.internal:9466"\]/);
  });
});

describe('Grafana substitution (for test/integration/dashboard-prometheus.test.ts)', () => {
  const ctx = { variables: { database: 'shop', table: '.*' }, interval: '250ms', rateInterval: '1s', range: '10s' };
  it('replaces $name, ${name}, [[name]] and the $__ intervals as Grafana does', () => {
    expect(
      grafanaSubstitute('rate(osc_rows_copied_total{database=~"$database",table=~"${table}"}[$__rate_interval])', ctx),
    ).toBe('rate(osc_rows_copied_total{database=~"shop",table=~".*"}[1s])');
    expect(grafanaSubstitute('increase(x{d="[[database]]"}[$__range]) / $__interval', ctx)).toBe(
      'increase(x{d="shop"}[10s]) / 250ms',
    );
  });
  it('refuses a variable it has no value for', () => {
    expect(() => grafanaSubstitute('x{a="$nope"}', ctx)).toThrow(/no value for \$nope/);
  });
  it('reads label_values(selector, label)', () => {
    expect(parseLabelValues('label_values(osc_phase{database=~"$database"}, table)')).toEqual({
      selector: 'osc_phase{database=~"$database"}',
      label: 'table',
    });
    expect(parseLabelValues('osc_phase')).toBeNull();
  });
});
