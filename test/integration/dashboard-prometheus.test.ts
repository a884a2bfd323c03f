// The Grafana dashboard on a real Prometheus (Debian's 2.42, started here on its own port and data directory,
// scraping every 250 ms): two osc runs at once, one refused at the start (the error counter) and one under a write
// load that is throttled, copies, cuts over and succeeds; then every query of docker/grafana/dashboards/osc.json,
// with Grafana's variables substituted, must parse and return a series with a number over the runs. Hooks hold
// each run at its end until Prometheus has scraped it there twice, so nothing depends on timing. About 5 s of the
// test's time is Prometheus itself: it starts scraping new targets on a 5 s tick.
// Without a prometheus binary (and no root to install one) the test is skipped, except under CI=true: it fails.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dashboardQueries, grafanaSubstitute, parseLabelValues } from '../support/dashboard.js';
import { exactConnection, LoadGenerator, quoteId } from '../support/load.js';
import { findPrometheus, startPrometheus } from '../support/prometheus.js';
import type { PromSeries, RunningPrometheus } from '../support/prometheus.js';
import { dropUser, explainRun, MIGRATION_USER, migrationUser, oscArgv, RUN_TAG, runOsc } from '../support/run-osc.js';
import { freePort, testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';

const SCRAPE = '250ms';
/** Grafana's $__rate_interval for that scrape interval: max($__interval + scrape, 4 x scrape). */
const RATE_INTERVAL = '1s';
const ROWS = 3_000;
const LONG = 60_000;

const found = await findPrometheus();
if ('missing' in found) console.warn(`dashboard-prometheus: skipped (CI=true would fail): ${found.missing}`);

describe.skipIf('missing' in found)('docker/grafana/dashboards/osc.json on a real Prometheus', () => {
  let prom: RunningPrometheus;
  let admin: Connection;
  let dir: string;
  // The /metrics ports of the two runs, known to Prometheus from its start.
  let failingPort: number;
  let migratingPort: number;

  beforeAll(async () => {
    if (!('bin' in found)) return;
    dir = mkdtempSync(join(tmpdir(), 'osc-dash-'));
    admin = await exactConnection(testServer().primary);
    failingPort = await freePort();
    migratingPort = await freePort();
    prom = await startPrometheus({
      bin: found.bin,
      dir,
      scrapeInterval: SCRAPE,
      targets: [`127.0.0.1:${failingPort}`, `127.0.0.1:${migratingPort}`],
    });
  });

  afterAll(async () => {
    // Whatever happened, no hook may keep waiting.
    if (dir !== undefined) for (const f of ['release-success', 'release-failure']) writeFileSync(join(dir, f), '');
    await prom?.stop();
    if (admin !== undefined) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteId(database)}`);
      await dropUser(admin, MIGRATION_USER);
      await admin.end();
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves once the instant query returns a series, i.e. Prometheus has scraped what it asks for. */
  const scraped = (expr: string, what: string): Promise<PromSeries[]> =>
    waitFor(
      async () => {
        const s = await prom.query(expr);
        return s.length > 0 ? s : null;
      },
      { timeoutMs: LONG, intervalMs: 100, message: `Prometheus to have scraped ${what} (${expr})` },
    );

  const database = `osc_t_dash_${RUN_TAG}`;

  test('every query parses and returns a series while osc migrates under load', async () => {
    const sel = `database="${database}"`;
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, ORDERS_CREATE, 't', ordersModel(), ROWS);

    // osc-on-success / osc-on-failure wait (30 s at most) for the test's release file: the endpoint lives as long
    // as osc does, so the cut-over and error series stay scrapeable until Prometheus has them.
    const hooks = join(dir, 'hooks');
    mkdirSync(hooks);
    for (const hook of ['success', 'failure']) {
      const path = join(hooks, `osc-on-${hook}`);
      writeFileSync(
        path,
        `#!/bin/sh\ni=0\nwhile [ ! -e '${join(dir, `release-${hook}`)}' ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done\n`,
      );
      chmodSync(path, 0o755);
    }
    const release = (hook: string) => writeFileSync(join(dir, `release-${hook}`), '');
    const start = Date.now() / 1000;

    // Both runs at once: Prometheus scrapes its first targets only about 5 s after it starts (its scrape manager
    // applies targets on a 5 s tick), so the waits below overlap that instead of adding to it.
    // 1. A run refused at once (no such table): osc_errors_total{code} and phase `failed`.
    const mig = await migrationUser(admin, testServer().primary, database);
    const refused = (async () => {
      const run = runOsc(
        oscArgv(mig, database, 'no_such_table', [
          '--alter',
          'ADD COLUMN c INT',
          '--execute',
          '--metrics-address',
          `127.0.0.1:${failingPort}`,
          '--hooks-path',
          hooks,
          '--serve-socket-file',
          join(dir, 'refused.sock'),
          '--replica-server-id',
          String(uniqueServerId()),
        ]),
      );
      try {
        await scraped(`count_over_time(osc_errors_total{${sel}}[1m]) >= 2`, "the refused run's error twice");
      } finally {
        release('failure');
      }
      return run;
    })().then(
      (run) => ({ run }),
      (err: unknown) => ({ err }),
    );

    // 2. A migration under a write load: throttled by a flag file until Prometheus has seen the reason, then copy,
    // cut-over and success, held there until the cut-over series were scraped twice. (Whether the data arrived
    // intact is the scenario tests' business; here only the metrics count.)
    const flag = join(dir, 'throttle.flag');
    writeFileSync(flag, '');
    const load = new LoadGenerator({
      endpoint: testServer().primary,
      database,
      table: 't',
      model: ordersModel(),
      seededRows: ROWS,
    }).start();
    const migrating = runOsc(
      oscArgv(mig, database, 't', [
        '--alter',
        ORDERS_ALTER,
        '--execute',
        // A few chunks. However fast the copy, Prometheus scrapes before it (throttled) and after it (held below), so
        // every rate() over the dashboard's interval sees it.
        '--chunk-size',
        '500',
        // The lag panels need a throttle-control replica. The shared sandbox replica may be far behind other runs'
        // writes (a minute, measured while other suites ran), and osc holds the copy until it has the changelog;
        // the primary read as a "replica" has it at once and gives the same series (lag measurement is
        // test/integration/throttler.test.ts's business).
        '--throttle-control-replicas',
        `${testServer().primary.host}:${testServer().primary.port}`,
        '--metrics-address',
        `127.0.0.1:${migratingPort}`,
        '--throttle-flag-file',
        flag,
        '--hooks-path',
        hooks,
        '--serve-socket-file',
        join(dir, 'migrating.sock'),
        '--replica-server-id',
        String(uniqueServerId()),
      ]),
    );
    try {
      await scraped(`osc_throttle_reason{${sel},table="t",reason="flag-file"} == 1`, 'the throttle reason');
      unlinkSync(flag);
      await scraped(`count_over_time(osc_cutover_lock_seconds{${sel},table="t"}[1m]) >= 2`, 'the cut-over twice');
    } finally {
      if (existsSync(flag)) unlinkSync(flag);
      release('success');
    }
    const migrated = await migrating;
    const end = Date.now() / 1000;
    const writes = await load.stop();
    expect(migrated.code, explainRun(migrated)).toBe(0);
    expect(writes.writes.length, 'writes while osc ran').toBeGreaterThan(0);
    const refusal = await refused;
    if ('err' in refusal) throw refusal.err;
    expect(refusal.run.code, explainRun(refusal.run)).toBe(2);

    // 3. Every query as Grafana sends it, over the whole time of both runs: it parses and returns a series with a
    // number; the panels of one-off events (a refusal, a cut-over, a throttle) show them, not a flat 0.
    const ctx = {
      variables: { database, table: '.*' },
      interval: SCRAPE,
      rateInterval: RATE_INTERVAL,
      range: `${Math.ceil(end - start)}s`,
    };
    const showsEvent = new Set(['Errors', 'Cut-over', 'Cut-over attempts', 'Throttled', 'Throttle reason']);
    const problems: string[] = [];
    for (const q of dashboardQueries()) {
      const expr = grafanaSubstitute(q.expr, ctx);
      try {
        const lv = parseLabelValues(expr);
        if (lv !== null) {
          // Grafana answers label_values(selector, label) from the series API.
          const values = await prom.labelValues(lv.label, lv.selector);
          const want = lv.label === 'database' ? database : 't';
          if (!values.includes(want)) problems.push(`${q.panel}: ${expr} lists ${JSON.stringify(values)}, not ${want}`);
          continue;
        }
        const series = await prom.queryRange(expr, start, end, 0.25);
        const numbers = series
          .flatMap((s) => (s.values ?? []).map(([, v]) => Number(v)))
          .filter((v) => Number.isFinite(v));
        if (series.length === 0) problems.push(`${q.panel}: ${expr} returned no series`);
        else if (numbers.length === 0) problems.push(`${q.panel}: ${expr} returned only NaN/Inf`);
        else if (showsEvent.has(q.panel) && Math.max(...numbers) < 1)
          problems.push(`${q.panel}: ${expr} never reached 1`);
      } catch (err) {
        problems.push(`${q.panel}: ${expr}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    expect(problems, `Prometheus log:\n${prom.log()}`).toEqual([]);
  });
});
