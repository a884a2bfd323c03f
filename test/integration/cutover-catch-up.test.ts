// The cut-over takes its lock only once replay has read the binlog up to the attempt, not merely once the applier
// has nothing queued: a reader behind the server (after a fast copy it can be seconds behind; here its connection
// is frozen by a proxy) would otherwise read and apply the table's last changes under the lock, with writers
// waiting. Both algorithms: at their first step, before any lock, the ghost already holds a row written as the
// attempt began, which the reader could only get after replacing its frozen connection.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startFreezeProxy, type FreezeProxy } from '../support/freeze-proxy.js';
import { exactConnection, qualified } from '../support/load.js';
import { explainRun, migrationUser, oscArgv, runOsc, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId } from '../support/servers.js';
import { recreateDatabase } from '../scenarios/runner.js';

const DB = `osc_t_catch_up_${RUN_TAG}`;

let admin: Connection;
let proxy: FreezeProxy | null = null;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  await recreateDatabase(admin, DB);
});

afterAll(async () => {
  await proxy?.close();
  await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
  await admin.end();
});

test('the cut-over locks only after replay has read what the binlog held when the attempt began', async () => {
  const t = qualified(DB, 'c');
  await admin.query(`CREATE TABLE ${t} (id INT NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL)`);
  await admin.query(`INSERT INTO ${t} VALUES ${Array.from({ length: 100 }, (_, i) => `(${i + 1}, 'v')`).join(', ')}`);
  const mig = await migrationUser(admin, testServer().primary, DB);
  // Every connection osc opens goes through the proxy; only the binlog dump's is frozen.
  proxy = await startFreezeProxy(testServer().primary);
  const through = { ...mig, host: proxy.host, port: proxy.port };
  let seenAtFirstStep: number | null = null;
  let frozen = false;
  const run = await runOsc(
    oscArgv(through, DB, 'c', [
      '--alter',
      'ADD COLUMN w INT',
      '--execute',
      '--replica-server-id',
      String(uniqueServerId()),
    ]),
    {
      cutOverTesting: {
        beforeAttempt: async () => {
          if (frozen) return;
          const [dumps] = await admin.query<RowDataPacket[]>(
            "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%'",
            [mig.user],
          );
          expect(dumps.length, 'osc has one binlog dump thread').toBe(1);
          frozen = proxy!.freeze(Number(dumps[0]?.['id']));
          await admin.query(`INSERT INTO ${t} VALUES (1000, 'last')`);
        },
        afterStep: async (step) => {
          // The first step of either algorithm (the sentry's creation; replay held), before any lock.
          if (seenAtFirstStep !== null || (step !== 'create-sentry' && step !== 'hold-replay')) return;
          const [rows] = await admin.query<RowDataPacket[]>(
            `SELECT COUNT(*) AS n FROM ${qualified(DB, '_c_gho')} WHERE id = 1000`,
          );
          seenAtFirstStep = Number(rows[0]?.['n'] ?? 0);
        },
      },
    },
  );
  expect(run.code, explainRun(run)).toBe(0);
  expect(frozen, 'the dump connection went through the proxy').toBe(true);
  expect(run.stderr).toMatch(/binlog_reconnect attempt=1 .*reason=BINLOG_STALLED/);
  expect(seenAtFirstStep).toBe(1);
  // The swapped table holds every row, the last one included.
  const [rows] = await admin.query<RowDataPacket[]>(`SELECT COUNT(*) AS n, MAX(id) AS top FROM ${t}`);
  expect(Number(rows[0]?.['n'])).toBe(101);
  expect(Number(rows[0]?.['top'])).toBe(1000);
});
