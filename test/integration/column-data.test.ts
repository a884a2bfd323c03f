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
import {
  dropUser,
  explainRun,
  MIGRATION_USER,
  migrationUser,
  oscArgv,
  runOsc,
  RUN_TAG,
  type OscRun,
} from '../support/run-osc.js';
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
      '--alter',
      c.alter,
      '--execute',
      '--chunk-size',
      '100',
      '--replica-server-id',
      String(uniqueServerId()),
      '--postpone-cut-over-flag-file',
      flag,
      '--serve-socket-file',
      join(dir, `${c.name}.sock`),
      ...(c.args ?? []),
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
            params: [
              id,
              pastTime(v),
              pastTime(v, true),
              pastTime(v + 1, true),
              pastTime(v + 2),
              `s${v % 5}`,
              `ins ${v}`,
            ],
          },
    // Changing note fires ON UPDATE on updated_at, updated6 and touched; some updates set defaults back to NULL.
    update: (id, v) =>
      v % 3 === 0
        ? {
            sql: 'UPDATE t SET updated_at = NULL, token = NULL, due = NULL, note = ? WHERE id = ?',
            params: [`upd ${v}`, id],
          }
        : { sql: 'UPDATE t SET note = ?, qty = ? WHERE id = ?', params: [`upd ${v}`, v, id] },
  };
}

describe('columns with expression defaults keep their values (hole 1)', () => {
  test('CURRENT_TIMESTAMP, CURRENT_TIMESTAMP(6), ON UPDATE, (UUID()), (NOW() + INTERVAL 1 DAY), literals', async () => {
    const run = await migrate(defaultsCase('defaults', 'PRIMARY KEY (id)'));
    // The plan copies them all and lists nothing as generated.
    expect(run.stdout).toMatch(
      /shared columns:\s+id, created_at, created6, updated_at, updated6, touched, token, due, status, qty, born, note\n/,
    );
    expect(run.stdout).toMatch(/generated:\s+\(none\)\n/);
  });

  test('a key containing a column with a CURRENT_TIMESTAMP default is used, not refused', async () => {
    const run = await migrate(defaultsCase('defaultkey', 'PRIMARY KEY (id, created_at)'));
    expect(run.stdout).toMatch(/chunk key:\s+PRIMARY \(id, created_at\)/);
  });
});

// ---- hole 6: a generated column the ALTER makes plain holds real data
describe('a generated column made plain keeps its values (hole 6)', () => {
  const generated: Omit<ColumnCase, 'name' | 'alter'> = {
    create: `CREATE TABLE t (
      id INT NOT NULL PRIMARY KEY,
      qty INT NULL,
      price DECIMAL(10,2) NOT NULL,
      total DECIMAL(20,2) AS (qty * price) STORED,
      label VARCHAR(80) AS (CONCAT('#', id, ' x', qty)) VIRTUAL,
      note VARCHAR(64) NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    rows: 3000,
    seed: (id) => ({
      id,
      qty: id % 5 === 0 ? null : id % 97,
      price: `${id % 1000}.${String(id % 100).padStart(2, '0')}`,
      note: `n${id}`,
    }),
    insert: (id, v) => ({
      sql: 'INSERT INTO t (id, qty, price, note) VALUES (?, ?, ?, ?)',
      params: [id, v % 4 === 0 ? null : v % 89, `${v % 500}.25`, `i${v}`],
    }),
    update: (id, v) => ({
      sql: 'UPDATE t SET qty = ?, price = ? WHERE id = ?',
      params: [v % 3 === 0 ? null : v % 71, `${v % 300}.50`, id],
    }),
  };

  test('STORED made plain (MODIFY total ... NULL): copied and replayed', async () => {
    const run = await migrate({ ...generated, name: 'storedplain', alter: 'MODIFY COLUMN total DECIMAL(20,2) NULL' });
    expect(run.stdout).toMatch(/shared columns:\s+id, qty, price, total, note\n/);
    expect(run.stdout).toMatch(/generated:\s+label \(virtual\)/);
  });

  test('a VIRTUAL column cannot be made plain: refused by both servers, as natively', async () => {
    // MariaDB 10.11: ER 1907 "not yet supported for generated columns"; MySQL 9.7: ER 3106 "Changing the STORED status".
    const database = `osc_t_cols_virtplain_${RUN_TAG}`;
    await admin.query(`DROP DATABASE IF EXISTS ${quoteId(database)}`);
    await admin.query(`CREATE DATABASE ${quoteId(database)}`);
    await admin.query(`USE ${quoteId(database)}`);
    await admin.query(generated.create);
    await seed(database, { ...generated, name: 'virtplain', alter: '' });
    const mig = await migrationUser(admin, testServer().primary, database);
    const run = await runOsc(
      oscArgv(mig, database, 't', [
        '--alter',
        'MODIFY COLUMN label VARCHAR(80) NULL',
        '--execute',
        '--replica-server-id',
        String(uniqueServerId()),
      ]),
    );
    expect(run.code, explainRun(run)).toBe(2);
    expect(run.stderr).toContain('code=ALTER_INVALID');
    expect(await tableNames(admin, database)).toEqual(['t']);
    await admin.query(`DROP DATABASE ${quoteId(database)}`);
  });
});

// ---- hole 15: a column dropped and added again in one ALTER is a new column
describe('a column dropped and added again is new, as natively (hole 15)', () => {
  const wide = `CREATE TABLE t (
    id INT NOT NULL PRIMARY KEY,
    a INT NULL, b INT NULL, p INT NULL, q INT NULL, x INT NULL, y INT NULL,
    c1 INT NULL, C2 VARCHAR(5) NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
  const cols = ['a', 'b', 'p', 'q', 'x', 'y', 'c1', 'C2'] as const;
  // NULL in one row of three, so copying the old c1 into the new NOT NULL c1 fails where it does not lose data.
  const value = (id: number, v: number, i: number): number | string | null =>
    (id + v + i) % 3 === 0 ? null : i === 7 ? `v${(id + v) % 1000}` : (id * 31 + v * 7 + i) % 100_000;
  const base: Omit<ColumnCase, 'name' | 'alter'> = {
    create: wide,
    rows: 3000,
    seed: (id) =>
      Object.fromEntries<unknown>([['id', id], ...cols.map((c, i): [string, unknown] => [c, value(id, 0, i)])]),
    insert: (id, v) => ({
      sql: `INSERT INTO t (id, ${cols.join(', ')}) VALUES (?${', ?'.repeat(cols.length)})`,
      params: [id, ...cols.map((_, i) => value(id, v, i))],
    }),
    update: (id, v) => ({
      sql: `UPDATE t SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
      params: [...cols.map((_, i) => value(id, v, i)), id],
    }),
  };

  test('DROP + ADD of the same name, and of the same name in another case: every row gets the default', async () => {
    const run = await migrate({
      ...base,
      name: 'dropadd',
      alter:
        "DROP COLUMN c1, ADD COLUMN c1 INT NOT NULL DEFAULT 47, DROP COLUMN c2, ADD COLUMN C2 VARCHAR(10) NOT NULL DEFAULT 'x'",
    });
    expect(run.stdout).toMatch(/shared columns:\s+id, a, b, p, q, x, y\n/);
    expect(run.stdout).toMatch(/dropped columns:\s+c1, C2\n/);
    expect(run.stdout).toMatch(/new columns:\s+c1, C2\n/);
  });

  test('another column renamed onto a dropped name (RENAME COLUMN, CHANGE), and two columns swapping names', async () => {
    const run = await migrate({
      ...base,
      name: 'droprename',
      alter:
        'DROP COLUMN a, RENAME COLUMN b TO a, DROP COLUMN p, CHANGE COLUMN q p INT NULL, RENAME COLUMN x TO y, RENAME COLUMN y TO x',
      args: ['--approve-renamed-columns'],
    });
    expect(run.stdout).toMatch(/shared columns:\s+id, b -> a, q -> p, x -> y, y -> x, c1, C2\n/);
    expect(run.stdout).toMatch(/dropped columns:\s+a, p\n/);
  });
});
