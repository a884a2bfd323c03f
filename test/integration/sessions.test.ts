// osc's sessions against the server's settings: a short wait_timeout must not end any of them (and the run lock
// must keep a second run out for the whole run); a lost run lock stops the run; the server's sql_mode decides what
// the ALTER accepts, as it would for a native ALTER.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { exactConnection, quoteId } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, migrationUser, oscArgv, runOsc, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { columnsOf, compareTables, describeComparison, replayWrites, tableNames } from '../support/verify.js';
import { migrateUnderLoad, prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_COLUMNS, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';

const ROWS = 5_000;
const LONG = 60_000;
let admin: Connection;
let dir: string;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osc-sessions-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `fn` while the server gives the migration user's new sessions wait_timeout=5, as if the server's global
 * value were 5: sessions read it when they connect. Done through init_connect (which runs for accounts without
 * SUPER / CONNECTION_ADMIN, such as the migration user) so that the other sessions on this shared server keep theirs.
 */
async function withShortWaitTimeout<T>(fn: () => Promise<T>): Promise<T> {
  const [rows] = await admin.query<RowDataPacket[]>('SELECT @@GLOBAL.init_connect AS ic');
  const previous = String(rows[0]?.['ic'] ?? '');
  await admin.query('SET GLOBAL init_connect = ?', [
    `SET SESSION wait_timeout = CAST(IF(SUBSTRING_INDEX(CURRENT_USER(), '@', 1) = '${MIGRATION_USER}', 5, @@GLOBAL.wait_timeout) AS UNSIGNED)`,
  ]);
  try {
    return await fn();
  } finally {
    await admin.query('SET GLOBAL init_connect = ?', [previous]);
  }
}

async function seededDatabase(name: string): Promise<string> {
  const database = `osc_t_ses_${name}_${RUN_TAG}`;
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, ORDERS_CREATE, 't', ordersModel(), ROWS);
  return database;
}

const lockHolder = async (database: string): Promise<number | null> => {
  const [rows] = await admin.query<RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [`osc:${database}.t`]);
  const id: unknown = rows[0]?.['id'];
  return id === null || id === undefined ? null : Number(id);
};

describe('a short wait_timeout on the server', () => {
  test('a whole run with wait_timeout=5 and a cut-over postponed for 13 s succeeds; a second run meanwhile is refused and drops nothing', async () => {
    const database = await seededDatabase('wt');
    const flag = join(dir, 'postpone');
    writeFileSync(flag, '');
    let second: Awaited<ReturnType<typeof runOsc>> | null = null;
    let ghostAfterSecond: string[] = [];
    const result = await withShortWaitTimeout(() =>
      migrateUnderLoad({
        admin,
        primary: testServer().primary,
        database,
        table: 't',
        model: ordersModel(),
        seededRows: ROWS,
        alter: ORDERS_ALTER,
        args: [
          '--chunk-size',
          '500',
          '--postpone-cut-over-flag-file',
          flag,
          '--serve-socket-file',
          join(dir, 'first.sock'),
        ],
        replicaServerId: uniqueServerId(),
        during: async ({ stderr, migrationUser: mig }) => {
          try {
            await waitFor(() => / to=postponed\b/.test(stderr()), {
              timeoutMs: LONG,
              intervalMs: 50,
              message: 'the cut-over to be postponed',
            });
            const postponedAt = Date.now();
            // Past the idle limit twice over: every session osc holds would be gone by now without its own setting.
            await new Promise((r) => setTimeout(r, 12_000));
            // Another operator, elsewhere (its own socket), tries the same table and asks to drop leftovers.
            second = await runOsc(
              oscArgv(mig, database, 't', [
                '--alter',
                ORDERS_ALTER,
                '--execute',
                '--initially-drop-ghost-table',
                '--serve-socket-file',
                join(dir, 'second.sock'),
                '--replica-server-id',
                String(uniqueServerId()),
              ]),
            );
            ghostAfterSecond = await tableNames(admin, database);
            await new Promise((r) => setTimeout(r, Math.max(0, postponedAt + 13_000 - Date.now())));
          } finally {
            unlinkSync(flag);
          }
        },
      }),
    );
    expect(second, 'the second run ran').not.toBeNull();
    expect(second!.code, explainRun(second!)).toBe(2);
    expect(second!.stderr).toMatch(/code=ALREADY_RUNNING/);
    expect(ghostAfterSecond.sort()).toEqual(['_t_ghc', '_t_ghk', '_t_gho', 't']);
    expect(result.run.code, explainRun(result.run)).toBe(0);
    expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
      true,
    );
    expect(result.writesDuringRun).toBeGreaterThan(0);
  });
});

describe('the run lock', () => {
  test('its session KILLed: the migration fails at once, saying why; the original is untouched and osc’s tables gone', async () => {
    const database = await seededDatabase('lockkill');
    const flag = join(dir, 'postpone');
    writeFileSync(flag, '');
    let killed: number | null = null;
    const r = await migrateUnderLoad({
      admin,
      primary: testServer().primary,
      database,
      table: 't',
      model: ordersModel(),
      seededRows: ROWS,
      alter: ORDERS_ALTER,
      args: [
        '--chunk-size',
        '500',
        '--postpone-cut-over-flag-file',
        flag,
        '--serve-socket-file',
        join(dir, 'osc.sock'),
      ],
      replicaServerId: uniqueServerId(),
      during: async ({ stderr, done }) => {
        try {
          await waitFor(() => / to=postponed\b/.test(stderr()), {
            timeoutMs: LONG,
            intervalMs: 50,
            message: 'the cut-over to be postponed',
          });
          killed = await lockHolder(database);
          expect(killed).not.toBeNull();
          await admin.query(`KILL ${Number(killed)}`);
          // A run that went on unprotected would wait here until the flag file goes: give it 15 s, then let it go.
          await Promise.race([done, new Promise((res) => setTimeout(res, 15_000))]);
        } finally {
          unlinkSync(flag);
        }
      },
    });
    expect(r.run.code, explainRun(r.run)).toBe(1);
    expect(r.run.stderr).toMatch(/code=RUN_LOCK_LOST/);
    expect(r.run.stderr).toMatch(/the run lock 'osc:[^']+' was lost/);
    expect(await tableNames(admin, database)).toEqual(['t']);
    expect((await columnsOf(admin, { database, table: 't' })).map((c) => c.name)).toEqual(ORDERS_COLUMNS);
    await replayWrites(admin, r.load.writes, r.expected);
    const c = await compareTables(admin, r.expected, { database, table: 't' });
    expect(c.ok, describeComparison(c)).toBe(true);
    // Nothing of this run holds the lock any more.
    expect(await lockHolder(database)).toBeNull();
  });
});

describe("the server's sql_mode", () => {
  const ZERO_DEFAULT = "ADD COLUMN z DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00'";

  test('a zero date default under NO_ZERO_DATE is refused as a native ALTER refuses it: exit 2, nothing changed', async () => {
    const database = await seededDatabase('zerodate');
    const mig = await migrationUser(admin, testServer().primary, database);
    const [rows] = await admin.query<RowDataPacket[]>('SELECT @@GLOBAL.sql_mode AS m');
    const serverMode = String(rows[0]?.['m'] ?? '');
    // MySQL's default mode has NO_ZERO_DATE; MariaDB's does not: there it is added to the global mode, only until osc
    // has read it (its first session, before the 'server' line), so that other sessions on this server keep theirs.
    const mode = serverMode.includes('NO_ZERO_DATE') ? serverMode : `${serverMode},NO_ZERO_DATE`;
    // What a native ALTER says under that mode.
    await admin.query(`CREATE TABLE ${quoteId(database)}.native LIKE ${quoteId(database)}.t`);
    await admin.query('SET SESSION sql_mode = ?', [mode]);
    try {
      await expect(admin.query(`ALTER TABLE ${quoteId(database)}.native ${ZERO_DEFAULT}`)).rejects.toMatchObject({
        errno: 1067,
      });
    } finally {
      await admin.query('SET SESSION sql_mode = @@GLOBAL.sql_mode');
    }
    await admin.query(`DROP TABLE ${quoteId(database)}.native`);
    const before = await tableNames(admin, database);
    let restoring: Promise<unknown> | null = mode === serverMode ? Promise.resolve() : null;
    if (restoring === null) await admin.query('SET GLOBAL sql_mode = ?', [mode]);
    const restore = () => (restoring ??= admin.query('SET GLOBAL sql_mode = ?', [serverMode]));
    let run: Awaited<ReturnType<typeof runOsc>>;
    try {
      run = await runOsc(
        oscArgv(mig, database, 't', [
          '--alter',
          ZERO_DEFAULT,
          '--execute',
          '--serve-socket-file',
          join(dir, 'osc.sock'),
          '--replica-server-id',
          String(uniqueServerId()),
        ]),
        {
          onStderr: (t) => {
            if (/ server flavor=/.test(t)) void restore();
          },
        },
      );
    } finally {
      await restore();
    }
    expect(run.code, explainRun(run)).toBe(2);
    expect(run.stderr).toMatch(/code=ALTER_INVALID/);
    expect(await tableNames(admin, database)).toEqual(before);
    expect((await columnsOf(admin, { database, table: 't' })).map((c) => c.name)).toEqual(ORDERS_COLUMNS);
  });
});
