// Chunks sized by time (core/chunk/sizer.ts) on a real copy: without --chunk-size they grow from the first size
// while they take less than --chunk-time; --chunk-size fixes them.
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection } from '../support/load.js';
import { dropUser, explainRun, migrationUser, MIGRATION_USER, oscArgv, RUN_TAG, runOsc } from '../support/run-osc.js';
import { detectFlavor, testServer, uniqueServerId } from '../support/servers.js';
import { prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_ALTER, ordersModel } from '../scenarios/models.js';

const CREATE = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  qty INT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  note VARCHAR(255) NULL,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
const ROWS = 30_000;
const database = `osc_t_chunktime_${RUN_TAG}`;

let admin: Connection;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

async function lastChunkRows(args: readonly string[]): Promise<number> {
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, CREATE, 't', ordersModel(), ROWS);
  const mig = await migrationUser(admin, testServer().primary, database);
  const r = await runOsc(
    oscArgv(mig, database, 't', [
      '--alter',
      ORDERS_ALTER,
      '--execute',
      '--replica-server-id',
      String(uniqueServerId()),
      ...args,
    ]),
  );
  expect(r.code, explainRun(r)).toBe(0);
  const m = / copy_done .*\brows=(\d+).*\blast_chunk_rows=(\d+)/.exec(r.stderr);
  expect(m, explainRun(r)).not.toBeNull();
  expect(Number(m?.[1])).toBe(ROWS);
  return Number(m?.[2]);
}

describe('chunk size', () => {
  // A target far above any chunk's time here: every chunk grows the next one by the most allowed (1.5×), up to
  // the warnings the server reports back per statement (MySQL 9.7 without SESSION_VARIABLES_ADMIN: its
  // global max_error_count, 1024 by default; MariaDB 10.11 lets every session raise it).
  test('sized by time: chunks grow from the first size while they run under the target', async () => {
    const [rows] = await admin.query('SELECT @@GLOBAL.max_error_count AS m');
    const cap = (await detectFlavor(admin)) === 'mysql' ? Number((rows as { m: unknown }[])[0]?.m) : Infinity;
    expect(await lastChunkRows(['--chunk-time', '30'])).toBeGreaterThanOrEqual(Math.min(5000, cap));
  });

  test('--chunk-size fixes it', async () => {
    expect(await lastChunkRows(['--chunk-size', '700', '--chunk-time', '30'])).toBe(700);
  });
});
