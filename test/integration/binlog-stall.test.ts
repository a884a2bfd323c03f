// A half-open binlog connection: a proxy between the reader and the server stops forwarding without closing
// anything. The streamer must notice (no byte although heartbeats were written), drop that connection, read on
// through a new one, and deliver every row exactly once, in order, a transaction cut in the middle included.
// Then the same through main(): a migration whose binlog dump connection freezes mid-copy still ends exact.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { BinlogPosition } from '../../src/core/binlog/events.js';
import { createStreamer, type BinlogStreamer } from '../../src/io/binlog/streamer.js';
import type { LogFields, Logger } from '../../src/core/log.js';
import { startFreezeProxy, type FreezeProxy } from '../support/freeze-proxy.js';
import { exactConnection, qualified } from '../support/load.js';
import { socketCommand } from '../support/operator.js';
import { onlyOurThrottles } from '../support/own-throttles.js';
import { dropUser, explainRun, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { describeComparison } from '../support/verify.js';
import { migrateUnderLoad, prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';

let admin: Connection;
let proxy: FreezeProxy | null = null;
const streamers: BinlogStreamer[] = [];

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterEach(async () => {
  for (const s of streamers.splice(0)) await s.stop();
  await proxy?.close();
  proxy = null;
});

afterAll(async () => {
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

interface Captured {
  readonly logger: Logger;
  readonly lines: { level: string; event: string; fields: LogFields }[];
}

function captureLogger(): Captured {
  const lines: Captured['lines'] = [];
  const at =
    (level: string) =>
    (event: string, fields: LogFields | string = {}) =>
      void lines.push({ level, event, fields: typeof fields === 'string' ? {} : fields });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

async function binlogStatus(): Promise<BinlogPosition> {
  const [rows] = await admin.query<RowDataPacket[]>(
    testServer().flavor === 'mariadb' ? 'SHOW MASTER STATUS' : 'SHOW BINARY LOG STATUS',
  );
  const r = rows[0];
  if (!r) throw new Error('binary logging is off');
  return { file: String(r['File']), position: Number(r['Position']) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('a half-open binlog connection', () => {
  test('the streamer reconnects through a new connection and delivers every row exactly once, in order', async () => {
    const db = `osc_t_stall_${RUN_TAG}`;
    await recreateDatabase(admin, db);
    await admin.query(`CREATE TABLE ${qualified(db, 'k')} (id INT PRIMARY KEY, pad VARCHAR(500) NOT NULL)`);
    await admin.query(
      `CREATE TABLE ${qualified(db, 'chg')} (hint VARCHAR(64) PRIMARY KEY, value VARCHAR(255) NOT NULL)`,
    );
    const primary = testServer().primary;
    proxy = await startFreezeProxy(primary);
    const log = captureLogger();
    const hwm = 100;
    const s = createStreamer({
      ...primary,
      host: proxy.host,
      port: proxy.port,
      serverId: uniqueServerId(),
      database: db,
      tables: ['k', 'chg'],
      start: await binlogStatus(),
      logger: log.logger,
      highWaterMark: hwm,
      stallTimeoutMs: 2_000,
    });
    streamers.push(s);
    await s.start();

    // osc's heartbeat: written straight to the server (not through the proxy), every 100 ms.
    const beats = await exactConnection(primary);
    let beating = true;
    const heartbeat = (async () => {
      while (beating) {
        const startedAt = Date.now();
        await beats.query(
          `INSERT INTO ${qualified(db, 'chg')} VALUES ('heartbeat', ?) ON DUPLICATE KEY UPDATE value = VALUES(value)`,
          [String(startedAt)],
        );
        s.heartbeatWritten(startedAt);
        await sleep(100);
      }
    })();

    try {
      // One large transaction: the reader pauses (backpressure) inside it, and the freeze cuts it in two.
      const N = 20_000;
      const pad = 'p'.repeat(400);
      await admin.query('START TRANSACTION');
      for (let id = 1; id <= N; id += 500) {
        const ids = Array.from({ length: 500 }, (_, k) => id + k);
        await admin.query(
          `INSERT INTO ${qualified(db, 'k')} VALUES ${ids.map(() => '(?, ?)').join(', ')}`,
          ids.flatMap((x) => [x, pad]),
        );
      }
      await admin.query('COMMIT');
      const committed = await binlogStatus();
      await waitFor(() => s.backlog() >= hwm, {
        timeoutMs: 30_000,
        intervalMs: 10,
        message: 'the reader to fill its queue',
      });
      await sleep(200);
      expect(proxy.freezeAll(), 'the reader has its connections open').toBeGreaterThan(0);
      const frozen = proxy
        .connections()
        .filter((c) => c.frozen)
        .map((c) => c.id);
      // The transaction's commit has not reached the reader: it is cut in the middle.
      expect(s.position().position < committed.position || s.position().file !== committed.file).toBe(true);
      expect(s.backlog()).toBeLessThan(N);

      // More rows after the freeze, then the end marker.
      for (let id = N + 1; id <= N + 100; id++)
        await admin.query(`INSERT INTO ${qualified(db, 'k')} VALUES (?, 'after')`, [id]);
      await admin.query(`INSERT INTO ${qualified(db, 'chg')} VALUES ('marker', 'done')`);

      const ids: number[] = [];
      const deadline = setTimeout(() => void s.stop(), 60_000);
      try {
        for await (const ev of s.events()) {
          if (ev.kind === 'statement') continue;
          const row = ev.kind === 'update' ? ev.after : ev.row;
          if (ev.table === 'k') ids.push(Number(row['id']));
          if (ev.table === 'chg' && row['hint'] === 'marker') break;
        }
      } finally {
        clearTimeout(deadline);
      }
      expect(ids.length, 'rows delivered before the stream ended').toBe(N + 100);
      expect(ids).toEqual(Array.from({ length: N + 100 }, (_, k) => k + 1));

      const stalled = log.lines.find((l) => l.event === 'binlog_stalled');
      expect(stalled?.level).toBe('warn');
      expect(log.lines.find((l) => l.event === 'binlog_reconnect')?.fields).toMatchObject({
        attempt: 1,
        reason: 'BINLOG_STALLED',
      });
      // Through a new connection, and the frozen ones dropped by the reader.
      expect(proxy.connections().filter((c) => !c.frozen).length).toBeGreaterThan(0);
      await waitFor(
        () =>
          proxy!
            .connections()
            .filter((c) => frozen.includes(c.id))
            .every((c) => c.clientClosed),
        { timeoutMs: 10_000, message: 'the frozen connections to be closed by the reader' },
      );
    } finally {
      beating = false;
      await heartbeat;
      await beats.end();
    }
  });

  test('a migration whose binlog connection freezes mid-copy reconnects, says so, and ends exact', async () => {
    const database = `osc_t_stall_e2e_${RUN_TAG}`;
    const model = ordersModel();
    const rows = 20_000;
    const socket = join(mkdtempSync(join(tmpdir(), 'osc-stall-')), 'osc.sock');
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, ORDERS_CREATE, 't', model, rows);
    // Every connection osc opens goes through the proxy; only the binlog dump's is frozen.
    proxy = await startFreezeProxy(testServer().primary);
    const through = { ...testServer().primary, host: proxy.host, port: proxy.port };
    let frozeDuringCopy = false;
    const result = await migrateUnderLoad({
      admin,
      primary: through,
      database,
      table: 't',
      model,
      seededRows: rows,
      alter: ORDERS_ALTER,
      args: ['--chunk-size', '100', '--nice-ratio', '1', '--serve-socket-file', socket, ...onlyOurThrottles()],
      replicaServerId: uniqueServerId(),
      during: async ({ stderr, migrationUser }) => {
        try {
          await waitFor(() => / to=copy\b/.test(stderr()), {
            timeoutMs: 60_000,
            intervalMs: 20,
            message: 'the copy to start',
          });
          const [threads] = await admin.query<RowDataPacket[]>(
            "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%'",
            [migrationUser.user],
          );
          expect(threads.length, 'osc has one binlog dump thread').toBe(1);
          expect(proxy!.freeze(Number(threads[0]?.['id'])), 'the dump connection goes through the proxy').toBe(true);
          frozeDuringCopy = !stderr().includes('copy_done');
          await waitFor(() => /WARN {2}binlog_stalled\b/.test(stderr()), {
            timeoutMs: 30_000,
            intervalMs: 50,
            message: 'osc to notice the stalled binlog connection',
          });
        } catch (err) {
          await socketCommand(socket, 'panic').catch(() => undefined);
          throw err;
        }
      },
    });
    expect(result.run.code, explainRun(result.run)).toBe(0);
    expect(frozeDuringCopy, 'the dump connection froze before the copy finished').toBe(true);
    expect(result.run.stderr).toMatch(/binlog_reconnect attempt=1 .*reason=BINLOG_STALLED/);
    expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
      true,
    );
    expect(result.writesDuringRun).toBeGreaterThan(0);
    const frozen = proxy.connections().filter((c) => c.frozen);
    expect(frozen.length).toBe(1);
    expect(
      frozen.every((c) => c.clientClosed),
      'osc dropped the frozen connection',
    ).toBe(true);
  });
});
