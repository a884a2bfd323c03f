// Changes that reach the binlog as statements, not row events, made while osc migrates under a write load:
// TRUNCATE, ALTER, RENAME or DROP + CREATE of the table, DDL on the ghost, statement-format DML from a session.
// Replay cannot carry any of them, so each must fail the migration (exit 1, BINLOG_STATEMENT) with osc's
// tables gone and the original exactly as the application left it: every write before the change, the change,
// every write after it.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, LoadGenerator, qualified, TABLE_TOKEN, type LoadResult } from '../support/load.js';
import {
  dropUser,
  explainRun,
  migrationUser,
  MIGRATION_USER,
  oscArgv,
  RUN_TAG,
  runOsc,
  type OscRun,
} from '../support/run-osc.js';
import { onlyOurThrottles } from '../support/own-throttles.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { compareTables, describeComparison, replayWrites, snapshotTable, tableNames } from '../support/verify.js';
import { prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';

const ROWS = 10_000;

let admin: Connection;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

interface OutsideChange {
  readonly name: string;
  /** What the application runs, on its own connection with the database selected. */
  readonly live: readonly string[];
  /** The same change for the offline expectation; TABLE_TOKEN stands for the table. */
  readonly offline: readonly string[];
  /** The change moves the table's rows to this table: it must hold the expectation as it was before the change. */
  readonly movedTo?: string;
  /** What the failure names. */
  readonly reported: (database: string) => string;
}

interface Outcome {
  readonly run: OscRun;
  readonly database: string;
  readonly before: LoadResult;
  readonly after: LoadResult;
}

/**
 * Seeds `t`, snapshots it, migrates it under load and, once the copy is under way, pauses the load, makes the
 * change, and lets the load go on (inserts only: its view of the table may no longer hold) until osc returns.
 * The copy waits on a throttle flag file while the change is made, so that the verdict comes from replay (a
 * chunk reading a table dropped a moment ago would fail the run for its own reason); it goes on afterwards.
 */
async function migrateWithChange(change: OutsideChange): Promise<Outcome> {
  const primary = testServer().primary;
  const database = `osc_t_outside_${change.name}_${RUN_TAG}`;
  const model = ordersModel();
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, ORDERS_CREATE, 't', model, ROWS);
  const expected = { database: `${database}_exp`, table: 't' };
  await recreateDatabase(admin, expected.database);
  await snapshotTable(admin, { database, table: 't' }, expected);
  const mig = await migrationUser(admin, primary, database);

  const load = { endpoint: primary, database, table: 't', model, rate: 200 } as const;
  const first = new LoadGenerator({ ...load, seededRows: ROWS }).start();
  await waitFor(() => first.committed >= 20, { timeoutMs: 10_000, intervalMs: 20, message: 'the load to write' });
  let stderr = '';
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), 120_000);
  const dir = mkdtempSync(join(tmpdir(), 'osc-outside-'));
  const flag = join(dir, 'throttle');
  const args = [
    '--alter',
    ORDERS_ALTER,
    '--execute',
    '--replica-server-id',
    String(uniqueServerId()),
    '--chunk-size',
    '20',
    '--nice-ratio',
    '4',
  ];
  args.push(...onlyOurThrottles(), '--throttle-flag-file', flag);
  const done = runOsc(oscArgv(mig, database, 't', args), { onStderr: (t) => (stderr += t), signal: deadline.signal });
  let after: LoadGenerator | null = null;
  try {
    await waitFor(async () => / to=copy\b/.test(stderr) && (await ghostRows(database)) > 0, {
      timeoutMs: 60_000,
      intervalMs: 10,
      message: 'the copy to be under way',
    });
    writeFileSync(flag, '');
    await waitFor(() => /\bthrottled reason="flag-file/.test(stderr), {
      timeoutMs: 10_000,
      intervalMs: 10,
      message: 'the copy to be throttled',
    });
    await sleep(300); // a chunk in flight when the flag appeared is done by now
    const before = await first.stop();
    const app = await exactConnection(primary, database);
    try {
      for (const sql of change.live) await app.query(sql);
    } finally {
      await app.end();
    }
    await sleep(500);
    unlinkSync(flag);
    // Fresh ids above any the first load used; inserts only.
    after = new LoadGenerator({
      ...load,
      seededRows: ROWS + before.writes.length + 1,
      seed: 7,
      weights: { insert: 1, 'update-key': 0, update: 0, delete: 0 },
    }).start();
    const run = await done;
    return { run, database, before, after: await after.stop(300) };
  } finally {
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
    deadline.abort();
    await first.stop().catch(() => undefined);
    await after?.stop().catch(() => undefined);
    await done.catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function ghostRows(database: string): Promise<number> {
  const [rows] = await admin
    .query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${qualified(database, '_t_gho')}`)
    .catch(() => [[{ n: 0 }]] as unknown as [RowDataPacket[]]);
  return Number(rows[0]?.['n'] ?? 0);
}

/** Exit 1 naming the change, osc's tables gone, and the application's tables exactly as it left them. */
async function expectStoppedIntact(change: OutsideChange, o: Outcome): Promise<void> {
  expect(o.run.code, explainRun(o.run)).toBe(1);
  expect(o.run.stderr).toMatch(/ERROR error code=BINLOG_STATEMENT\b/);
  expect(o.run.stderr).toContain(change.reported(o.database));
  expect(o.after.writes.length, 'the application wrote after the change').toBeGreaterThan(0);
  expect(await tableNames(admin, o.database)).toEqual(['t', ...(change.movedTo ? [change.movedTo] : [])].sort());

  const expected = { database: `${o.database}_exp`, table: 't' };
  await replayWrites(admin, o.before.writes, expected);
  if (change.movedTo) await snapshotTable(admin, expected, { database: expected.database, table: change.movedTo });
  for (const sql of change.offline)
    await admin.query(sql.split(TABLE_TOKEN).join(qualified(expected.database, expected.table)));
  await replayWrites(admin, o.after.writes, expected);
  const c = await compareTables(admin, expected, { database: o.database, table: 't' });
  expect(c.ok, describeComparison(c)).toBe(true);
  if (change.movedTo) {
    const moved = await compareTables(
      admin,
      { database: expected.database, table: change.movedTo },
      { database: o.database, table: change.movedTo },
    );
    expect(moved.ok, describeComparison(moved)).toBe(true);
  }
}

const CHANGES: readonly OutsideChange[] = [
  {
    name: 'truncate',
    live: ['TRUNCATE TABLE t'],
    offline: [`TRUNCATE TABLE ${TABLE_TOKEN}`],
    reported: (db) => `TRUNCATE TABLE ${db}.t ran during the migration`,
  },
  {
    name: 'alter',
    live: ['ALTER TABLE t ADD COLUMN extra INT NULL'],
    offline: [`ALTER TABLE ${TABLE_TOKEN} ADD COLUMN extra INT NULL`],
    reported: (db) => `ALTER TABLE ${db}.t ran during the migration`,
  },
  {
    name: 'rename',
    live: ['RENAME TABLE t TO t_moved', 'CREATE TABLE t LIKE t_moved'],
    offline: [`DELETE FROM ${TABLE_TOKEN}`],
    movedTo: 't_moved',
    reported: (db) => `RENAME TABLE ${db}.t ran during the migration`,
  },
  {
    name: 'recreate',
    live: ['DROP TABLE t', ORDERS_CREATE],
    offline: [`DELETE FROM ${TABLE_TOKEN}`],
    reported: (db) => `DROP TABLE ${db}.t ran during the migration`,
  },
  {
    name: 'ghost',
    live: ['ALTER TABLE `_t_gho` ADD COLUMN sneaky INT NULL'],
    offline: [],
    reported: (db) => `ALTER TABLE ${db}._t_gho changed osc's ghost table during the migration`,
  },
  {
    name: 'stmtfmt',
    // A session may choose its own format (SUPER or SYSTEM_VARIABLES_ADMIN); its DML then reaches the binlog as text.
    live: [
      "SET SESSION binlog_format = 'STATEMENT'",
      'UPDATE t SET qty = qty + 5000 WHERE id <= 300',
      "SET SESSION binlog_format = 'ROW'",
    ],
    offline: [`UPDATE ${TABLE_TOKEN} SET qty = qty + 5000 WHERE id <= 300`],
    reported: (db) => `UPDATE ${db}.t reached the binlog as a statement`,
  },
];

describe('statements that change the table outside row events stop the migration', () => {
  for (const change of CHANGES) {
    test(`${change.name}: exit 1, nothing lost, the original as the application left it`, async () => {
      await expectStoppedIntact(change, await migrateWithChange(change));
    });
  }
});
