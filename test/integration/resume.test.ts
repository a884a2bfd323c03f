// kill -9 of osc under a write load, then `--resume`: the run goes on from its checkpoint and ends exact (row by row
// against the offline result). osc runs in a child process (support/kill.ts) so that SIGKILL leaves exactly what a
// crash leaves: its tables, a checkpoint a few seconds old, the sentry or a pending RENAME inside the cut-over.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, LoadGenerator, qualified, quoteId, type Endpoint } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, migrationUser, oscArgv, RUN_TAG, runOsc } from '../support/run-osc.js';
import type { OscRun } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { spawnOsc, type ChildRun } from '../support/kill.js';
import { describeComparison, snapshotTable, tableNames, verifyMigration } from '../support/verify.js';
import { expectedDatabase, prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';
import { pointStep, algorithmFor, type CutOverPoint } from '../support/cutover-points.js';
import type { CutOverAlgorithm } from '../../src/core/cutover/plan.js';

const ROWS = 4_000;
const ALTER = ORDERS_ALTER;
const flavor = testServer().flavor;

let admin: Connection;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

interface StoredCheckpoint {
  readonly phase: string;
  readonly copy: { readonly watermark: unknown; readonly done: boolean } | null;
  readonly binlog: { readonly file: string; readonly position: number };
  readonly gtid: string | null;
  readonly server: { readonly id: number; readonly uuid: string | null };
}

/** The checkpoint row's text, and a way to put another in its place (to simulate another server). */
async function checkpointText(database: string): Promise<string> {
  const [rows] = await admin.query<RowDataPacket[]>(
    `SELECT value FROM ${qualified(database, '_t_ghk')} WHERE name = 'checkpoint'`,
  );
  return String(rows[0]?.['value']);
}

async function setCheckpointText(database: string, text: string): Promise<void> {
  await admin.query(`UPDATE ${qualified(database, '_t_ghk')} SET value = ? WHERE name = 'checkpoint'`, [text]);
}

/** This server's identity and a GTID it has not executed (far beyond its own). */
async function serverFacts(): Promise<{ id: number; uuid: string | null; unexecuted: string }> {
  if (flavor === 'mysql') {
    const [rows] = await admin.query<RowDataPacket[]>('SELECT @@server_id AS id, @@server_uuid AS uuid');
    const uuid = String(rows[0]?.['uuid']);
    return { id: Number(rows[0]?.['id']), uuid, unexecuted: `${uuid}:900000000000` };
  }
  const [rows] = await admin.query<RowDataPacket[]>('SELECT @@server_id AS id, @@gtid_domain_id AS d');
  const id = Number(rows[0]?.['id']);
  return { id, uuid: null, unexecuted: `${Number(rows[0]?.['d'])}-${id}-900000000000` };
}

async function checkpointOf(database: string): Promise<StoredCheckpoint | null> {
  try {
    const [rows] = await admin.query<RowDataPacket[]>(
      `SELECT value FROM ${qualified(database, '_t_ghk')} WHERE name = 'checkpoint'`,
    );
    const v: unknown = rows[0]?.['value'];
    return typeof v === 'string' ? (JSON.parse(v) as StoredCheckpoint) : null;
  } catch {
    return null;
  }
}

/** A run killed with SIGKILL, its write load still going. */
interface DeadRun {
  readonly database: string;
  readonly mig: Endpoint;
  readonly load: LoadGenerator;
  readonly expected: { database: string; table: string };
  readonly dead: ChildRun;
}

async function killedRun(
  name: string,
  opts: {
    readonly args?: readonly string[];
    readonly env?: NodeJS.ProcessEnv;
    /** Resolves at the moment to kill. */
    readonly killWhen: (run: ChildRun, database: string) => Promise<unknown>;
  },
): Promise<DeadRun> {
  const database = `osc_t_resume_${name}_${RUN_TAG}`;
  const model = ordersModel();
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, ORDERS_CREATE, 't', model, ROWS);
  const expected = { database: expectedDatabase(database), table: 't' };
  await recreateDatabase(admin, expected.database);
  await snapshotTable(admin, { database, table: 't' }, expected);
  const mig = await migrationUser(admin, testServer().primary, database);
  const load = new LoadGenerator({
    endpoint: testServer().primary,
    database,
    table: 't',
    model,
    seededRows: ROWS,
    rate: 200,
    writers: 4,
  }).start();
  const dead = spawnOsc(
    oscArgv(mig, database, 't', [
      '--alter',
      ALTER,
      '--execute',
      '--replica-server-id',
      String(uniqueServerId()),
      ...(opts.args ?? []),
    ]),
    opts.env,
  );
  try {
    await Promise.race([
      opts.killWhen(dead, database),
      dead.exited.then((how) => {
        throw new Error(`osc ended (${String(how)}) before the kill point:\n${dead.stderr().slice(-3000)}`);
      }),
    ]);
  } catch (err) {
    await dead.kill();
    await load.stop().catch(() => undefined);
    throw err;
  }
  expect(await dead.kill()).toBe('SIGKILL');
  // The application goes on writing while osc is dead: those changes must reach the ghost through replay.
  await new Promise((r) => setTimeout(r, 500));
  return { database, mig, load, expected, dead };
}

function osc(r: DeadRun, rest: readonly string[]): Promise<OscRun> {
  return runOsc(oscArgv(r.mig, r.database, 't', ['--replica-server-id', String(uniqueServerId()), ...rest]));
}

/** `--resume --execute` under the still-running load; then the load stops and the result is compared offline. */
async function resumeAndVerify(r: DeadRun, rest: readonly string[] = []): Promise<OscRun> {
  const resumed = osc(r, ['--alter', ALTER, '--execute', '--resume', ...rest]);
  const run = await resumed.catch(async (err: unknown) => {
    await r.load.stop().catch(() => undefined);
    throw err;
  });
  const load = await r.load.stop(300);
  expect(run.code, explainRun(run)).toBe(0);
  expect((await tableNames(admin, r.database)).sort()).toEqual(['_t_del', 't']);
  const comparison = await verifyMigration({
    conn: admin,
    snapshot: r.expected,
    migrated: { database: r.database, table: 't' },
    writes: load.writes,
    alter: ALTER,
  });
  expect(comparison.ok, describeComparison(comparison)).toBe(true);
  return run;
}

async function ghostRows(database: string): Promise<number> {
  try {
    const [rows] = await admin.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${qualified(database, '_t_gho')}`);
    return Number(rows[0]?.['n'] ?? 0);
  } catch {
    return 0;
  }
}

const stderrShows = (run: ChildRun, re: RegExp, message: string) =>
  waitFor(() => re.test(run.stderr()), { timeoutMs: 60_000, intervalMs: 20, message });

/** The table takes a write at once (a no-op UPDATE, which needs the same locks as any write; 2 s at most). */
async function expectWritable(database: string): Promise<void> {
  const conn = await exactConnection(testServer().primary);
  try {
    await conn.query('SET SESSION lock_wait_timeout = 2, innodb_lock_wait_timeout = 2');
    await conn.query(`UPDATE ${qualified(database, 't')} SET id = id ORDER BY id LIMIT 1`);
  } finally {
    await conn.end();
  }
}

describe('kill -9, then --resume', () => {
  test('during the copy: refusals first (leftovers, noop, another ALTER), then --resume copies on from the watermark', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osc-resume-'));
    const throttle = join(dir, 'throttle');
    const r = await killedRun('copy', {
      // One slow worker; once rows are on the ghost the copy is throttled, so the next checkpoint (every 2 s) holds
      // a watermark in the middle of the table.
      args: ['--chunk-size', '50', '--nice-ratio', '4', '--threads', '1', '--throttle-flag-file', throttle],
      killWhen: async (_run, database) => {
        await waitFor(async () => (await ghostRows(database)) >= 200, {
          timeoutMs: 60_000,
          intervalMs: 10,
          message: 'the copy to start',
        });
        writeFileSync(throttle, '');
        await waitFor(
          async () => {
            const c = await checkpointOf(database);
            return c !== null && c.phase === 'copy' && c.copy !== null && c.copy.watermark !== null && !c.copy.done;
          },
          { timeoutMs: 60_000, intervalMs: 50, message: 'a checkpoint in the middle of the copy' },
        );
      },
    });
    rmSync(dir, { recursive: true, force: true });
    const tables = async () => (await tableNames(admin, r.database)).sort();
    const left = await tables();
    expect(left).toEqual(['_t_ghc', '_t_ghk', '_t_gho', 't']);
    try {
      // Without --resume: refused, naming both ways forward.
      const plain = await osc(r, ['--alter', ALTER, '--execute']);
      expect(plain.code, explainRun(plain)).toBe(2);
      expect(plain.stderr).toContain('code=TABLE_EXISTS');
      expect(plain.stderr).toMatch(/earlier osc run .* --resume .* --initially-drop-ghost-table/);
      // --resume without --execute: reports what it would resume, drops nothing.
      const noop = await osc(r, ['--alter', ALTER, '--resume']);
      expect(noop.code, explainRun(noop)).toBe(0);
      expect(noop.stdout).toMatch(
        /--execute would resume the dead run from its checkpoint: phase copy, copy part done/,
      );
      expect(noop.stdout).toContain("_t_gho (the dead run's, kept)");
      expect(await tables()).toEqual(left);
      // Another ALTER: refused with the reason, nothing changed.
      const other = await osc(r, ['--alter', 'ADD COLUMN other INT', '--execute', '--resume']);
      expect(other.code, explainRun(other)).toBe(2);
      expect(other.stderr).toContain('code=RESUME_REFUSED');
      expect(other.stderr).toMatch(/the checkpoint is for another ALTER/);
      expect(await tables()).toEqual(left);
      // The checkpoint names this server and the GTIDs at its position.
      const text = await checkpointText(r.database);
      const saved = JSON.parse(text) as StoredCheckpoint;
      const facts = await serverFacts();
      expect(saved.server).toEqual({ id: facts.id, uuid: facts.uuid });
      // MySQL: the GTID of the transaction at the position, as zongji attached it to the events replay applied.
      expect(saved.gtid).toMatch(flavor === 'mysql' ? /^[0-9a-f-]{36}:\d+$/ : /^\d+-\d+-\d+(,\d+-\d+-\d+)*$/);
      // Another server (as after a failover to a replica): refused, naming both.
      await setCheckpointText(
        r.database,
        JSON.stringify({ ...saved, server: { ...saved.server, id: facts.id + 1000 } }),
      );
      const moved = await osc(r, ['--alter', ALTER, '--execute', '--resume']);
      expect(moved.code, explainRun(moved)).toBe(2);
      expect(moved.stderr).toContain('code=RESUME_REFUSED');
      expect(moved.stderr).toMatch(
        new RegExp(
          `the checkpoint was written on another server \\([^)]*server_id ${facts.id + 1000}\\) than this one \\([^)]*server_id ${facts.id}\\).*point --host at the server the run began on, or start over with --initially-drop-ghost-table`,
        ),
      );
      expect(await tables()).toEqual(left);
      // A GTID the server has not executed (as on a server restored from an older backup): refused, saying which.
      await setCheckpointText(r.database, JSON.stringify({ ...saved, gtid: facts.unexecuted }));
      const restored = await osc(r, ['--alter', ALTER, '--execute', '--resume']);
      expect(restored.code, explainRun(restored)).toBe(2);
      expect(restored.stderr).toContain('code=RESUME_REFUSED');
      expect(restored.stderr).toContain(`this server has not executed GTID ${facts.unexecuted}`);
      expect(restored.stderr).toMatch(
        /it lost transactions since the checkpoint .* start over with --initially-drop-ghost-table/,
      );
      expect(await tables()).toEqual(left);
      await setCheckpointText(r.database, text);
      // --resume and --initially-drop-ghost-table contradict each other.
      const both = await osc(r, ['--alter', ALTER, '--execute', '--resume', '--initially-drop-ghost-table']);
      expect(both.code, explainRun(both)).toBe(2);
      expect(both.stderr).toContain('code=BAD_USAGE');
      expect(await tables()).toEqual(left);
    } catch (err) {
      await r.load.stop().catch(() => undefined);
      throw err;
    }
    const run = await resumeAndVerify(r);
    expect(run.stdout).toMatch(/resuming the dead run from its checkpoint: phase copy, copy part done/);
  });

  test('after the copy, while replay goes on (a hook holds the run there)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osc-resume-'));
    const hook = join(dir, 'osc-on-row-copy-complete');
    writeFileSync(hook, '#!/bin/sh\nsleep 20\n', { mode: 0o755 });
    try {
      const r = await killedRun('catchup', {
        args: ['--hooks-path', dir],
        killWhen: (_run, database) =>
          waitFor(
            async () => {
              const c = await checkpointOf(database);
              return c?.phase === 'copy' && c.copy?.done === true;
            },
            { timeoutMs: 60_000, intervalMs: 50, message: 'a checkpoint after the copy' },
          ),
      });
      const run = await resumeAndVerify(r);
      expect(run.stdout).toMatch(/resuming the dead run from its checkpoint: phase copy, copy complete/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('during the checksum (a throttle flag, set by a hook once the copy is done, holds it there)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osc-resume-'));
    const flag = join(dir, 'throttle');
    const hook = join(dir, 'osc-on-row-copy-complete');
    // The pause lets the throttler's flag check (every 100 ms) see the flag before the checksum's first chunk.
    writeFileSync(hook, `#!/bin/sh\ntouch '${flag}'\nsleep 0.5\n`, { mode: 0o755 });
    try {
      const r = await killedRun('checksum', {
        args: ['--hooks-path', dir, '--throttle-flag-file', flag],
        killWhen: async (run, database) => {
          await stderrShows(run, / to=checksum\b/, 'the checksum phase');
          // The phase change is checkpointed at once.
          await waitFor(async () => (await checkpointOf(database))?.phase === 'checksum', {
            timeoutMs: 10_000,
            intervalMs: 20,
            message: 'a checkpoint of the checksum phase',
          });
          // Inside the checksum, waiting on the flag.
          await new Promise((res) => setTimeout(res, 300));
          expect(run.stderr()).not.toMatch(/ checksum_done /);
        },
      });
      rmSync(flag, { force: true });
      const run = await resumeAndVerify(r);
      expect(run.stdout).toMatch(
        /resuming the dead run from its checkpoint: phase checksum \(it died verifying the copy: the checksum runs again in full\), copy complete/,
      );
      expect(run.stdout).toMatch(/verified: +\d+ rows in \d+ chunks, 0 repaired/);
      // The dead run's copy ranges are not known here: the checksum searches its own boundaries.
      expect(run.stderr).toMatch(/checksum_start mode=range chunks=searched /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('while the cut-over is postponed; a purged binary log is refused first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osc-resume-'));
    const flag = join(dir, 'postpone');
    writeFileSync(flag, '');
    try {
      const r = await killedRun('postponed', {
        args: ['--postpone-cut-over-flag-file', flag],
        killWhen: (_run, database) =>
          waitFor(async () => (await checkpointOf(database))?.phase === 'postponed', {
            timeoutMs: 60_000,
            intervalMs: 50,
            message: 'a checkpoint while postponed',
          }),
      });
      // The binlog the checkpoint points at, purged: PURGE BINARY LOGS on the shared server would cut other tests'
      // binlog readers off, so the checkpoint is pointed at a log the server no longer has (the one before its oldest).
      const [logs] = await admin.query<RowDataPacket[]>('SHOW BINARY LOGS');
      const oldest = String(logs[0]?.['Log_name']);
      const m = /^(.*\.)(\d+)$/.exec(oldest)!;
      const gone = `${m[1]}${String(Number(m[2]) - 1).padStart(m[2]!.length, '0')}`;
      const ghk = qualified(r.database, '_t_ghk');
      const [saved] = await admin.query<RowDataPacket[]>(`SELECT value FROM ${ghk} WHERE name = 'checkpoint'`);
      const text = String(saved[0]?.['value']);
      const c = JSON.parse(text) as { binlog: { file: string } };
      await admin.query(`UPDATE ${ghk} SET value = ? WHERE name = 'checkpoint'`, [
        JSON.stringify({ ...c, binlog: { ...c.binlog, file: gone } }),
      ]);
      try {
        const purged = await osc(r, ['--alter', ALTER, '--execute', '--resume']);
        expect(purged.code, explainRun(purged)).toBe(2);
        expect(purged.stderr).toContain('code=RESUME_REFUSED');
        expect(purged.stderr).toContain(`binary log ${gone}, where replay must go on, is no longer on the server`);
        expect((await tableNames(admin, r.database)).sort()).toEqual(['_t_ghc', '_t_ghk', '_t_gho', 't']);
      } catch (err) {
        await r.load.stop().catch(() => undefined);
        throw err;
      }
      await admin.query(`UPDATE ${ghk} SET value = ? WHERE name = 'checkpoint'`, [text]);
      // Resumed without the flag file: it goes straight on to the cut-over.
      await resumeAndVerify(r);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Inside the cut-over, at each point (support/cutover-points.ts) of the algorithm osc takes on this server: the
  // writers go on while osc is dead, the table must take their writes at once, and --resume must end exact.
  describe('inside the cut-over', () => {
    const algorithm: CutOverAlgorithm = algorithmFor(testServer().flavor);

    /** Kills osc right after the point's step; returns the dead run and the tables it left. */
    async function killedAt(point: CutOverPoint): Promise<{ r: DeadRun; left: string[] }> {
      const step = pointStep(point, algorithm);
      const r = await killedRun(`co_${point}`, {
        env: { OSC_TEST_PAUSE_AT: step },
        killWhen: (run) => stderrShows(run, new RegExp(`osc-test-paused ${step}\\b`), `the cut-over at ${step}`),
      });
      try {
        expect(r.dead.stderr()).toContain(`algorithm=${algorithm}`);
        await expectWritable(r.database);
      } catch (err) {
        await r.load.stop().catch(() => undefined);
        throw err;
      }
      return { r, left: (await tableNames(admin, r.database)).sort() };
    }

    test('holding the lock: nothing renamed (two connections: the sentry is left behind)', async () => {
      const { r, left } = await killedAt('locked');
      const sentry = algorithm === 'two-connection';
      expect(left).toEqual([...(sentry ? ['_t_del'] : []), '_t_ghc', '_t_ghk', '_t_gho', 't']);
      const run = await resumeAndVerify(r);
      if (sentry) expect(run.stdout).toMatch(/_t_del is the dead run's cut-over sentry/);
    });

    test('the marker replayed, the lock held', async () => {
      const { r, left } = await killedAt('replayed');
      expect(left).toEqual([...(algorithm === 'two-connection' ? ['_t_del'] : []), '_t_ghc', '_t_ghk', '_t_gho', 't']);
      await resumeAndVerify(r);
    });

    test('at the rename: two connections, the RENAME queued with the sentry dropped; single session, just before it', async () => {
      const { r, left } = await killedAt('renaming');
      if (algorithm === 'single-session') {
        // osc died holding the lock with the RENAME next: its session ended, the lock went, nothing was renamed.
        expect(left).toEqual(['_t_ghc', '_t_ghk', '_t_gho', 't']);
        const run = await resumeAndVerify(r);
        expect(run.stdout).toMatch(/resuming the dead run from its checkpoint: phase cutover/);
      } else {
        // Once osc's lock connection is gone the server runs the queued RENAME: --resume finds the tables swapped
        // and only drops what is left (or, had the RENAME not run, resumes the run).
        const run = await resumeAndVerify(r);
        expect(run.stdout + run.stderr).toMatch(/the dead run's cut-over had completed|resuming the dead run/);
      }
    });

    test('the tables swapped (single session: before the unlock)', async () => {
      const { r, left } = await killedAt('swapped');
      expect(left).toEqual(['_t_del', '_t_ghc', '_t_ghk', 't']);
      const run = await resumeAndVerify(r);
      expect(run.stdout + run.stderr).toMatch(/the dead run's cut-over had completed/);
    });
  });

  test('a composite key of awkward types, killed mid-copy: the resumed copy starts exactly after the watermark', async () => {
    const database = `osc_t_resume_keys_${RUN_TAG}`;
    await recreateDatabase(admin, database);
    await admin.query(`USE ${quoteId(database)}`);
    // BIGINT UNSIGNED beyond 2^53, a cp1251 string holding 0x98 (a byte cp1251 leaves undefined) under a binary
    // collation, DATETIME(6), an ENUM whose member order is not its names' order, DECIMAL(30,9).
    await admin.query(`CREATE TABLE t (
      big BIGINT UNSIGNED NOT NULL,
      s VARCHAR(8) CHARACTER SET cp1251 COLLATE cp1251_bin NOT NULL,
      d DATETIME(6) NOT NULL,
      e ENUM('z','y','x') NOT NULL,
      m DECIMAL(30,9) NOT NULL,
      v INT NOT NULL,
      PRIMARY KEY (big, s, d, e, m)
    ) ENGINE=InnoDB`);
    const digits =
      '(SELECT 0 n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
    await admin.query(
      `INSERT INTO t SELECT 18446744073709551615 - (x.n DIV 30) * 4097, UNHEX(ELT(1 + x.n MOD 3, '98', '41', 'C098')),
         TIMESTAMPADD(MICROSECOND, x.n MOD 10, '2024-02-29 23:59:59.999990'), ELT(1 + x.n MOD 3, 'z', 'y', 'x'),
         x.n MOD 5 + 123456789012345678901.000000001, x.n
       FROM (SELECT a.n + 10 * b.n + 100 * c.n + 1000 * d.n AS n FROM ${digits} a, ${digits} b, ${digits} c, ${digits} d) x
       WHERE x.n < 3000`,
    );
    const expected = { database: expectedDatabase(database), table: 't' };
    await recreateDatabase(admin, expected.database);
    await snapshotTable(admin, { database, table: 't' }, expected);
    const mig = await migrationUser(admin, testServer().primary, database);
    const alter = 'ADD COLUMN extra INT NOT NULL DEFAULT 7';
    const dir = mkdtempSync(join(tmpdir(), 'osc-resume-'));
    const throttle = join(dir, 'throttle');
    const dead = spawnOsc(
      oscArgv(mig, database, 't', [
        '--alter',
        alter,
        '--execute',
        '--replica-server-id',
        String(uniqueServerId()),
        ...['--chunk-size', '50', '--nice-ratio', '4', '--threads', '1', '--throttle-flag-file', throttle],
      ]),
    );
    try {
      await waitFor(async () => (await ghostRows(database)) >= 500, { timeoutMs: 60_000, intervalMs: 10 });
      writeFileSync(throttle, '');
      await waitFor(
        async () => {
          const c = await checkpointOf(database);
          return c?.phase === 'copy' && c.copy?.watermark != null && !c.copy.done;
        },
        { timeoutMs: 60_000, intervalMs: 50, message: 'a checkpoint in the middle of the copy' },
      );
    } finally {
      await dead.kill();
      rmSync(dir, { recursive: true, force: true });
    }
    const copiedBefore = await ghostRows(database);
    const run = await runOsc(
      oscArgv(mig, database, 't', [
        '--alter',
        alter,
        '--execute',
        '--resume',
        '--replica-server-id',
        String(uniqueServerId()),
      ]),
    );
    expect(run.code, explainRun(run)).toBe(0);
    // It copied on from the watermark, not from the start, and not past any row.
    const copied = Number(/rows copied:\s+(\d+)/.exec(run.stdout)?.[1]);
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThanOrEqual(3000 - copiedBefore + 100);
    const comparison = await verifyMigration({
      conn: admin,
      snapshot: expected,
      migrated: { database, table: 't' },
      writes: [],
      alter,
    });
    expect(comparison.ok, describeComparison(comparison)).toBe(true);
  });

  test('--resume with nothing to resume is refused', async () => {
    const database = `osc_t_resume_none_${RUN_TAG}`;
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, ORDERS_CREATE, 't', ordersModel(), 10);
    const mig = await migrationUser(admin, testServer().primary, database);
    const run = await runOsc(
      oscArgv(mig, database, 't', ['--alter', ALTER, '--execute', '--resume', '--replica-server-id', '1234567']),
    );
    expect(run.code, explainRun(run)).toBe(2);
    expect(run.stderr).toContain('code=NOTHING_TO_RESUME');
    expect(await tableNames(admin, database)).toEqual(['t']);
    await admin.query(`DROP DATABASE ${quoteId(database)}`);
  });
});
