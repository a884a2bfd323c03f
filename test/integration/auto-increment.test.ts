// The AUTO_INCREMENT counter survives the swap: ids the original handed out (rows since deleted, rolled-back
// inserts) are never handed out again, whether the counter moved before the migration or while it waited to cut over.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { exactConnection, qualified, quoteId } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, migrationUser, oscArgv, runOsc, RUN_TAG } from '../support/run-osc.js';
import type { Endpoint } from '../support/load.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';

const DB = `osc_t_autoinc_${RUN_TAG}`;
const LONG = 120_000;

let admin: Connection;
let mig: Endpoint;
let dir: string;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  dir = mkdtempSync(join(tmpdir(), 'osc-ai-'));
});

beforeEach(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await admin.query(`CREATE DATABASE ${quoteId(DB)}`);
  await admin.query(`USE ${quoteId(DB)}`);
  await admin.query('CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB');
  mig = await migrationUser(admin, testServer().primary, DB);
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

/** The exact counter (SHOW CREATE TABLE); 1 when the statement shows none. */
async function counter(table: string): Promise<number> {
  const [rows] = await admin.query<RowDataPacket[]>(`SHOW CREATE TABLE ${qualified(DB, table)}`);
  const m = /\) ENGINE=\S+ AUTO_INCREMENT=(\d+)/.exec(String(rows[0]?.['Create Table']));
  return m ? Number(m[1]) : 1;
}

async function insertRows(n: number): Promise<void> {
  await admin.query(`INSERT INTO t (v) VALUES ${Array.from({ length: n }, (_, i) => `(${i})`).join(', ')}`);
}

const ARGS = ['--alter', 'ADD COLUMN extra INT NULL', '--execute', '--chunk-size', '100'];

describe('the AUTO_INCREMENT counter (hole 14)', () => {
  test('a counter above the highest id (rows 5-7 deleted) stands at 8 after the swap', async () => {
    await insertRows(7);
    await admin.query('DELETE FROM t WHERE id >= 5');
    expect(await counter('t')).toBe(8);

    const run = await runOsc(oscArgv(mig, DB, 't', [...ARGS, '--replica-server-id', String(uniqueServerId())]), {
      signal: AbortSignal.timeout(LONG),
    });
    expect(run.code, explainRun(run)).toBe(0);
    expect(await counter('t')).toBe(8);
    const [res] = await admin.query<ResultSetHeader>('INSERT INTO t (v) VALUES (100)');
    expect(res.insertId).toBe(8);
  });

  test('a counter raised while osc waits to cut over (inserts then deletes at the top, a rolled-back insert) ends right after the swap', async () => {
    await insertRows(2000);
    const flag = join(dir, 'postpone');
    writeFileSync(flag, '');
    let stderr = '';
    const done = runOsc(
      oscArgv(mig, DB, 't', [
        ...ARGS,
        '--replica-server-id',
        String(uniqueServerId()),
        '--postpone-cut-over-flag-file',
        flag,
        '--serve-socket-file',
        join(dir, 'osc.sock'),
      ]),
      { onStderr: (t) => (stderr += t), signal: AbortSignal.timeout(LONG) },
    );
    let ended = false;
    void done.finally(() => (ended = true));
    try {
      await waitFor(() => ended || /postponing cut-over/.test(stderr), {
        timeoutMs: LONG,
        intervalMs: 20,
        message: 'postponed',
      });
      // While osc replays and waits: ids 2001-2010 inserted and deleted, then 2011-2015 rolled back.
      await insertRows(10);
      await admin.query('DELETE FROM t WHERE id > 2000');
      await admin.query('BEGIN');
      await insertRows(5);
      await admin.query('ROLLBACK');
      expect(await counter('t')).toBe(2016);
    } finally {
      unlinkSync(flag);
    }
    const run = await done;
    expect(run.code, explainRun(run)).toBe(0);
    expect(await counter('_t_del')).toBe(2016);
    expect(await counter('t')).toBe(2016);
    const [res] = await admin.query<ResultSetHeader>('INSERT INTO t (v) VALUES (100)');
    expect(res.insertId).toBe(2016);
  });

  test('a counter moving until the lock (inserts rolled back in a tight loop) never hands out an id twice', async () => {
    await insertRows(2000);
    const flag = join(dir, 'postpone');
    writeFileSync(flag, '');
    let stderr = '';
    const done = runOsc(
      oscArgv(mig, DB, 't', [
        ...ARGS,
        '--replica-server-id',
        String(uniqueServerId()),
        '--postpone-cut-over-flag-file',
        flag,
        '--serve-socket-file',
        join(dir, 'osc.sock'),
      ]),
      { onStderr: (t) => (stderr += t), signal: AbortSignal.timeout(LONG) },
    );
    let ended = false;
    void done.finally(() => (ended = true));
    // One session: on one table its ids only ever rise, so an id at or below an earlier one came from a counter
    // the swap set back. Rolled-back inserts move the original's counter and never reach the binlog.
    const writer = await exactConnection(testServer().primary, DB);
    const ids: number[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        await writer.query('BEGIN');
        const [res] = await writer.query<ResultSetHeader>('INSERT INTO t (v) VALUES (1)');
        await writer.query('ROLLBACK');
        ids.push(res.insertId);
      }
    })();
    try {
      await waitFor(() => ended || /postponing cut-over/.test(stderr), {
        timeoutMs: LONG,
        intervalMs: 20,
        message: 'postponed',
      });
      unlinkSync(flag);
      await done;
      // A few more ids from the migrated table.
      const after = ids.length;
      await waitFor(() => ids.length >= after + 20, { timeoutMs: LONG, message: 'inserts after the swap' });
    } finally {
      stop = true;
      await loop;
      await writer.end();
    }
    const run = await done;
    expect(run.code, explainRun(run)).toBe(0);
    const repeated = ids.filter((id, i) => i > 0 && id <= (ids[i - 1] as number));
    expect(repeated, `ids handed out again after the swap (of ${ids.length})`).toEqual([]);
  });
});
