// The checksum's consistent points, through main(): a pass goes on at a new point after one of its sessions is
// killed, releases its snapshots while paused for load and opens a new point when the pause ends, and a cut-over
// postponed past the re-check interval is checked again before the swap. The checksum's test-only hook
// (ChecksumTesting.afterChunk) stops it after a chosen chunk, so that each case happens mid-pass.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { exactConnection, qualified } from '../support/load.js';
import type { Endpoint } from '../support/load.js';
import { explainRun, migrationUser, oscArgv, repairsOf, runOsc, RUN_TAG } from '../support/run-osc.js';
import type { RunOptions } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { checksum, tableNames } from '../support/verify.js';
import { errorCodeOf, recreateDatabase } from '../scenarios/runner.js';

const DB = `osc_t_checksum_points_${RUN_TAG}`;
const ROWS = 1000;

let admin: Connection;
let mig: Endpoint;
let dir: string;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  await recreateDatabase(admin, DB);
  mig = await migrationUser(admin, testServer().primary, DB);
});

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
  await admin.end();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osc-checksum-points-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

async function createTable(table: string): Promise<void> {
  await admin.query(`DROP TABLE IF EXISTS ${qualified(DB, table)}, ${qualified(DB, `_${table}_del`)}`);
  await admin.query(`CREATE TABLE ${qualified(DB, table)} (id INT NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL)`);
  const rows = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, 'v ${i + 1}')`);
  await admin.query(`INSERT INTO ${qualified(DB, table)} VALUES ${rows.join(', ')}`);
}

/** Fixed chunks of 100 rows by default: 11 chunks, the last one everything above 1000. */
function migrate(table: string, extra: readonly string[], opts: RunOptions, chunkRows = 100) {
  return runOsc(
    oscArgv(mig, DB, table, [
      '--alter',
      'ADD INDEX v_idx (v)',
      '--execute',
      '--replica-server-id',
      String(uniqueServerId()),
      '--chunk-size',
      String(chunkRows),
      ...extra,
    ]),
    opts,
  );
}

async function exact(table: string): Promise<void> {
  expect(await checksum(admin, { database: DB, table })).toBe(
    await checksum(admin, { database: DB, table: `_${table}_del` }),
  );
}

/** Open transactions of these connections (the checksum's snapshots). */
async function openTransactions(threadIds: readonly number[]): Promise<number> {
  const [rows] = await admin.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id IN (?)`,
    [threadIds],
  );
  return Number(rows[0]?.['n'] ?? 0);
}

async function kill(threadId: number): Promise<void> {
  await admin.query(`KILL ${Number(threadId)}`).catch(() => undefined); // already gone: fine
}

function count(text: string, re: RegExp): number {
  return [...text.matchAll(re)].length;
}

describe('the checksum at its consistent points', () => {
  test('a session killed mid-pass: a new consistent point, the pass goes on, the migration ends exact', async () => {
    await createTable('k');
    let killing: Promise<void> | null = null;
    const run = await migrate('k', [], {
      checksumTesting: {
        afterChunk: async ({ checked, threadId }) => {
          // The session that checked chunk 3 is killed while idle; its next statement meets the loss. The other
          // worker waits here meanwhile, so that chunks are left for that statement.
          if (killing === null && checked === 3) killing = kill(threadId);
          await killing;
        },
      },
    });
    expect(run.code, explainRun(run)).toBe(0);
    expect(killing).not.toBeNull();
    expect(run.stderr).toMatch(/checksum_start mode=range chunks=copy-ranges /);
    expect(run.stderr).toMatch(/checksum_reopen reason=.* attempt="?attempt 1\/5"?/);
    expect(count(run.stderr, /checksum_snapshot /g)).toBe(2);
    expect(run.stderr).toMatch(/checksum_done .*snapshots=2 /);
    // Every chunk counted once, and nothing to repair (runOsc fails a run that repaired).
    expect(run.stdout).toMatch(/verified:\s+1000 rows in 11 chunks, 0 repaired/);
    await exact('k');
  });

  test('sessions killed again and again: the checksum gives up after its bound, the original untouched', async () => {
    await createTable('kk');
    const before = await checksum(admin, { database: DB, table: 'kk' });
    // Every session killed after its chunk; 51 chunks: more than six consistent points can check that way.
    const run = await migrate('kk', [], { checksumTesting: { afterChunk: ({ threadId }) => kill(threadId) } }, 20);
    expect(run.code, explainRun(run)).toBe(1);
    expect(errorCodeOf(run)).toBe('CHECKSUM_FAILED');
    expect(run.stderr).toMatch(/lost a session's connection 6 times/);
    expect(await tableNames(admin, DB)).toEqual(expect.not.arrayContaining(['_kk_gho', '_kk_ghc']));
    expect(await checksum(admin, { database: DB, table: 'kk' })).toBe(before);
  });

  test('join mode across two consistent points: an extra row is found by looking each ghost row up, and deleted', async () => {
    await admin.query(`DROP TABLE IF EXISTS ${qualified(DB, 'jk')}, ${qualified(DB, '_jk_del')}`);
    await admin.query(
      `CREATE TABLE ${qualified(DB, 'jk')} (a INT NOT NULL, b INT NOT NULL, v VARCHAR(20) NOT NULL, PRIMARY KEY (a, b))`,
    );
    const rows = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, ${ROWS - i}, 'v ${i + 1}')`);
    await admin.query(`INSERT INTO ${qualified(DB, 'jk')} VALUES ${rows.join(', ')}`);
    let killing: Promise<void> | null = null;
    const run = await runOsc(
      oscArgv(mig, DB, 'jk', [
        '--alter',
        'DROP PRIMARY KEY, ADD PRIMARY KEY (b, a)',
        '--execute',
        '--replica-server-id',
        String(uniqueServerId()),
        '--chunk-size',
        '100',
      ]),
      {
        allowRepairs: true,
        checksumTesting: {
          afterChunk: async ({ checked, threadId }) => {
            // An extra row behind osc's back, then a lost session: the pass ends at a second point, where no
            // count over the chunks can tell extra rows, so each ghost row is looked up in the original.
            killing ??=
              checked === 3
                ? admin
                    .query(`INSERT INTO ${qualified(DB, '_jk_gho')} (a, b, v) VALUES (5000, 5000, 'extra')`)
                    .then(() => kill(threadId))
                : null;
            await killing;
          },
        },
      },
    );
    expect(run.code, explainRun(run)).toBe(0);
    expect(run.stderr).toMatch(/checksum_start mode=join/);
    expect(run.stderr).toMatch(/checksum_reopen /);
    expect(run.stderr).toMatch(/checksum_repair extra_rows=1 /);
    expect(repairsOf(run.stdout)).toBe(1);
    expect(run.stdout).toMatch(/verified:\s+1000 rows in 11 chunks/);
    await exact('jk');
  });

  test('paused for load mid-pass: the snapshots are released, a new point opens when the pause ends', async () => {
    await createTable('p');
    const flag = join(dir, 'throttle');
    let paused: (ids: readonly number[]) => void = () => undefined;
    const pausedWith = new Promise<readonly number[]>((resolve) => (paused = resolve));
    let openAtPause = -1;
    let flagged: Promise<void> | null = null;
    let log = '';
    const run = migrate('p', ['--throttle-flag-file', flag], {
      onStderr: (t) => (log += t),
      checksumTesting: {
        afterChunk: async ({ checked, threadIds }) => {
          if (flagged === null && checked === 3) {
            flagged = (async () => {
              openAtPause = await openTransactions(threadIds);
              writeFileSync(flag, '');
              // The throttler reads the flag every 100 ms; every worker waits here meanwhile, so the pass
              // pauses with chunks left.
              await new Promise((res) => setTimeout(res, 300));
              paused(threadIds);
            })();
          }
          await flagged;
        },
      },
    });
    try {
      const ids = await pausedWith;
      // Held while the pause is short, released once it lasts (PAUSE_HOLD_MS).
      expect(openAtPause).toBe(ids.length);
      await waitFor(async () => (await openTransactions(ids)) === 0, {
        timeoutMs: 10_000,
        message: "the checksum's snapshots to be released",
      });
      expect(log).toMatch(/checksum_release reason="paused for load"/);
      expect(log).not.toMatch(/checksum_done/);
    } finally {
      rmSync(flag, { force: true });
    }
    const r = await run;
    expect(r.code, explainRun(r)).toBe(0);
    expect(count(r.stderr, /checksum_snapshot /g)).toBe(2);
    expect(r.stderr).toMatch(/checksum_done .*snapshots=2 /);
    expect(r.stdout).toMatch(/verified:\s+1000 rows in 11 chunks, 0 repaired/);
    await exact('p');
  });

  test('a cut-over postponed past the re-check interval is checked again, and what changed is repaired', async () => {
    await createTable('r');
    const postpone = join(dir, 'postpone');
    writeFileSync(postpone, '');
    let log = '';
    const run = migrate('r', ['--postpone-cut-over-flag-file', postpone], {
      allowRepairs: true,
      onStderr: (t) => (log += t),
      checksumTesting: { recheckAfterMs: 1000 },
    });
    try {
      await waitFor(() => /postponing cut-over/.test(log), { timeoutMs: 60_000, message: 'the postponement' });
      // Behind osc's back, after the first checksum: only the re-check can find it.
      await admin.query(`UPDATE ${qualified(DB, '_r_gho')} SET v = 'changed' WHERE id = 5`);
      await new Promise((res) => setTimeout(res, 1500));
    } finally {
      rmSync(postpone, { force: true });
    }
    const r = await run;
    expect(r.code, explainRun(r)).toBe(0);
    expect(count(r.stderr, /checksum_start /g)).toBe(2);
    expect(count(r.stderr, / to=checksum\b/g)).toBe(2);
    expect(r.stderr).toMatch(/checksum_repair range="?id from the start to 100"? repair=1/);
    expect(repairsOf(r.stdout)).toBe(1);
    await exact('r');
    expect(existsSync(postpone)).toBe(false);
  });
});
