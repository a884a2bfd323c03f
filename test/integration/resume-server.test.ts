// --resume when the server is no longer as the checkpoint left it, on a private sandbox (the shared servers are never
// reconfigured, and their logs never purged: their replicas and other tests read them). osc is killed mid-copy under
// a write load; then
// - a failover: the replica, promoted, has the dead run's tables (replicated) but is another server: --resume there
//   is refused naming both servers;
// - the binary log the checkpoint points at, purged (FLUSH + PURGE BINARY LOGS): --resume is refused with the reason;
// each refusal exit 2 with nothing changed; and the way forward the message names (--initially-drop-ghost-table)
// completes exactly.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { exactConnection, LoadGenerator, qualified, type Endpoint } from '../support/load.js';
import { startPrivateSandbox, type PrivateSandbox } from '../support/private-sandbox.js';
import { explainRun, migrationUser, MIGRATION_USER, oscArgv, RUN_TAG, runOsc } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { spawnOsc } from '../support/kill.js';
import { describeComparison, snapshotTable, tableNames, verifyMigration } from '../support/verify.js';
import { expectedDatabase, prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';

const ROWS = 4_000;

let sandbox: PrivateSandbox;
let admin: Connection;
let dir: string;

beforeAll(async () => {
  sandbox = await startPrivateSandbox(testServer().flavor);
  admin = await exactConnection(sandbox.primary);
  dir = mkdtempSync(join(tmpdir(), 'osc-purged-'));
}, 240_000);

afterAll(async () => {
  await admin?.end().catch(() => undefined);
  // The whole sandbox goes, its databases with it.
  await sandbox?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

async function rows(sql: string, params: unknown[] = []): Promise<RowDataPacket[]> {
  const [r] = await admin.query<RowDataPacket[]>(sql, params);
  return r;
}

interface Stored {
  readonly phase: string;
  readonly copy: unknown;
  readonly binlog: { readonly file: string };
}

async function checkpointOf(database: string): Promise<Stored> {
  const [row] = await rows(`SELECT value FROM ${qualified(database, '_t_ghk')} WHERE name = 'checkpoint'`).catch(
    () => [],
  );
  return row === undefined
    ? { phase: '', copy: null, binlog: { file: '' } }
    : (JSON.parse(String(row['value'])) as Stored);
}

async function ghostRows(database: string): Promise<number> {
  const [row] = await rows(`SELECT COUNT(*) AS n FROM ${qualified(database, '_t_gho')}`).catch(() => []);
  return Number(row?.['n'] ?? 0);
}

/**
 * A failover: the replica, once it has the dead run's checkpoint, is promoted (replication stopped and forgotten,
 * writable); --resume pointed at it is refused, naming both servers, and changes nothing there.
 */
async function refusedOnPromotedReplica(database: string, mig: Endpoint): Promise<void> {
  const replica = await exactConnection(sandbox.replica);
  try {
    const text = async (c: Connection) => {
      const [r] = await c
        .query<RowDataPacket[]>(`SELECT value FROM ${qualified(database, '_t_ghk')} WHERE name = 'checkpoint'`)
        .catch(() => [[] as RowDataPacket[]]);
      return String(r[0]?.['value'] ?? '');
    };
    const onPrimary = await text(admin);
    await waitFor(async () => (await text(replica)) === onPrimary, {
      timeoutMs: 30_000,
      message: "the dead run's checkpoint on the replica",
    });
    const mariadb = testServer().flavor === 'mariadb';
    await replica.query(mariadb ? 'STOP SLAVE' : 'STOP REPLICA');
    await replica.query(mariadb ? 'RESET SLAVE ALL' : 'RESET REPLICA ALL');
    await replica.query('SET GLOBAL read_only = OFF');
    const ids = async (c: Connection) => {
      const [r] = await c.query<RowDataPacket[]>('SELECT @@server_id AS id');
      return Number(r[0]?.['id']);
    };
    const [primaryId, replicaId] = [await ids(admin), await ids(replica)];
    const before = (await tableNames(replica, database)).sort();
    const run = await runOsc(
      oscArgv({ ...mig, host: sandbox.replica.host, port: sandbox.replica.port }, database, 't', [
        '--replica-server-id',
        String(uniqueServerId()),
        '--alter',
        ORDERS_ALTER,
        '--execute',
        '--resume',
      ]),
    );
    expect(run.code, explainRun(run)).toBe(2);
    expect(run.stderr).toContain('code=RESUME_REFUSED');
    expect(run.stderr).toMatch(
      new RegExp(
        `the checkpoint was written on another server \\([^)]*server_id ${primaryId}\\) than this one \\([^)]*server_id ${replicaId}\\)`,
      ),
    );
    expect((await tableNames(replica, database)).sort()).toEqual(before);
    expect(await text(replica)).toBe(onPrimary);
  } finally {
    await replica.end();
  }
}

test('kill -9 mid-copy; --resume on the promoted replica, and after the binlog was purged: refused; a fresh start completes exactly', async () => {
  const database = `osc_t_purged_${RUN_TAG}`;
  const model = ordersModel();
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, ORDERS_CREATE, 't', model, ROWS);
  const expected = { database: expectedDatabase(database), table: 't' };
  await recreateDatabase(admin, expected.database);
  await snapshotTable(admin, { database, table: 't' }, expected);
  const mig = await migrationUser(admin, sandbox.primary, database);
  const load = new LoadGenerator({
    endpoint: sandbox.primary,
    database,
    table: 't',
    model,
    seededRows: ROWS,
    rate: 100,
    writers: 2,
  }).start();
  const throttle = join(dir, 'throttle');
  const dead = spawnOsc(
    oscArgv(mig, database, 't', [
      '--alter',
      ORDERS_ALTER,
      '--execute',
      '--replica-server-id',
      String(uniqueServerId()),
      ...['--chunk-size', '50', '--nice-ratio', '4', '--threads', '1', '--throttle-flag-file', throttle],
    ]),
  );
  let checkpointFile: string;
  try {
    await waitFor(async () => (await ghostRows(database)) >= 200, { timeoutMs: 60_000, intervalMs: 10 });
    writeFileSync(throttle, '');
    await waitFor(
      async () => {
        const c = await checkpointOf(database);
        return c.phase === 'copy' && c.copy !== null;
      },
      { timeoutMs: 60_000, intervalMs: 50, message: 'a checkpoint in the middle of the copy' },
    );
    expect(await dead.kill()).toBe('SIGKILL');
    // The application writes on while osc is dead.
    await new Promise((r) => setTimeout(r, 500));
    checkpointFile = (await checkpointOf(database)).binlog.file;
    await refusedOnPromotedReplica(database, mig);
    // The primary's binlog rotated and purged past the checkpoint's.
    await admin.query('FLUSH BINARY LOGS');
    await waitFor(
      async () => {
        // The dead osc's dump thread may linger on the old log until the server notices, and PURGE keeps a log in use.
        for (const p of await rows(
          "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%'",
          [MIGRATION_USER],
        ))
          await admin.query(`KILL ${Number(p['id'])}`).catch(() => undefined);
        const logs = await rows('SHOW BINARY LOGS');
        const newest = String(logs[logs.length - 1]?.['Log_name']);
        await admin.query('PURGE BINARY LOGS TO ?', [newest]);
        return !(await rows('SHOW BINARY LOGS')).some((l) => String(l['Log_name']) === checkpointFile);
      },
      { timeoutMs: 30_000, intervalMs: 200, message: `binary log ${checkpointFile} purged` },
    );
  } catch (err) {
    await dead.kill();
    await load.stop().catch(() => undefined);
    throw err;
  }
  const oldest = String((await rows('SHOW BINARY LOGS'))[0]?.['Log_name']);
  const left = (await tableNames(admin, database)).sort();
  expect(left).toEqual(['_t_ghc', '_t_ghk', '_t_gho', 't']);
  const copied = await ghostRows(database);
  const osc = (rest: readonly string[]) =>
    runOsc(
      oscArgv(mig, database, 't', ['--replica-server-id', String(uniqueServerId()), '--alter', ORDERS_ALTER, ...rest]),
    );
  let loadResult: Awaited<ReturnType<LoadGenerator['stop']>>;
  try {
    const refused = await osc(['--execute', '--resume']);
    expect(refused.code, explainRun(refused)).toBe(2);
    expect(refused.stderr).toContain('code=RESUME_REFUSED');
    expect(refused.stderr).toContain(
      `binary log ${checkpointFile}, where replay must go on, is no longer on the server (the oldest is ${oldest}): it was purged, so changes made since cannot be replayed; start over with --initially-drop-ghost-table`,
    );
    expect((await tableNames(admin, database)).sort()).toEqual(left);
    expect(await ghostRows(database)).toBe(copied);
    // The way forward the message names, under the same load.
    const fresh = await osc(['--execute', '--initially-drop-ghost-table']);
    loadResult = await load.stop(300);
    expect(fresh.code, explainRun(fresh)).toBe(0);
  } catch (err) {
    await load.stop().catch(() => undefined);
    throw err;
  }
  expect((await tableNames(admin, database)).sort()).toEqual(['_t_del', 't']);
  const comparison = await verifyMigration({
    conn: admin,
    snapshot: expected,
    migrated: { database, table: 't' },
    writes: loadResult.writes,
    alter: ORDERS_ALTER,
  });
  expect(comparison.ok, describeComparison(comparison)).toBe(true);
}, 180_000);
