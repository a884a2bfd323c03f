// A replay that fails while osc waits (cut-over postponed, copy throttled) must end the migration at once, with
// replay's own error: before, the wait went on for hours with the backlog frozen and `throttled` in the status.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { exactConnection, qualified } from '../support/load.js';
import { socketCommand } from '../support/operator.js';
import { dropUser, explainRun, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { onlyOurThrottles } from '../support/own-throttles.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { compareTables, describeComparison, replayWrites, tableNames } from '../support/verify.js';
import { migrateUnderLoad, prepareTable, recreateDatabase, type DuringContext } from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';

const ROWS = 3_000;
/** From the provocation to osc's exit; the waits poll every 50-200 ms, replay meets the cause within a second. */
const ENDS_WITHIN_MS = 10_000;

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
  dir = mkdtempSync(join(tmpdir(), 'osc-waits-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface WaitCase {
  readonly name: string;
  readonly alter: string;
  readonly args: readonly string[];
  /** The log line that shows osc waiting. */
  readonly waiting: RegExp;
  /** Breaks replay from outside; returns the application's own writes (for the expectation). */
  readonly provoke: (database: string) => Promise<readonly string[]>;
  readonly code: string;
}

async function runCase(c: WaitCase): Promise<void> {
  const database = `osc_t_waits_${c.name}_${RUN_TAG}`;
  const socket = join(dir, 'osc.sock');
  const model = ordersModel();
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, ORDERS_CREATE, 't', model, ROWS);
  let extraWrites: readonly string[] = [];
  let endedAfterMs = Number.NaN;
  const r = await migrateUnderLoad({
    admin,
    primary: testServer().primary,
    database,
    table: 't',
    model,
    seededRows: ROWS,
    alter: c.alter,
    args: ['--chunk-size', '500', '--serve-socket-file', socket, ...onlyOurThrottles(), ...c.args],
    replicaServerId: uniqueServerId(),
    during: async (ctx: DuringContext) => {
      try {
        await waitFor(() => c.waiting.test(ctx.stderr()), {
          timeoutMs: 60_000,
          intervalMs: 20,
          message: `osc waiting (${c.waiting})`,
        });
        await new Promise((r) => setTimeout(r, 500)); // well inside the wait
        const provoked = Date.now();
        extraWrites = await c.provoke(database);
        const ended = await Promise.race([
          ctx.done.then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), ENDS_WITHIN_MS)),
        ]);
        if (!ended)
          throw new Error(
            `osc still waiting ${ENDS_WITHIN_MS} ms after replay failed:\n${ctx.stderr().split('\n').slice(-8).join('\n')}`,
          );
        endedAfterMs = Date.now() - provoked;
      } catch (err) {
        await socketCommand(socket, 'panic').catch(() => undefined);
        throw err;
      }
    },
  });
  expect(r.run.code, explainRun(r.run)).toBe(1);
  expect(r.run.stderr).toContain(`ERROR error code=${c.code}`);
  expect(endedAfterMs).toBeLessThan(ENDS_WITHIN_MS);
  expect(await tableNames(admin, database)).toEqual(['t']);
  await replayWrites(admin, r.load.writes, r.expected);
  for (const sql of extraWrites)
    await admin.query(sql.replace('{{table}}', qualified(r.expected.database, r.expected.table)));
  const cmp = await compareTables(admin, r.expected, { database, table: 't' });
  expect(cmp.ok, describeComparison(cmp)).toBe(true);
}

describe("a failed replay ends every wait at once, with replay's error", () => {
  test('postponed cut-over, then DDL on the ghost', async () => {
    const postpone = join(dir, 'postpone');
    writeFileSync(postpone, '');
    await runCase({
      name: 'postponed',
      alter: ORDERS_ALTER,
      args: ['--postpone-cut-over-flag-file', postpone],
      waiting: / to=postponed\b/,
      provoke: async (database) => {
        await admin.query(`ALTER TABLE ${qualified(database, '_t_gho')} ADD COLUMN sneaky INT NULL`);
        return [];
      },
      code: 'BINLOG_STATEMENT',
    });
  });

  test('throttled copy, then a row the new table cannot take', async () => {
    const flag = join(dir, 'throttle');
    writeFileSync(flag, '');
    const row =
      "INSERT INTO {{table}} (id, name, qty, price, note, updated_at) VALUES (10000000, 'too big', 100000, 1.00, NULL, '2020-01-01 00:00:00.000000')";
    await runCase({
      name: 'throttled',
      // The load writes qty within -1000..1000: only the row below does not fit.
      alter: 'MODIFY qty SMALLINT NOT NULL',
      args: ['--throttle-flag-file', flag],
      waiting: /\bthrottled reason="flag-file/,
      provoke: async (database) => {
        await admin.query(row.replace('{{table}}', qualified(database, 't')));
        return [row];
      },
      code: 'REPLAY_FAILED',
    });
  });
});
