// Every column keeps its data exactly as a native ALTER would: columns with expression defaults (CURRENT_TIMESTAMP,
// ON UPDATE, UUID(), NOW() + INTERVAL) holding old values and NULLs, generated columns made plain, and columns the
// ALTER drops and adds again. Each case migrates through main() while a write load runs that lets the server fill
// defaults and fire ON UPDATE; the cut-over is postponed until the load has stopped, so the old table `_t_del`
// ends holding every write and the expectation is that table with the ALTER applied natively.
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, prng, qualified, quoteId } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, migrationUser, oscArgv, runOsc, RUN_TAG, type OscRun } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { applyAlter, compareTables, describeComparison, snapshotTable, tableNames } from '../support/verify.js';

/** One write of the load: SQL on table `t` of the case's database, and its values. */
interface Write {
  readonly sql: string;
  readonly params: readonly unknown[];
}

interface ColumnCase {
  /** Part of the database name. */
  readonly name: string;
  /** CREATE TABLE t (...): every case has a unique `id INT` the load names rows by. */
  readonly create: string;
  readonly rows: number;
  /** The seed row for id (old values, NULLs), as column -> value. */
  readonly seed: (id: number) => Readonly<Record<string, unknown>>;
  readonly alter: string;
  readonly args?: readonly string[];
  /** A new row; may leave columns to their defaults. */
  readonly insert: (id: number, v: number) => Write;
  /** A change to row id (never to its id). */
  readonly update: (id: number, v: number) => Write;
}

const LONG = 120_000;
/** Writes the load commits at least before the cut-over is released, some of them during the copy. */
const MIN_WRITES = 150;

let admin: Connection;
let dir: string;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  dir = mkdtempSync(join(tmpdir(), 'osc-cols-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

const pad = (n: number) => String(n).padStart(2, '0');
/** A time well in the past (2001..2020), different for each n: no migration can produce it. */
function pastTime(n: number, fraction = false): string {
  const d = new Date(Date.UTC(2001, 0, 1) + ((n * 7919) % 600_000_000) * 1000);
  const text = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return fraction ? `${text}.${String((n * 104729) % 1_000_000).padStart(6, '0')}` : text;
}

async function seed(database: string, c: ColumnCase): Promise<void> {
  for (let start = 1; start <= c.rows; start += 500) {
    const rows = Array.from({ length: Math.min(500, c.rows - start + 1) }, (_, i) => c.seed(start + i));
    const cols = Object.keys(rows[0] ?? {});
    await admin.query(
      `INSERT INTO ${qualified(database, 't')} (${cols.map(quoteId).join(', ')}) VALUES ${rows.map(() => `(${cols.map(() => '?').join(', ')})`).join(', ')}`,
      rows.flatMap((r) => cols.map((k) => r[k])),
    );
  }
}

interface Load {
  readonly committed: () => number;
  stop(): Promise<void>;
}

/** Inserts, updates and deletes rows of t one at a time (autocommit) until stopped. */
async function startLoad(database: string, c: ColumnCase): Promise<Load> {
  const conn = await exactConnection(testServer().primary, database);
  const rnd = prng(7);
  const live = Array.from({ length: c.rows }, (_, i) => i + 1);
  let nextId = 1_000_001;
  let version = 0;
  let committed = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const r = rnd();
      let write: Write;
      let after = () => {};
      if (r < 0.35 || live.length === 0) {
        const id = nextId++;
        write = c.insert(id, ++version);
        after = () => live.push(id);
      } else {
        const slot = Math.floor(rnd() * live.length);
        const id = live[slot] as number;
        if (r < 0.8) {
          write = c.update(id, ++version);
        } else {
          write = { sql: 'DELETE FROM t WHERE id = ?', params: [id] };
          after = () => {
            live[slot] = live[live.length - 1] as number;
            live.pop();
          };
        }
      }
      await conn.query(write.sql, [...write.params]);
      after();
      committed++;
      await new Promise((res) => setTimeout(res, 3));
    }
  })();
  return {
    committed: () => committed,
    async stop() {
      stopped = true;
      try {
        await loop;
      } finally {
        await conn.end();
      }
    },
  };
}

/**
 * Seeds the case, migrates it through main() under the load with the cut-over postponed, stops the load,
 * releases the cut-over, and compares the migrated table with the old one altered natively.
 */
async function migrate(c: ColumnCase): Promise<OscRun> {
  const database = `osc_t_cols_${c.name}_${RUN_TAG}`;
  const expected = { database: `${database}_exp`, table: 't' };
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(database)}`);
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(expected.database)}`);
  await admin.query(`CREATE DATABASE ${quoteId(database)} DEFAULT CHARACTER SET utf8mb4`);
  await admin.query(`USE ${quoteId(database)}`);
  await admin.query(c.create);
  await seed(database, c);
  const mig = await migrationUser(admin, testServer().primary, database);
  const flag = join(dir, `${c.name}.postpone`);
  writeFileSync(flag, '');

  const load = await startLoad(database, c);
  let stderr = '';
  let atCopyStart = -1;
  let writesDuringCopy = -1;
  const done = runOsc(
    oscArgv(mig, database, 't', [
      '--alter', c.alter, '--execute', '--chunk-size', '100', '--replica-server-id', String(uniqueServerId()),
      '--postpone-cut-over-flag-file', flag, '--serve-socket-file', join(dir, `${c.name}.sock`), ...(c.args ?? []),
    ]),
    {
      onStderr: (t) => {
        stderr += t;
        if (atCopyStart < 0 && / to=copy\b/.test(stderr)) atCopyStart = load.committed();
        if (writesDuringCopy < 0 && /\bcopy_done\b/.test(stderr)) writesDuringCopy = load.committed() - atCopyStart;
      },
      signal: AbortSignal.timeout(LONG),
    },
  );
  let ended = false;
  void done.finally(() => (ended = true));
  let run: OscRun;
  try {
    // An early exit (a refusal, a failure) ends the wait at once; its exit code is checked below.
    await waitFor(() => ended || (/postponing cut-over/.test(stderr) && load.committed() >= MIN_WRITES), {
      timeoutMs: LONG,
      intervalMs: 20,
      message: `postponed with ${MIN_WRITES} writes committed`,
    });
  } finally {
    await load.stop();
    if (existsSync(flag)) unlinkSync(flag);
    run = await done;
  }
  expect(run.code, explainRun(run)).toBe(0);
  expect(writesDuringCopy, 'writes committed while the copy ran').toBeGreaterThan(0);
  expect((await tableNames(admin, database)).sort()).toEqual(['_t_del', 't']);
  await snapshotTable(admin, { database, table: '_t_del' }, expected);
  await applyAlter(admin, expected, c.alter);
  const comparison = await compareTables(admin, expected, { database, table: 't' });
  expect(comparison.ok, describeComparison(comparison)).toBe(true);
  expect(comparison.rows).toBeGreaterThan(c.rows / 2);
  await admin.query(`DROP DATABASE ${quoteId(database)}`);
  await admin.query(`DROP DATABASE ${quoteId(expected.database)}`);
  return run;
}

// ---- hole 1: columns with expression defaults are plain columns holding real data
const DEFAULTS_TABLE = (key: string) => `CREATE TABLE t (
  id INT NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  created6 TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  updated6 DATETIME(6) NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  touched TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
  token VARCHAR(36) NULL DEFAULT (UUID()),
  due DATETIME NULL DEFAULT (NOW() + INTERVAL 1 DAY),
  status VARCHAR(16) NOT NULL DEFAULT 'new',
  qty INT NULL DEFAULT 5,
  born DATE NULL DEFAULT '2000-01-01',
  note VARCHAR(64) NULL,
  ${key}
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

function defaultsCase(name: string, key: string): ColumnCase {
  return {
    name,
    create: DEFAULTS_TABLE(key),
    rows: 3000,
    // Old values everywhere, NULL in every nullable column of one row in four.
    seed: (id) => {
      const nul = id % 4 === 0;
      return {
        id,
        created_at: pastTime(id),
        created6: pastTime(id + 1, true),
        updated_at: nul ? null : pastTime(id + 2),
        updated6: nul ? null : pastTime(id + 3, true),
        touched: nul ? null : pastTime(id + 4),
        token: nul ? null : `seed-${id}`,
        due: nul ? null : pastTime(id + 5),
        status: `s${id % 7}`,
        qty: nul ? null : id * 3,
        born: nul ? null : pastTime(id + 6).slice(0, 10),
        note: nul ? null : `note ${id}`,
      };
    },
    alter: 'ADD COLUMN extra INT NOT NULL DEFAULT 0',
    // Half the new rows take every default from the server; the other half give old values and NULLs.
    insert: (id, v) =>
      v % 2 === 0
        ? { sql: 'INSERT INTO t (id, note) VALUES (?, ?)', params: [id, `new ${v}`] }
        : {
            sql: 'INSERT INTO t (id, created_at, created6, updated_at, updated6, touched, token, due, status, qty, born, note) VALUES (?, ?, ?, NULL, ?, NULL, NULL, ?, ?, NULL, NULL, ?)',
            params: [id, pastTime(v), pastTime(v, true), pastTime(v + 1, true), pastTime(v + 2), `s${v % 5}`, `ins ${v}`],
          },
    // Changing note fires ON UPDATE on updated_at, updated6 and touched; some updates set defaults back to NULL.
    update: (id, v) =>
      v % 3 === 0
        ? { sql: 'UPDATE t SET updated_at = NULL, token = NULL, due = NULL, note = ? WHERE id = ?', params: [`upd ${v}`, id] }
        : { sql: 'UPDATE t SET note = ?, qty = ? WHERE id = ?', params: [`upd ${v}`, v, id] },
  };
}

describe('columns with expression defaults keep their values (hole 1)', () => {
  test('CURRENT_TIMESTAMP, CURRENT_TIMESTAMP(6), ON UPDATE, (UUID()), (NOW() + INTERVAL 1 DAY), literals', async () => {
    const run = await migrate(defaultsCase('defaults', 'PRIMARY KEY (id)'));
    // The plan copies them all and lists nothing as generated.
    expect(run.stdout).toMatch(/shared columns:\s+id, created_at, created6, updated_at, updated6, touched, token, due, status, qty, born, note\n/);
    expect(run.stdout).toMatch(/generated:\s+\(none\)\n/);
  });

  test('a key containing a column with a CURRENT_TIMESTAMP default is used, not refused', async () => {
    const run = await migrate(defaultsCase('defaultkey', 'PRIMARY KEY (id, created_at)'));
    expect(run.stdout).toMatch(/chunk key:\s+PRIMARY \(id, created_at\)/);
  });
});

