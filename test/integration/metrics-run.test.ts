// End to end: /metrics scraped while a real migration runs through main() parses as Prometheus text,
// names the table, and its counters rise; when main() returns, the endpoint is gone.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { exactConnection, quoteId } from '../support/load.js';
import { parsePrometheusText, sampleSum, sampleValue } from '../support/prom-text.js';
import type { Sample } from '../support/prom-text.js';
import { explainRun, migrationUser, oscArgv, runOsc } from '../support/run-osc.js';
import { freePort, testServer, uniqueServerId, waitFor } from '../support/servers.js';

const DB = 'osc_t_metrics_run';
const TABLE = 'orders';
const ROWS = 30_000;

let admin: Connection;

async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(await res.text());
}

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await admin.query(`CREATE DATABASE ${quoteId(DB)} DEFAULT CHARACTER SET utf8mb4`);
  await admin.query(`CREATE TABLE ${quoteId(DB)}.${quoteId(TABLE)} (
    id INT NOT NULL PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    qty INT NOT NULL
  ) ENGINE=InnoDB`);
  for (let start = 1; start <= ROWS; start += 1000) {
    const ids = Array.from({ length: Math.min(1000, ROWS - start + 1) }, (_, i) => start + i);
    await admin.query(
      `INSERT INTO ${quoteId(DB)}.${quoteId(TABLE)} (id, name, qty) VALUES ${ids.map(() => '(?, ?, ?)').join(', ')}`,
      ids.flatMap((id) => [id, `name ${id % 50}`, id * 3]),
    );
  }
});

afterAll(async () => {
  await admin?.end();
});

test('/metrics scraped during a run parses as Prometheus text and its counters rise', async () => {
  const mig = await migrationUser(admin, testServer().primary, DB);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  const tag = `${process.pid}.${Date.now()}`;
  const run = runOsc(
    oscArgv(mig, DB, TABLE, [
      '--alter',
      'ADD COLUMN note VARCHAR(32) NULL',
      '--execute',
      '--chunk-size',
      '100',
      // Sleep 3x each chunk's time after it: a 30k-row copy then lasts a few seconds even on a fast machine.
      '--nice-ratio',
      '3',
      '--replica-server-id',
      String(uniqueServerId()),
      '--metrics-address',
      `127.0.0.1:${port}`,
      // This run's own control socket and shared flag file, so no other run can steer it.
      '--serve-socket-file',
      `/tmp/osc-metrics-run.${tag}.sock`,
      '--throttle-additional-flag-file',
      `/tmp/osc-metrics-run.${tag}.throttle`,
    ]),
  );
  let finished = false;
  void run.then(() => {
    finished = true;
  });
  /** Scrapes until `ok` holds; fails at once (with osc's output) when osc returns first. */
  const scrapeWhileRunning = async (ok: (s: Sample[]) => boolean, what: string): Promise<Sample[]> => {
    const found = await waitFor(
      async () => {
        if (finished) return 'finished' as const;
        const s = await scrape(url);
        return ok(s) ? s : null;
      },
      { timeoutMs: 60_000, intervalMs: 25, message: `/metrics with ${what}` },
    );
    if (found === 'finished') throw new Error(`osc returned before /metrics showed ${what}:\n${explainRun(await run)}`);
    return found;
  };

  // First a scrape that shows copying under way, then a later one with more rows copied.
  const first = await scrapeWhileRunning((s) => sampleValue(s, 'osc_rows_copied_total') > 0, 'rows copied');
  const firstCopied = sampleValue(first, 'osc_rows_copied_total');
  const second = await scrapeWhileRunning(
    (s) => sampleValue(s, 'osc_rows_copied_total') > firstCopied,
    'more rows copied than before',
  );

  for (const scraped of [first, second]) {
    for (const s of scraped) expect(s.labels, s.name).toMatchObject({ database: DB, table: TABLE });
    expect(sampleValue(scraped, 'osc_rows_estimated')).toBeGreaterThan(0);
    expect(sampleSum(scraped, 'osc_phase')).toBe(1);
    const ratio = sampleValue(scraped, 'osc_progress_ratio');
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThanOrEqual(1);
    expect(sampleValue(scraped, 'osc_chunk_size_rows')).toBeGreaterThan(0);
  }
  expect(sampleValue(second, 'osc_rows_copied_total')).toBeGreaterThan(firstCopied);
  expect(sampleValue(second, 'osc_chunk_duration_seconds_count')).toBeGreaterThanOrEqual(
    sampleValue(first, 'osc_chunk_duration_seconds_count'),
  );
  expect(sampleValue(second, 'osc_chunk_duration_seconds_count')).toBeGreaterThan(0);

  const result = await run;
  expect(result.code, explainRun(result)).toBe(0);
  // The endpoint lives as long as the migration: afterwards the port is closed.
  await expect(fetch(url)).rejects.toThrow();

  const [rows] = await admin.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${quoteId(DB)}.${quoteId(TABLE)}`);
  expect(Number(rows[0]?.['n'])).toBe(ROWS);
  const [cols] = await admin.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [DB, TABLE],
  );
  expect(cols.map((c) => String(c['c']))).toEqual(['id', 'name', 'qty', 'note']);
});
