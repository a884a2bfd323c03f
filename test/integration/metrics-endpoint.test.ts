// The /metrics endpoint over real HTTP: port 0, Prometheus text that parses, counters that rise
// between two snapshots, the hint and error routes, a taken port refused, close() with a live keep-alive.
import { connect } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { PreflightError } from '../../src/core/errors.js';
import type { ProgressSnapshot } from '../../src/core/progress.js';
import { createMetrics, serveMetrics } from '../../src/operator/metrics.js';
import type { MetricsServer } from '../../src/operator/metrics.js';
import { parsePrometheusText, sampleSum, sampleValue } from '../support/prom-text.js';
import { waitFor } from '../support/servers.js';

const snapshot: ProgressSnapshot = {
  phase: 'copy',
  database: 'shop',
  table: 'orders',
  rowsCopied: 1000,
  rowsEstimated: 30000,
  elapsedSeconds: 3,
  copySeconds: 2,
  eventsApplied: 3,
  backlog: 1,
  binlogPosition: 'binlog.000002:4567',
  heartbeatLagSeconds: 0.1,
  throttleReason: null,
  cutOverAttempts: 0,
  eventsByKind: { insert: 2, update: 1, delete: 0 },
  replicaLags: [{ replica: '127.0.0.1:3317', seconds: 0.2 }],
  chunkSize: 100,
  cutOverLockMs: null,
  checksum: null,
};

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(metrics = createMetrics({ database: 'shop', table: 'orders' }), port = 0): Promise<MetricsServer> {
  const s = await serveMetrics(metrics.registry, { host: '127.0.0.1', port });
  servers.push(s);
  return s;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

describe('serveMetrics', () => {
  test('serves Prometheus text on a free port, and the counters rise between snapshots', async () => {
    const metrics = createMetrics({ database: 'shop', table: 'orders' });
    const server = await serve(metrics);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(portOf(server.url)).toBeGreaterThan(0);

    metrics.update(snapshot);
    metrics.observeChunk(0.05);
    const first = await fetch(server.url);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const a = parsePrometheusText(await first.text());
    for (const s of a) expect(s.labels).toMatchObject({ database: 'shop', table: 'orders' });
    expect(sampleValue(a, 'osc_rows_copied_total')).toBe(1000);
    expect(sampleValue(a, 'osc_phase', { phase: 'copy' })).toBe(1);
    expect(sampleValue(a, 'osc_replica_lag_seconds', { replica: '127.0.0.1:3317' })).toBe(0.2);
    expect(sampleValue(a, 'osc_chunk_duration_seconds_count')).toBe(1);

    metrics.update({
      ...snapshot,
      rowsCopied: 2500,
      eventsByKind: { insert: 5, update: 1, delete: 4 },
      throttleReason: 'flag-file /tmp/x',
    });
    metrics.observeChunk(0.07);
    const b = parsePrometheusText(await (await fetch(server.url)).text());
    expect(sampleValue(b, 'osc_rows_copied_total')).toBe(2500);
    expect(sampleSum(b, 'osc_binlog_events_applied_total')).toBeGreaterThan(
      sampleSum(a, 'osc_binlog_events_applied_total'),
    );
    expect(sampleValue(b, 'osc_binlog_events_applied_total', { kind: 'delete' })).toBe(4);
    expect(sampleValue(b, 'osc_chunk_duration_seconds_count')).toBe(2);
    expect(sampleValue(b, 'osc_throttled')).toBe(1);
    expect(sampleValue(b, 'osc_throttle_reason', { reason: 'flag-file' })).toBe(1);
  });

  test('GET / gives a hint, other paths 404, other methods 405; HEAD /metrics has no body', async () => {
    const server = await serve();
    const root = new URL('/', server.url).href;
    const hint = await fetch(root);
    expect(hint.status).toBe(200);
    expect(await hint.text()).toBe('osc: Prometheus metrics at /metrics\n');
    const missing = await fetch(new URL('/nope', server.url));
    expect(missing.status).toBe(404);
    await missing.text();
    const post = await fetch(server.url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.text();
    const head = await fetch(server.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const query = await fetch(`${server.url}?name[]=osc_phase`);
    expect(query.status).toBe(200);
    expect(parsePrometheusText(await query.text()).length).toBeGreaterThan(0);
  });

  test('a taken port is a PreflightError that says what to do; once freed it can be served again', async () => {
    const first = await serve();
    const port = portOf(first.url);
    const err: unknown = await serveMetrics(createMetrics({ database: 'd', table: 't' }).registry, {
      host: '127.0.0.1',
      port,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PreflightError);
    expect((err as PreflightError).code).toBe('ALREADY_RUNNING');
    expect((err as PreflightError).message).toBe(
      `metrics address 127.0.0.1:${port} is already in use (another osc run?); choose another with --metrics-address HOST:PORT, or turn it off with --metrics-address off`,
    );
    expect(((err as PreflightError).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');

    await servers.splice(0, 1)[0]?.close();
    const again = await serve(undefined, port);
    expect(portOf(again.url)).toBe(port);
    expect((await fetch(again.url)).status).toBe(200);
  });

  test('close() returns at once even while a scraper keeps its connection open', async () => {
    const server = await serve();
    // A raw HTTP/1.1 client: after the response the connection stays open (keep-alive) until someone closes it.
    const socket = connect(portOf(server.url), '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('utf8');
    });
    socket.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await waitFor(() => received.includes('osc_phase{'), { message: 'a response on the raw connection' });
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received.toLowerCase()).toContain('connection: keep-alive');

    const started = Date.now();
    await servers.splice(0, 1)[0]?.close();
    await closed;
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(fetch(server.url)).rejects.toThrow();
  });
});
