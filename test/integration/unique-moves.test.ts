// End to end, a replay-time unique collision that resolves: the application moves a unique value from row R to
// row S in separate commits while the copy is ahead of replay, so replaying "R takes v" meets S's newer copied
// image still holding v (stages/replay/conflicts.ts). The choreography makes that order certain instead of likely:
//   1. the copy starts throttled; A locks S in the original, then the copy runs and blocks on S's chunk (seen as
//      the chunk's rows before S, uncommitted in the ghost: information_schema.INNODB_TRX is no witness, its cache
//      is refreshed only after 100 ms without a reader, so polling it more often shows the same old rows forever);
//   2. B locks R's ghost row, so replay will stall on R's first event, in a transaction of its own (one event per
//      batch): earlier events of a batch would hold their locks meanwhile, such as the gap lock of a DELETE by key
//      of a row not copied yet, which S's insert into the ghost can wait on: a cycle through B that only InnoDB's
//      lock wait timeout (50 s) would break;
//   3. R takes v and gives it up again (two commits), then A gives v to S and commits;
//   4. the copy reads S's newer image (holding v) into the ghost; B lets replay go:
//      "R takes v" collides with S, S is moved aside and re-copied, and the result is exact.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, qualified, TABLE_TOKEN } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { describeComparison } from '../support/verify.js';
import { migrateUnderLoad, prepareTable, recreateDatabase } from '../scenarios/runner.js';
import { ORDERS_ALTER, ordersModel } from '../scenarios/models.js';

const CREATE = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  qty INT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  note VARCHAR(255) NULL,
  updated_at DATETIME(6) NOT NULL,
  UNIQUE KEY uk_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

// Rows the load never touches (it owns ids from 1 up): R in the first chunk, S the last row of the sixth
// (R..S are the table's first S - R + 1 rows, in chunks of CHUNK).
const R = -300;
const S = -1;
const CHUNK = 50;
const BEFORE_S = S - R;
const BEFORE_S_CHUNK = BEFORE_S - (BEFORE_S % CHUNK);
const MOVING = 'moving-value';

let admin: Connection;
let dir: string;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  dir = mkdtempSync(join(tmpdir(), 'osc-moves-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!admin) return;
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

describe('a unique value moving between rows during the copy', () => {
  test('replay meets the newer copied row: it is moved aside and re-copied, and the result is exact', async () => {
    const database = `osc_t_moves_${RUN_TAG}`;
    const table = qualified(database, 't');
    const ghost = qualified(database, '_t_gho');
    const model = ordersModel();
    await recreateDatabase(admin, database);
    await prepareTable(admin, database, CREATE, 't', model, 5000);
    const cols = ['id', ...model.valueColumns];
    for (let id = R; id <= S; id++) {
      await admin.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, [
        id,
        ...model.values(id, 0),
      ]);
    }
    const throttle = join(dir, 'throttle');
    writeFileSync(throttle, '');
    const a = await exactConnection(testServer().primary);
    const b = await exactConnection(testServer().primary);
    // Sees the rows a running chunk has written and not yet committed.
    const peek = await exactConnection(testServer().primary);
    await peek.query('SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED');
    const ghostRowsBeforeS = async (conn: Connection): Promise<number> => {
      const [rows] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${ghost} WHERE id >= ? AND id < ?`, [
        R,
        S,
      ]);
      return Number(rows[0]?.['n']);
    };
    try {
      const result = await migrateUnderLoad({
        admin,
        primary: testServer().primary,
        database,
        table: 't',
        model,
        seededRows: 5000,
        alter: ORDERS_ALTER,
        args: ['--chunk-size', String(CHUNK), '--dml-batch-size', '1', '--throttle-flag-file', throttle],
        replicaServerId: uniqueServerId(),
        during: async ({ stderr, record }) => {
          // A step that fails lets go of A and B, so that osc finishes and the failure shows at once.
          try {
            const write = async (conn: Connection, sql: string, params: unknown[]) => {
              await conn.query(sql.split(TABLE_TOKEN).join(table), params);
              return { kind: 'update' as const, sql, params };
            };
            // 1. The copy waits (throttled) while A locks S; then it runs up to S's chunk and blocks there. Every row
            //    before S in the ghost, some of them not committed yet: the statement copying S's chunk has written
            //    them and can go no further than S until A commits. (Replay cannot wait on B before this statement
            //    runs: B locks R only after it, and replay's batches are one event each, committed as they go.)
            await waitFor(() => / to=copy\b/.test(stderr()), {
              timeoutMs: 60_000,
              intervalMs: 20,
              message: 'the copy phase',
            });
            await a.query('START TRANSACTION');
            await a.query(`SELECT id FROM ${table} WHERE id = ? FOR UPDATE`, [S]);
            rmSync(throttle);
            await waitFor(async () => (await ghostRowsBeforeS(peek)) === BEFORE_S, {
              timeoutMs: 60_000,
              intervalMs: 10,
              message: "the copy to reach S's lock",
            });
            expect(await ghostRowsBeforeS(admin), "the chunks before S's are committed, S's chunk is not").toBe(
              BEFORE_S_CHUNK,
            );
            const [copiedR] = await admin.query<RowDataPacket[]>(`SELECT name FROM ${ghost} WHERE id = ?`, [R]);
            expect(copiedR, 'R was copied before S').toHaveLength(1);
            // 2. Replay will stall on R's ghost row.
            await b.query('START TRANSACTION');
            await b.query(`SELECT id FROM ${ghost} WHERE id = ? FOR UPDATE`, [R]);
            // 3. R takes the value and gives it up, then S takes it: three commits, in this binlog order.
            const c = await exactConnection(testServer().primary);
            try {
              record(await write(c, `UPDATE ${TABLE_TOKEN} SET name = ? WHERE id = ?`, [MOVING, R]));
              record(await write(c, `UPDATE ${TABLE_TOKEN} SET name = ? WHERE id = ?`, ['r-gave-it-up', R]));
            } finally {
              await c.end();
            }
            const taken = await write(a, `UPDATE ${TABLE_TOKEN} SET name = ? WHERE id = ?`, [MOVING, S]);
            await a.query('COMMIT');
            record(taken);
            // 4. The copy reads S's newer image; then replay goes on and collides.
            await waitFor(
              async () => {
                const [rows] = await admin.query<RowDataPacket[]>(`SELECT name FROM ${ghost} WHERE id = ?`, [S]);
                return rows[0]?.['name'] === MOVING;
              },
              { timeoutMs: 60_000, intervalMs: 10, message: "S's newer image in the ghost" },
            );
            await b.query('ROLLBACK');
          } catch (err) {
            await a.query('ROLLBACK').catch(() => undefined);
            await b.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
        },
      });
      expect(result.run.code, explainRun(result.run)).toBe(0);
      expect(result.run.stderr, 'no lock wait timed out: the choreography has no lock cycle').not.toMatch(
        /ER_LOCK_WAIT_TIMEOUT|errno=1205\b/,
      );
      expect(result.run.stderr).toMatch(/replay_conflict_moved_aside key=uk_name rows=1/);
      expect(result.comparison?.ok, result.comparison ? describeComparison(result.comparison) : 'not compared').toBe(
        true,
      );
      const [moved] = await admin.query<RowDataPacket[]>(`SELECT id FROM ${table} WHERE name = ?`, [MOVING]);
      expect(moved.map((r) => Number(r['id']))).toEqual([S]);
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.query(`DROP DATABASE IF EXISTS \`${database}_exp\``);
    } finally {
      await a.end().catch(() => undefined);
      await b.end().catch(() => undefined);
      await peek.end().catch(() => undefined);
    }
  });
});
