// A real Prometheus for the dashboard test: Debian's prometheus binary (installed by `bash scripts/sandbox
// prometheus` when missing), started here with its own config, data directory and port, scraping the targets it is
// given; queried through the HTTP API as Grafana would.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './servers.js';

const SANDBOX = fileURLToPath(new URL('../../scripts/sandbox', import.meta.url));

/** The binary, or why there is none; under CI=true a missing Prometheus throws (never a skip). */
export async function findPrometheus(): Promise<{ bin: string } | { missing: string }> {
  const result = await new Promise<{ out: string; err: string; failed: boolean }>((resolve) => {
    execFile('bash', [SANDBOX, 'prometheus'], { timeout: 300_000 }, (err, out, errOut) =>
      resolve({ out, err: errOut, failed: err !== null }),
    );
  });
  const bin = /^OSC_TEST_PROMETHEUS=(.+)$/m.exec(result.out)?.[1];
  if (!result.failed && bin !== undefined) return { bin };
  const why = `'bash scripts/sandbox prometheus' found no Prometheus and could not install it:\n${result.err.trim()}`;
  if (process.env['CI'] === 'true') throw new Error(`osc tests (CI=true): ${why}`);
  return { missing: why };
}

export interface PromSeries {
  readonly metric: Record<string, string>;
  readonly values?: readonly [number, string][];
  readonly value?: readonly [number, string];
}

export interface RunningPrometheus {
  readonly url: string;
  /** An instant query now; throws when Prometheus rejects the expression. */
  query(expr: string): Promise<PromSeries[]>;
  /** A range query over [start, end] (seconds since the epoch); throws when Prometheus rejects the expression. */
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<PromSeries[]>;
  /** GET /api/v1/label/<name>/values?match[]=<selector> */
  labelValues(name: string, match: string): Promise<string[]>;
  stop(): Promise<void>;
  /** Prometheus' own log, for a failed expectation. */
  log(): string;
}

export interface PrometheusOptions {
  readonly bin: string;
  readonly dir: string;
  /** Scrape interval, e.g. '250ms'. */
  readonly scrapeInterval: string;
  /**
   * `host:port` of each /metrics to scrape, fixed at start: Prometheus applies changed targets at most every 5 s
   * (its discovery manager's update interval), which would cost a short test more than the whole run.
   */
  readonly targets: readonly string[];
}

export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const logFile = join(opts.dir, 'prometheus.log');
  mkdirSync(join(opts.dir, 'data'), { recursive: true });
  writeFileSync(
    join(opts.dir, 'prometheus.yml'),
    [
      'global:',
      `  scrape_interval: ${opts.scrapeInterval}`,
      `  scrape_timeout: ${opts.scrapeInterval}`,
      'scrape_configs:',
      '  - job_name: osc',
      '    static_configs:',
      `      - targets: ${JSON.stringify(opts.targets)}`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    opts.bin,
    [
      `--config.file=${join(opts.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(opts.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // The package's defaults point at /usr/share/prometheus; the test needs no web UI.
      '--web.console.templates=/nonexistent',
      '--web.console.libraries=/nonexistent',
      '--log.level=warn',
    ],
    { stdio: ['ignore', out, out] },
  );
  let exited: string | null = null;
  child.on('exit', (code, signal) => (exited = `exited (${signal ?? `code ${code}`})`));
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    if (exited !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  };
  try {
    await waitFor(
      async () => {
        if (exited !== null) throw new Error(`prometheus ${exited}:\n${log()}`);
        return (await fetch(`${url}/-/ready`)).status === 200;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: `prometheus at ${url} to be ready` },
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const api = async (path: string, params: Record<string, string>): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    const body = (await res.json()) as { status?: string; data?: unknown; error?: string; errorType?: string };
    if (body.status !== 'success')
      throw new Error(
        `prometheus ${path} ${JSON.stringify(params)}: ${body.errorType ?? res.status}: ${body.error ?? ''}`,
      );
    return body.data;
  };
  const series = (data: unknown): PromSeries[] => {
    const d = data as { resultType?: string; result?: PromSeries[] };
    if (d.resultType !== 'vector' && d.resultType !== 'matrix')
      throw new Error(`unexpected result type ${d.resultType}`);
    return d.result ?? [];
  };
  return {
    url,
    query: async (expr) => series(await api('/api/v1/query', { query: expr })),
    queryRange: async (expr, start, end, step) =>
      series(
        await api('/api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(step) }),
      ),
    labelValues: async (name, match) => {
      const res = await fetch(
        `${url}/api/v1/label/${encodeURIComponent(name)}/values?${new URLSearchParams({ 'match[]': match }).toString()}`,
      );
      const body = (await res.json()) as { status?: string; data?: string[]; error?: string };
      if (body.status !== 'success')
        throw new Error(`prometheus label values of ${name} for ${match}: ${body.error ?? res.status}`);
      return body.data ?? [];
    },
    stop,
    log,
  };
}
