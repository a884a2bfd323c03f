// Rows replay moved aside survive a crash: each moved-aside key is written to the checkpoint table in the replay
// transaction that moves it, read back by a resumed run, re-copied by it, and deleted once re-copied.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Connection } from 'mysql2/promise';
import { Applier } from '../../src/stages/replay/applier.js';
import { ConflictResolver } from '../../src/stages/replay/conflicts.js';
import { movedAsideStore, readStoredState } from '../../src/stages/resume/store.js';
import type { RowEvent } from '../../src/core/binlog/events.js';
import { createCheckpointTable } from '../../src/core/sql/checkpoint.js';
import { chooseChunkKey, mapColumns } from '../../src/core/schema.js';
import { createDmlBuilder } from '../../src/core/sql/dml.js';
import { silentLogger } from '../../src/core/log.js';
import { readServerInfo, readTableSchema } from '../../src/io/db/inspector.js';
import { openPool, type SessionPool } from '../../src/io/db/pool.js';
import { createTablePlan } from '../../src/plan.js';
import { fakeStreamer } from '../support/replay.js';
import { adminConnection, freshSchema, testServer } from '../support/servers.js';

const POS = { file: 'binlog.000001', position: 4 };

let admin: Connection;
let pool: SessionPool;

beforeAll(async () => {
  admin = await adminConnection();
  pool = openPool(testServer().primary, 3);
});

afterAll(async () => {
  await pool.close();
  await admin.end();
});

test('a moved-aside row is recorded with its move, restored after a crash, re-copied, then forgotten', async () => {
  const db = await freshSchema('resume_moved');
  await admin.query(
    `CREATE TABLE \`${db}\`.t (id INT NOT NULL PRIMARY KEY, code VARCHAR(20) NOT NULL, v INT NOT NULL) ENGINE=InnoDB`,
  );
  await admin.query(`CREATE TABLE \`${db}\`._t_gho LIKE \`${db}\`.t`);
  await admin.query(`ALTER TABLE \`${db}\`._t_gho ADD UNIQUE KEY uk_code (code)`);
  await admin.query(createCheckpointTable(db, '_t_ghk'));
  // Row 1 was copied; replaying row 2's insert meets it on the new unique key and moves it aside.
  await admin.query(`INSERT INTO \`${db}\`.t VALUES (1, 'dup', 1), (2, 'dup', 1)`);
  await admin.query(`INSERT INTO \`${db}\`._t_gho VALUES (1, 'dup', 1)`);
  const server = await readServerInfo(pool);
  const original = await readTableSchema(pool, db, 't');
  const altered = await readTableSchema(pool, db, '_t_gho');
  const mapping = mapColumns(original, altered, new Map());
  const key = chooseChunkKey(original, altered, mapping);
  if (!key) throw new Error('no chunk key');
  const plan = createTablePlan({ database: db, table: 't', server, mapping, key, ghostUniqueKeys: altered.uniqueKeys });
  const store = movedAsideStore(plan);
  const conflicts = new ConflictResolver(plan, silentLogger, store);
  const insert: RowEvent = {
    kind: 'insert',
    database: db,
    table: 't',
    resume: POS,
    next: POS,
    row: { id: 2, code: 'dup', v: 1 },
  };
  const streamer = fakeStreamer([insert]);
  const applier = new Applier({
    streamer,
    pool,
    plan,
    dml: createDmlBuilder(plan),
    retries: 3,
    batchSize: () => 10,
    logger: silentLogger,
    conflicts,
  });
  void applier.start();
  await applier.idle();
  applier.stop();
  await streamer.stop();
  await applier.done;
  expect(conflicts.size).toBe(1);

  // The process dies here: only the checkpoint table remembers row 1.
  const stored = await readStoredState(pool, plan, key.columns.length);
  expect(stored).toEqual({ checkpoint: null, moved: [[1]] });
  const resumed = new ConflictResolver(plan, silentLogger, store);
  resumed.restore(stored.moved);
  expect(resumed.size).toBe(1);
  // Still colliding: it stays queued (and recorded).
  expect(await resumed.recopy(pool)).toBe(1);
  expect((await readStoredState(pool, plan, 1)).moved).toEqual([[1]]);
  // The application resolves the duplicate; the resumed run's re-copy brings row 1 back and forgets it.
  await admin.query(`UPDATE \`${db}\`.t SET code = 'one' WHERE id = 1`);
  expect(await resumed.recopy(pool)).toBe(0);
  expect((await readStoredState(pool, plan, 1)).moved).toEqual([]);
  const [rows] = await admin.query(`SELECT id, code, v FROM \`${db}\`._t_gho ORDER BY id`);
  expect(rows).toEqual([
    { id: 1, code: 'one', v: 1 },
    { id: 2, code: 'dup', v: 1 },
  ]);
  await admin.query(`DROP DATABASE \`${db}\``);
});
