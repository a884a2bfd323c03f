// npm run bench [-- options]: osc against the single-statement floor and pt-online-schema-change, in one run, on
// the sandbox's primary, idle and under a write load from a separate process; every result verified row by row.
//
//   --flavor mariadb|mysql   sandbox flavour (default $OSC_SANDBOX_FLAVOR, else mariadb)
//   --rows N                 rows of the table for the comparison (default 2000000)
//   --scale N,N|none         extra sizes osc alone migrates idle, for time and memory growth (default 1000000,4000000)
//   --rate N                 writes per second of the load, all writers together (default 500)
//   --writers N              writer connections of the load (default 4)
//   --tools LIST             of floor,osc,pt-osc (default all three)
//   --loads LIST             of idle,writes (default both)
//   --chunk-size N           passed to osc (default: osc's own)
//   --osc-args "ARGS"        more flags for osc's timed runs, split at spaces (e.g. "--threads 2 --chunk-time 0.5")
//   --repeat N               runs of each tool and load, taken in turns; the table shows medians (default 1)
//   --burst N|none           one UPDATE of the rows with id <= N while osc's cut-over is postponed: replay's events/s
//                            (default 100000)
//   --sandbox private|shared private (default): a sandbox of the bench's own in /tmp/osc-bench, its replica
//                            detached, so that the primary has no replica (as the issue's figures were measured) and
//                            the tests' shared sandbox is left alone; shared: the usual sandbox, replica attached
//   --checksum on|off|both   osc with its checksum before the swap (on, the default), with --skip-checksum (off,
//                            shown as osc-nocheck), or both, one after the other
//   --buffer-pool MB         the private sandbox's InnoDB buffer pool (default 2048: the largest --scale table, its
//                            copy and its ghost stay in memory, as on a production server sized for its data;
//                            with the sandbox's usual 256 MB the single statement itself took 4.47x from 1M to 4M
//                            rows on MySQL, which measures the disk, not the tools); the shared sandbox is left as is
//   --out FILE               the results as JSON (default bench-results/<flavor>-<rows>-<time>.json)
//
// Times are wall-clock seconds of the whole tool run (osc: preflight to cleanup; pt-osc likewise), so they compare
// like for like; osc's copy phase is shown beside it. osc runs built (npm run build), as users run it.
// Peak RSS is the tool process's VmHWM. Speed targets are
// checked here, never by a timed test. The machine is shared: compare ratios within one run, not absolute times.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { exactConnection, qualified, quoteId, type Endpoint } from '../test/support/load.js';
import { parseStatus, socketCommand } from '../test/support/operator.js';
import { oscArgv } from '../test/support/run-osc.js';
import { TABLE, type LoadArgs, type LoadOutput } from './bench-load.js';
import { judgeTargets, renderTargets } from './bench-targets.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const ALTER = "ADD COLUMN shipping_status VARCHAR(50) NOT NULL DEFAULT 'pending'";
const COLUMNS = ['id', 'customer_id', 'amount', 'note', 'created_at'];
/** The table every run starts from; loaded runs' writes are replayed onto it, so it stays the expectation. */
const PRISTINE = 'pristine';
const OSC_BUILT = join(ROOT, 'dist', 'bin', 'osc.js');
const SEED_SLICE = 500_000;
const TABLE_NAME = 'orders';

type Tool = 'floor' | 'osc' | 'osc-nocheck' | 'pt-osc';
type Load = 'idle' | 'writes';

interface Options {
  readonly flavor: string;
  readonly rows: number;
  readonly scale: readonly number[];
  readonly rate: number;
  readonly writers: number;
  readonly tools: readonly Tool[];
  readonly loads: readonly Load[];
  readonly chunkSize: string | null;
  readonly oscArgs: readonly string[];
  readonly repeat: number;
  readonly burst: number | null;
  readonly sandbox: 'private' | 'shared';
  readonly bufferPoolMiB: number;
  /** osc's runs: with the checksum (osc), with --skip-checksum (osc-nocheck), or both. */
  readonly oscRuns: readonly ('osc' | 'osc-nocheck')[];
  readonly out: string;
}

interface Latency {
  readonly writes: number;
  readonly failed: number;
  /** Failed writes by server error number. */
  readonly failures: Readonly<Record<string, number>>;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** osc: the slowest write in flight while the cut-over ran (its first attempt to its swap), the stall it caused. */
  readonly cutOverMax: number | null;
}

interface RunResult {
  readonly tool: Tool;
  readonly load: Load;
  /** The size asked for (--rows or --scale); rows is what the table held when the run started. */
  readonly size: number;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** osc: its copy phase and the row events it replayed, the writes its cut-over blocked. */
  readonly copySeconds: number | null;
  readonly eventsApplied: number | null;
  readonly lockMs: number | null;
  /** osc: its checksum's time and the longest its consistent point blocked writes (null with --skip-checksum). */
  readonly checksumSeconds: number | null;
  readonly snapshotLockMs: number | null;
  readonly peakRssMiB: number | null;
  readonly latency: Latency | null;
  readonly verified: boolean;
  readonly verification: string;
  /** Which of --repeat's runs (1-based); absent on a median row. */
  readonly run?: number;
  /** On a median row: how many runs it is the median of. */
  readonly runs?: number;
}

interface Burst {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** The same rows replaced by the server alone, in replay's statements from one client session. */
  readonly floorRowsPerSecond: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback;
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return n;
}

function list<T extends string>(name: string, text: string, allowed: readonly T[]): T[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of items)
    if (!allowed.includes(s as T)) throw new Error(`--${name}: unknown ${s}; expected ${allowed.join(', ')}`);
  return items as T[];
}

function options(): Options {
  const flavor = arg('flavor', process.env['OSC_SANDBOX_FLAVOR'] ?? 'mariadb');
  const rows = positive('rows', arg('rows', '2000000'));
  const scaleText = arg('scale', '1000000,4000000');
  const scale = scaleText === 'none' ? [] : scaleText.split(',').map((s) => positive('scale', s.trim()));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    flavor,
    rows,
    scale,
    rate: positive('rate', arg('rate', '500')),
    writers: positive('writers', arg('writers', '4')),
    tools: list('tools', arg('tools', 'floor,osc,pt-osc'), ['floor', 'osc', 'pt-osc']),
    loads: list('loads', arg('loads', 'idle,writes'), ['idle', 'writes']),
    chunkSize: process.argv.includes('--chunk-size') ? String(positive('chunk-size', arg('chunk-size', ''))) : null,
    oscArgs: arg('osc-args', '')
      .split(' ')
      .filter((a) => a !== ''),
    repeat: positive('repeat', arg('repeat', '1')),
    burst: arg('burst', '100000') === 'none' ? null : positive('burst', arg('burst', '100000')),
    sandbox: list('sandbox', arg('sandbox', 'private'), ['private', 'shared'])[0] ?? 'private',
    bufferPoolMiB: positive('buffer-pool', arg('buffer-pool', '2048')),
    oscRuns: (() => {
      const mode = list('checksum', arg('checksum', 'on'), ['on', 'off', 'both'])[0] ?? 'on';
      return mode === 'both' ? ['osc', 'osc-nocheck'] : mode === 'off' ? ['osc-nocheck'] : ['osc'];
    })(),
    out: arg('out', join(ROOT, 'bench-results', `${flavor}-${rows}-${stamp}.json`)),
  };
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Server-side rows: a recursive CTE works on both flavours. */
async function seed(admin: Connection, db: string, rows: number): Promise<void> {
  const t = qualified(db, PRISTINE);
  await admin.query(`DROP TABLE IF EXISTS ${t}`);
  await admin.query(`CREATE TABLE ${t} (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, customer_id INT UNSIGNED NOT NULL,
    amount DECIMAL(10,2) NOT NULL, note VARCHAR(100) NULL, created_at DATETIME(6) NOT NULL, KEY (customer_id)) ENGINE=InnoDB`);
  await admin.query('SET SESSION cte_max_recursion_depth = 100000000').catch(() => undefined);
  await admin.query('SET SESSION max_recursive_iterations = 100000000').catch(() => undefined);
  // In slices: one CTE of millions of rows spills a temporary table of that size to disk.
  for (let from = 1; from <= rows; from += SEED_SLICE) {
    await admin.query(
      `INSERT INTO ${t} WITH RECURSIVE s(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM s WHERE n < ?)
       SELECT n, n % 5000, (n % 100000) / 100, CONCAT('order ', n), '2026-01-01 00:00:00.000001' FROM s`,
      [from, Math.min(rows, from + SEED_SLICE - 1)],
    );
  }
}

/** A fresh `orders` from the pristine table (not timed). */
async function prepare(admin: Connection, db: string): Promise<number> {
  const [tables] = await admin.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> ?',
    [db, PRISTINE],
  );
  for (const r of tables) await admin.query(`DROP TABLE IF EXISTS ${qualified(db, String(r['t']))}`);
  await admin.query(`CREATE TABLE ${qualified(db, TABLE_NAME)} LIKE ${qualified(db, PRISTINE)}`);
  await admin.query(`INSERT INTO ${qualified(db, TABLE_NAME)} SELECT * FROM ${qualified(db, PRISTINE)}`);
  const [[row]] = await admin.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${qualified(db, TABLE_NAME)}`);
  return Number(row?.['n'] ?? 0);
}

/**
 * Row by row, on the server: `table` holds exactly the pristine table's rows (every column byte for byte, as
 * CAST(... AS BINARY) prints it) plus the new column at its default, and nothing else.
 */
async function verify(admin: Connection, db: string, table: string): Promise<{ ok: boolean; text: string }> {
  const [cols] = await admin.query<RowDataPacket[]>(
    'SELECT COLUMN_TYPE AS t, IS_NULLABLE AS n, COLUMN_DEFAULT AS d FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?',
    [db, table, 'shipping_status'],
  );
  const c = cols[0];
  const dflt = String(c?.['d'] ?? '').replace(/^'(.*)'$/, '$1');
  if (!c || String(c['t']) !== 'varchar(50)' || c['n'] !== 'NO' || dflt !== 'pending')
    return { ok: false, text: 'the new column is missing or wrong' };
  const p = qualified(db, PRISTINE);
  const a = qualified(db, table);
  const same = COLUMNS.slice(1)
    .map((col) => `CAST(p.${quoteId(col)} AS BINARY) <=> CAST(a.${quoteId(col)} AS BINARY)`)
    .join(' AND ');
  const [[r]] = await admin.query<RowDataPacket[]>(
    `SELECT (SELECT COUNT(*) FROM ${p}) AS expected, (SELECT COUNT(*) FROM ${a}) AS actual,
       (SELECT COUNT(*) FROM ${p} AS p LEFT JOIN ${a} AS a ON a.id = p.id WHERE a.id IS NULL OR NOT (${same})) AS differing,
       (SELECT COUNT(*) FROM ${a} WHERE NOT (shipping_status <=> 'pending')) AS wrong_default`,
  );
  const n = (k: string) => Number(r?.[k] ?? -1);
  const ok = n('expected') === n('actual') && n('differing') === 0 && n('wrong_default') === 0;
  return {
    ok,
    text: ok
      ? `${n('actual')} rows identical`
      : `expected ${n('expected')} rows, got ${n('actual')}; ${n('differing')} missing or differing; ${n('wrong_default')} with a wrong new column`,
  };
}

/** Runs a command, sampling its peak resident memory (VmHWM) while it runs. */
function runTool(
  command: string,
  argv: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string; seconds: number; peakRssMiB: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // The process has just exited.
      }
    };
    const sampler = setInterval(sample, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      resolve({
        code: code ?? 1,
        stdout,
        stderr,
        seconds: (performance.now() - started) / 1000,
        peakRssMiB: peakKb > 0 ? Math.round(peakKb / 1024) : null,
      });
    });
  });
}

/** The write load as its own process, once it writes; stop() ends it and returns what it wrote. */
async function startLoad(args: LoadArgs): Promise<{ stop: () => Promise<LoadOutput> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts', 'bench-load.ts'), JSON.stringify(args)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    void exited.then((code) => reject(new Error(`the write load exited ${code} before it started`)));
  });
  return {
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`the write load exited ${code}`);
      return JSON.parse(readFileSync(args.out, 'utf8')) as LoadOutput;
    },
  };
}

/** The load's committed writes, in their order, onto the pristine table: it becomes what every tool must produce. */
async function replayOntoPristine(admin: Connection, db: string, writes: LoadOutput['writes']): Promise<void> {
  const target = qualified(db, PRISTINE);
  await admin.query('START TRANSACTION');
  for (const w of writes) await admin.query(w.sql.replace(TABLE, target), [...w.params]);
  await admin.query('COMMIT');
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]!;
}

function latencyOf(out: LoadOutput, cutOver: { from: number; to: number } | null): Latency {
  const sorted = [...out.latencies].sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 10) / 10;
  let cutOverMax: number | null = null;
  if (cutOver !== null) {
    cutOverMax = 0;
    out.latencies.forEach((ms, i) => {
      const sent = out.sentAt[i]!;
      if (sent <= cutOver.to && sent + ms >= cutOver.from) cutOverMax = Math.max(cutOverMax ?? 0, ms);
    });
    cutOverMax = r(cutOverMax);
  }
  return {
    writes: out.writes.length,
    failed: out.failed,
    failures: out.failures,
    p50: r(percentile(sorted, 0.5)),
    p99: r(percentile(sorted, 0.99)),
    max: r(sorted[sorted.length - 1] ?? 0),
    cutOverMax,
  };
}

/** osc's cut-over in its log: from its first attempt to the swap (epoch ms); null when the log has none. */
function cutOverWindow(stderr: string): { from: number; to: number } | null {
  const from = /^(\S+) INFO {2}cut_over_attempt /m.exec(stderr)?.[1];
  const to = /^(\S+) INFO {2}cut_over_done /m.exec(stderr)?.[1];
  return from && to ? { from: Date.parse(from), to: Date.parse(to) } : null;
}

interface Context {
  readonly admin: Connection;
  readonly endpoint: Endpoint;
  readonly db: string;
  readonly opts: Options;
  readonly mysql: boolean;
}

async function runFloor(ctx: Context, size: number, rows: number): Promise<RunResult> {
  const { admin, db } = ctx;
  const floor = qualified(db, 'floor');
  await admin.query(`CREATE TABLE ${floor} LIKE ${qualified(db, TABLE_NAME)}`);
  await admin.query(`ALTER TABLE ${floor} ${ALTER}`);
  const cols = COLUMNS.map(quoteId).join(', ');
  const started = performance.now();
  await admin.query(`INSERT INTO ${floor} (${cols}) SELECT ${cols} FROM ${qualified(db, TABLE_NAME)}`);
  const seconds = (performance.now() - started) / 1000;
  const v = await verify(admin, db, 'floor');
  return {
    tool: 'floor',
    load: 'idle',
    size,
    rows,
    seconds,
    rowsPerSecond: rows / seconds,
    copySeconds: null,
    eventsApplied: null,
    lockMs: null,
    checksumSeconds: null,
    snapshotLockMs: null,
    peakRssMiB: null,
    latency: null,
    verified: v.ok,
    verification: v.text,
  };
}

async function runMigration(
  ctx: Context,
  tool: 'osc' | 'osc-nocheck' | 'pt-osc',
  load: Load,
  size: number,
  rows: number,
): Promise<RunResult> {
  const { admin, endpoint, db, opts } = ctx;
  const loadOut = join(tmpdir(), `osc-bench-load-${process.pid}.json`);
  const writer =
    load === 'writes'
      ? await startLoad({
          endpoint,
          database: db,
          table: TABLE_NAME,
          rate: opts.rate,
          writers: opts.writers,
          out: loadOut,
        })
      : null;
  // The load reaches its rate before the tool starts, and keeps writing through the cut-over and after it.
  if (writer) await new Promise((r) => setTimeout(r, 1500));
  const osc = tool !== 'pt-osc';
  const run = osc
    ? await runTool(process.execPath, [
        OSC_BUILT,
        ...oscArgv(endpoint, db, TABLE_NAME, [
          '--alter',
          ALTER,
          '--execute',
          '--ok-to-drop-table',
          '--replica-server-id',
          String(2_000_000 + Math.floor(Math.random() * 1_000_000)),
          ...(opts.chunkSize === null ? [] : ['--chunk-size', opts.chunkSize]),
          ...(tool === 'osc-nocheck' ? ['--skip-checksum'] : []),
          ...opts.oscArgs,
        ]).slice(2),
      ])
    : await runTool('pt-online-schema-change', [
        '--alter',
        ALTER,
        '--execute',
        '--recursion-method=none',
        // MySQL 9.7's EXPLAIN defaults to TREE, which pt-osc 3.2 cannot read: it would copy in one statement.
        ...(ctx.mysql ? ['--set-vars', 'explain_format=TRADITIONAL'] : []),
        `h=${endpoint.host},P=${endpoint.port},u=${endpoint.user},p=${endpoint.password},D=${db},t=${TABLE_NAME}`,
      ]);
  if (writer) await new Promise((r) => setTimeout(r, 1000));
  const written = writer ? await writer.stop() : null;
  rmSync(loadOut, { force: true });
  if (run.code !== 0) throw new Error(`${tool} exited ${run.code}:\n${(run.stderr + run.stdout).slice(-3000)}`);
  if (process.env.OSC_BENCH_LOGS)
    writeFileSync(join(process.env.OSC_BENCH_LOGS, `${tool}-${load}-${size}.log`), run.stderr + run.stdout);
  if (written) await replayOntoPristine(admin, db, written.writes);
  const v = await verify(admin, db, TABLE_NAME);
  const num = (re: RegExp, text: string) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : null;
  };
  return {
    tool,
    load,
    size,
    rows,
    seconds: run.seconds,
    rowsPerSecond: rows / run.seconds,
    copySeconds: osc ? num(/copy_done rows=\d+ seconds=([\d.]+)/, run.stderr) : null,
    eventsApplied: osc ? num(/binlog replayed:\s+(\d+) row events/, run.stdout) : null,
    lockMs: osc ? num(/cut_over_done .*lock_ms=(\d+)/, run.stderr) : null,
    checksumSeconds: osc ? num(/checksum_done .*seconds=([\d.]+)/, run.stderr) : null,
    snapshotLockMs: osc ? num(/checksum_done .*lock_ms=(\d+)/, run.stderr) : null,
    peakRssMiB: run.peakRssMiB,
    latency: written ? latencyOf(written, osc ? cutOverWindow(run.stderr) : null) : null,
    verified: v.ok,
    verification: v.text,
  };
}

/** Per tool, load and size: the run of median wall time (the lower middle one of an even count). */
function medianRuns(results: readonly RunResult[]): RunResult[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const k = `${r.tool} ${r.load} ${r.size}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const sorted = [...g].sort((a, b) => a.seconds - b.seconds);
    const { run: _run, ...median } = sorted[Math.floor((sorted.length - 1) / 2)]!;
    return { ...median, runs: g.length, verified: g.every((r) => r.verified) };
  });
}

/**
 * Replay's speed: osc copies, then holds its cut-over (a postpone flag file) while one UPDATE changes `events` rows;
 * the time from that UPDATE's commit until osc has applied all of them, read from its control socket.
 */
async function runBurst(ctx: Context, rows: number): Promise<Burst> {
  const { admin, endpoint, db } = ctx;
  const dir = mkdtempSync(join(tmpdir(), 'osc-bench-burst-'));
  const flag = join(dir, 'postpone');
  const socket = join(dir, 'osc.sock');
  writeFileSync(flag, '');
  let exited = false;
  const run = runTool(process.execPath, [
    OSC_BUILT,
    ...oscArgv(endpoint, db, TABLE_NAME, [
      '--alter',
      ALTER,
      '--execute',
      '--ok-to-drop-table',
      '--postpone-cut-over-flag-file',
      flag,
      '--serve-socket-file',
      socket,
      ...ctx.opts.oscArgs,
      '--replica-server-id',
      String(2_000_000 + Math.floor(Math.random() * 1_000_000)),
    ]).slice(2),
  ]).finally(() => (exited = true));
  try {
    const status = async () => {
      if (exited) throw new Error(`osc ended before the burst was applied:\n${(await run).stderr.slice(-3000)}`);
      return parseStatus(await socketCommand(socket, 'status').catch(() => 'phase=starting copied=0/0 applied=0'));
    };
    let s = await status();
    while (s.phase !== 'postponed') {
      if (s.phase === 'failed' || s.phase === 'done') throw new Error(`osc left the copy as ${s.phase}`);
      await new Promise((r) => setTimeout(r, 200));
      s = await status();
    }
    // The same change on the pristine table, so that the verification expects it: first, and given time to pass
    // osc's binlog reader, so that neither its statement nor its events weigh on the timed window.
    const change = (t: string) =>
      admin.query<ResultSetHeader>(`UPDATE ${qualified(db, t)} SET amount = amount + 1 WHERE id <= ?`, [rows]);
    await change(PRISTINE);
    await new Promise((r) => setTimeout(r, 2_000));
    const before = (await status()).applied;
    const [{ affectedRows }] = await change(TABLE_NAME);
    const started = performance.now();
    while ((await status()).applied < before + affectedRows) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - started) / 1000;
    rmSync(flag);
    const done = await run;
    if (done.code !== 0) throw new Error(`osc exited ${done.code}:\n${(done.stderr + done.stdout).slice(-3000)}`);
    const v = await verify(admin, db, TABLE_NAME);
    if (!v.ok) throw new Error(`osc's result after the burst: ${v.text}`);
    const floor = await replayFloor(ctx, rows);
    return { events: affectedRows, seconds, eventsPerSecond: affectedRows / seconds, floorRowsPerSecond: floor };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const REPLAY_BATCH = 1_000;

/**
 * What the server alone does with replay's statements: rows 1..N of the migrated table replaced in batches of
 * --dml-batch-size's default, each one transaction of a DELETE by key and a multi-row INSERT, as replay collapses
 * a batch of updates (src/core/sql/dml.ts), sent by one client session that has the rows already. Rows per second.
 */
async function replayFloor(ctx: Context, rows: number): Promise<number> {
  const { admin, db } = ctx;
  const t = qualified(db, TABLE_NAME);
  const [read] = await admin.query<RowDataPacket[]>(`SELECT * FROM ${t} WHERE id <= ? ORDER BY id`, [rows]);
  const columns = Object.keys(read[0] ?? {});
  const list = columns.map(quoteId).join(', ');
  const row = `(${columns.map(() => '?').join(', ')})`;
  const started = performance.now();
  for (let i = 0; i < read.length; i += REPLAY_BATCH) {
    const batch = read.slice(i, i + REPLAY_BATCH);
    await admin.query('START TRANSACTION');
    await admin.query(
      `DELETE FROM ${t} WHERE id IN (${batch.map(() => '?').join(', ')})`,
      batch.map((r): unknown => r['id']),
    );
    await admin.query(
      `INSERT INTO ${t} (${list}) VALUES ${batch.map(() => row).join(', ')}`,
      batch.flatMap((r) => columns.map((c): unknown => r[c])),
    );
    await admin.query('COMMIT');
  }
  return read.length / ((performance.now() - started) / 1000);
}

function ratio(a: number, b: number | undefined): string {
  return b === undefined || b <= 0 ? '-' : `${(a / b).toFixed(2)}x`;
}

function render(results: readonly RunResult[]): string {
  const floor = (size: number) => results.find((r) => r.tool === 'floor' && r.size === size)?.seconds;
  const pt = (load: Load, size: number) =>
    results.find((r) => r.tool === 'pt-osc' && r.load === load && r.size === size)?.seconds;
  const head = [
    'tool',
    'load',
    'rows',
    'wall s',
    'rows/s',
    'x floor',
    'x pt-osc',
    'copy s',
    'events',
    'lock ms',
    'checksum s',
    'snapshot lock ms',
    'writes p50/p99/max ms',
    'cut-over max ms',
    'RSS MiB',
    'verified',
    'runs',
  ];
  const lines = results.map((r) => [
    r.tool,
    r.load,
    String(r.rows),
    r.seconds.toFixed(1),
    String(Math.round(r.rowsPerSecond)),
    r.tool === 'floor' ? '1.00x' : ratio(r.seconds, floor(r.size)),
    r.tool === 'pt-osc' ? '1.00x' : r.tool === 'floor' ? '-' : ratio(r.seconds, pt(r.load, r.size)),
    r.copySeconds === null ? '-' : r.copySeconds.toFixed(1),
    r.eventsApplied === null ? '-' : String(r.eventsApplied),
    r.lockMs === null ? '-' : String(r.lockMs),
    r.checksumSeconds === null
      ? '-'
      : `${r.checksumSeconds.toFixed(1)}${r.copySeconds ? ` (${Math.round((100 * r.checksumSeconds) / r.copySeconds)}% of copy)` : ''}`,
    r.snapshotLockMs === null ? '-' : String(r.snapshotLockMs),
    r.latency === null
      ? '-'
      : `${r.latency.p50}/${r.latency.p99}/${r.latency.max} (${r.latency.writes}${
          r.latency.failed > 0
            ? `, ${r.latency.failed} failed: ${Object.entries(r.latency.failures)
                .map(([k, n]) => `${n} x ${k}`)
                .join(', ')}`
            : ''
        })`,
    r.latency?.cutOverMax == null ? '-' : String(r.latency.cutOverMax),
    r.peakRssMiB === null ? '-' : String(r.peakRssMiB),
    r.verified ? 'yes' : `NO: ${r.verification}`,
    String(r.runs ?? 1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [row(head), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n');
}

/** The bench's own sandbox: its own files and ports, so that it never disturbs the tests' sandbox. */
const PRIVATE_SANDBOX = {
  mariadb: { OSC_SANDBOX_DIR: '/tmp/osc-bench', OSC_SANDBOX_PORT: '3396' },
  mysql: { OSC_SANDBOX_DIR: '/tmp/osc-bench', OSC_SANDBOX_PORT: '3386' },
} as const;

async function bufferPoolMiB(endpoint: Endpoint): Promise<number> {
  const c = await exactConnection(endpoint);
  try {
    const [[row]] = await c.query<RowDataPacket[]>('SELECT @@innodb_buffer_pool_size AS b');
    return Number(row?.['b'] ?? 0) / 1024 / 1024;
  } finally {
    await c.end();
  }
}

/**
 * A primary without replicas, as the issue's figures were measured: pt-osc (--recursion-method=none) ignores
 * replicas, and osc would otherwise throttle on a replica still applying the seed. The replica stops replicating and
 * the primary's dump threads end, so that osc's discovery finds none.
 */
async function detachReplica(primary: Endpoint, replica: Endpoint): Promise<void> {
  const r = await exactConnection(replica);
  await r.query('STOP REPLICA').finally(() => r.end());
  const p = await exactConnection(primary);
  try {
    const [dumps] = await p.query<RowDataPacket[]>(
      "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
    );
    for (const d of dumps) await p.query('KILL ?', [d['id']]).catch(() => undefined);
  } finally {
    await p.end();
  }
}

async function main(): Promise<void> {
  const opts = options();
  const sandbox = join(ROOT, 'scripts', 'sandbox');
  const sandboxEnv =
    opts.sandbox === 'private'
      ? {
          ...process.env,
          ...PRIVATE_SANDBOX[opts.flavor === 'mysql' ? 'mysql' : 'mariadb'],
          OSC_SANDBOX_MYSQLD_OPTIONS: `innodb-buffer-pool-size=${opts.bufferPoolMiB}M`,
          // Detached below anyway; restarting it after the last run purged its binlog would fail after 60 s.
          OSC_SANDBOX_REPLICA_STOPPED: '1',
        }
      : process.env;
  const start = () =>
    execFileSync('bash', [sandbox, 'start', '--flavor', opts.flavor], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: sandboxEnv,
    });
  const startOrRenew = (): string => {
    try {
      return start();
    } catch (err) {
      if (opts.sandbox !== 'private') throw err;
      // The bench's own sandbox holds nothing worth keeping: its detached replica may no longer find the binary log
      // it stopped at (purged since), and then a fresh pair is quicker than a repair.
      say('bench: the private sandbox did not start; making it anew');
      execFileSync('bash', [sandbox, 'reset', '--flavor', opts.flavor], { stdio: 'inherit', env: sandboxEnv });
      return start();
    }
  };
  let env = startOrRenew();
  const endpointOf = (name: string): Endpoint => {
    const dsn = new RegExp(`${name}=(\\S+)`).exec(env)?.[1];
    if (!dsn) throw new Error(`the sandbox printed no ${name}`);
    const u = new URL(dsn);
    return {
      host: u.hostname,
      port: Number(u.port),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    };
  };
  let endpoint = endpointOf('OSC_TEST_DSN');
  if (opts.sandbox === 'private' && (await bufferPoolMiB(endpoint)) < opts.bufferPoolMiB) {
    // Started before with a smaller pool: the option is read at start.
    say(`bench: restarting the private sandbox with a ${opts.bufferPoolMiB} MB buffer pool`);
    execFileSync('bash', [sandbox, 'stop', '--flavor', opts.flavor], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: sandboxEnv,
    });
    env = startOrRenew();
    endpoint = endpointOf('OSC_TEST_DSN');
  }
  if (opts.sandbox === 'private') await detachReplica(endpoint, endpointOf('OSC_TEST_REPLICA_DSN'));
  if (opts.tools.includes('pt-osc')) {
    try {
      execFileSync('pt-online-schema-change', ['--version'], { stdio: 'ignore' });
    } catch {
      say("installing Debian's percona-toolkit for pt-online-schema-change");
      execFileSync('apt-get', ['install', '-y', 'percona-toolkit'], { stdio: ['ignore', 'ignore', 'inherit'] });
    }
  }
  const admin = await exactConnection(endpoint);
  const [[ver]] = await admin.query<RowDataPacket[]>('SELECT VERSION() AS v');
  const version = String(ver?.['v'] ?? '?');
  const db = `osc_bench_${process.pid}`;
  const ctx: Context = { admin, endpoint, db, opts, mysql: !/mariadb/i.test(version) };
  // osc as users run it, built (npm run build): from source, tsx's start alone would add about 0.4 s to every run.
  if (opts.tools.includes('osc')) execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  // --tools osc stands for the osc runs --checksum asks for.
  const tools = opts.tools.flatMap((t): Tool[] => (t === 'osc' ? [...opts.oscRuns] : [t]));
  const results: RunResult[] = [];
  let burst: Burst | null = null;
  const record = (r: RunResult) => {
    results.push(r);
    say(
      `  ${r.tool} ${r.load} ${r.rows} rows: ${r.seconds.toFixed(1)} s${r.verified ? '' : ` NOT VERIFIED: ${r.verification}`}`,
    );
  };
  try {
    await admin.query(`CREATE DATABASE ${quoteId(db)}`);
    const seeded = performance.now();
    await seed(admin, db, opts.rows);
    say(
      `${version}: seeded ${opts.rows} rows in ${((performance.now() - seeded) / 1000).toFixed(1)} s; ALTER ${ALTER}`,
    );
    // Runs taken in turns (floor, each tool idle, each under load, then again), so that the machine's drift during
    // the bench weighs on every tool alike.
    for (let run = 1; run <= opts.repeat; run++) {
      if (opts.tools.includes('floor') && opts.loads.includes('idle')) {
        const rows = await prepare(admin, db);
        record({ ...(await runFloor(ctx, opts.rows, rows)), run });
      }
      for (const load of opts.loads) {
        for (const tool of tools) {
          if (tool === 'floor') continue;
          const rows = await prepare(admin, db);
          record({ ...(await runMigration(ctx, tool, load, opts.rows, rows)), run });
        }
      }
    }
    if (opts.tools.includes('osc') && opts.burst !== null) {
      await prepare(admin, db);
      burst = await runBurst(ctx, opts.burst);
      say(
        `  osc replay burst: ${burst.events} row events in ${burst.seconds.toFixed(2)} s = ${Math.round(burst.eventsPerSecond)} events/s (the server alone: ${Math.round(burst.floorRowsPerSecond)} rows/s)`,
      );
    }
    if (opts.tools.includes('osc')) {
      for (const size of opts.scale.filter((s) => s !== opts.rows)) {
        await seed(admin, db, size);
        for (let run = 1; run <= opts.repeat; run++) {
          // The floor too: whether a size is slower per row for osc alone or for the server (its buffer pool).
          if (opts.tools.includes('floor')) record({ ...(await runFloor(ctx, size, await prepare(admin, db))), run });
          const rows = await prepare(admin, db);
          record({ ...(await runMigration(ctx, opts.oscRuns[0] ?? 'osc', 'idle', size, rows)), run });
        }
      }
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteId(db)}`).catch(() => undefined);
    // A 2M-row bench writes gigabytes of binary log; on its own sandbox (no replica reads them) nothing needs them.
    if (opts.sandbox === 'private') await admin.query('PURGE BINARY LOGS BEFORE NOW()').catch(() => undefined);
    await admin.end();
  }

  const medians = medianRuns(results);
  say('');
  say(render(medians));
  const osc = (load: Load) => medians.find((r) => r.tool === 'osc' && r.load === load && r.size === opts.rows);
  const idle = osc('idle');
  const busy = osc('writes');
  if (idle && busy) say(`osc under ${opts.rate} writes/s: ${ratio(busy.seconds, idle.seconds)} its idle time`);
  if (burst)
    say(
      `osc replay: ${Math.round(burst.eventsPerSecond)} row events/s applied (one UPDATE of ${burst.events} rows); the server alone applied replay's statements at ${Math.round(burst.floorRowsPerSecond)} rows/s`,
    );
  const scaled = medians.filter((r) => r.tool === 'osc' && r.load === 'idle').sort((a, b) => a.size - b.size);
  if (scaled.length > 1) {
    const small = scaled[0]!;
    const floorAt = (size: number) => medians.find((r) => r.tool === 'floor' && r.size === size)?.seconds;
    for (const r of scaled.slice(1)) {
      const small0 = floorAt(small.size);
      const floor = floorAt(r.size);
      say(
        `osc at ${r.size} rows: ${ratio(r.seconds, small.seconds)} the time and ${ratio(r.peakRssMiB ?? 0, small.peakRssMiB ?? undefined)} the peak RSS of ${small.size} rows` +
          (floor !== undefined && small0 !== undefined ? ` (the floor: ${ratio(floor, small0)} the time)` : ''),
      );
    }
  }
  const targets = judgeTargets({
    flavor: opts.flavor === 'mysql' ? 'mysql' : 'mariadb',
    rows: opts.rows,
    medians,
    replayEventsPerSecond: burst?.eventsPerSecond ?? null,
    replayFloorRowsPerSecond: burst?.floorRowsPerSecond ?? null,
  });
  say('');
  say('targets (issues 8 and 9; README says what limits the ones not met):');
  say(renderTargets(targets, opts.flavor === 'mysql' ? 'mysql' : 'mariadb'));
  mkdirSync(dirname(opts.out), { recursive: true });
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  })();
  writeFileSync(
    opts.out,
    `${JSON.stringify({ flavor: opts.flavor, server: version, commit, cpus: cpus().length, at: new Date().toISOString(), alter: ALTER, rate: opts.rate, writers: opts.writers, repeat: opts.repeat, sandbox: opts.sandbox, bufferPoolMiB: opts.sandbox === 'private' ? opts.bufferPoolMiB : null, burst, medians, targets, results }, null, 2)}\n`,
  );
  say(`results: ${opts.out}`);
  if (results.some((r) => !r.verified)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
