// npm run bench [-- --flavor mariadb|mysql] [--rows N] [--chunk-size N]: copy speed and memory, as figures.
// Seeds bench.orders server-side, times one plain `INSERT INTO copy SELECT` as the floor, then migrates the same
// table with osc (no write load) and prints rows/s, the cut-over lock time and osc's peak memory. Speed targets
// are checked here, never by a timed unit test.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exactConnection, quoteId } from '../test/support/load.js';
import { oscArgv, runOsc } from '../test/support/run-osc.js';

const DATABASE = 'bench';
const ALTER = "ADD COLUMN shipping_status VARCHAR(50) NOT NULL DEFAULT 'pending'";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}

async function main(): Promise<void> {
  const flavor = arg('flavor', process.env['OSC_SANDBOX_FLAVOR'] ?? 'mariadb');
  const rows = Number(arg('rows', '500000'));
  const chunkSize = arg('chunk-size', '1000');
  const sandbox = fileURLToPath(new URL('./sandbox', import.meta.url));
  const env = execFileSync('bash', [sandbox, 'start', '--flavor', flavor], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const dsn = /OSC_TEST_DSN=(\S+)/.exec(env)?.[1];
  if (!dsn) throw new Error('the sandbox printed no OSC_TEST_DSN');
  const u = new URL(dsn);
  const endpoint = { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  const admin = await exactConnection(endpoint);
  const t = `${quoteId(DATABASE)}.${quoteId('orders')}`;
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DATABASE)}`);
  await admin.query(`CREATE DATABASE ${quoteId(DATABASE)}`);
  await admin.query(`CREATE TABLE ${t} (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, customer_id INT UNSIGNED NOT NULL,
    amount DECIMAL(10,2) NOT NULL, note VARCHAR(100) NULL, created_at DATETIME(6) NOT NULL, KEY (customer_id)) ENGINE=InnoDB`);
  const seeded = Date.now();
  // Server-side rows: a recursive CTE works on both flavours.
  await admin.query('SET SESSION cte_max_recursion_depth = 100000000').catch(() => undefined);
  await admin.query('SET SESSION max_recursive_iterations = 100000000').catch(() => undefined);
  await admin.query(
    `INSERT INTO ${t} WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?)
     SELECT n, n % 5000, (n % 100000) / 100, CONCAT('order ', n), '2026-01-01 00:00:00.000001' FROM s`,
    [rows],
  );
  say(`seeded ${rows} rows in ${((Date.now() - seeded) / 1000).toFixed(1)} s (${flavor})`);

  const floorTable = `${quoteId(DATABASE)}.${quoteId('floor')}`;
  await admin.query(`CREATE TABLE ${floorTable} LIKE ${t}`);
  await admin.query(`ALTER TABLE ${floorTable} ${ALTER}`);
  const floorStart = Date.now();
  await admin.query(`INSERT INTO ${floorTable} (id, customer_id, amount, note, created_at) SELECT id, customer_id, amount, note, created_at FROM ${t}`);
  const floorSeconds = (Date.now() - floorStart) / 1000;

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const started = Date.now();
  const run = await runOsc(
    oscArgv(endpoint, DATABASE, 'orders', ['--alter', ALTER, '--execute', '--chunk-size', chunkSize, '--ok-to-drop-table', '--replica-server-id', '98765']),
  );
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  await admin.end();
  if (run.code !== 0) throw new Error(`osc exited ${run.code}:\n${run.stderr.slice(-2000)}`);
  const copySeconds = Number(/copy_done rows=\d+ seconds=([\d.]+)/.exec(run.stderr)?.[1] ?? NaN);
  const lockMs = /lock_ms=(\d+)/.exec(run.stderr)?.[1] ?? '?';
  say(`one INSERT ... SELECT (the floor): ${floorSeconds.toFixed(1)} s, ${Math.round(rows / floorSeconds)} rows/s`);
  say(`osc --chunk-size ${chunkSize}: copy ${copySeconds.toFixed(1)} s, ${Math.round(rows / copySeconds)} rows/s; whole run ${seconds.toFixed(1)} s`);
  say(`cut-over lock: ${lockMs} ms; osc peak RSS: ${Math.round(peakRss / 1024 / 1024)} MiB`);
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
