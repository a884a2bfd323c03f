// Replay meets a copied row that is ahead of it on a unique key: the row is moved aside and re-copied, and the
// ghost ends exactly like the original; a real duplicate stays queued (the orchestrator then fails the run).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Connection } from 'mysql2/promise';
import { Applier } from '../../src/stages/replay/applier.js';
import { ConflictResolver } from '../../src/stages/replay/conflicts.js';
import type { RowEvent } from '../../src/core/binlog/events.js';
import { createTablePlan } from '../../src/plan.js';
import { chooseChunkKey, mapColumns } from '../../src/core/schema.js';
import { createDmlBuilder } from '../../src/core/sql/dml.js';
import { readServerInfo, readTableSchema } from '../../src/io/db/inspector.js';
import { openPool, type Db, type SessionPool } from '../../src/io/db/pool.js';
import { silentLogger } from '../../src/core/log.js';
import { fakeStreamer } from '../support/replay.js';
import { adminConnection, freshSchema, testServer } from '../support/servers.js';

const POS = { file: 'binlog.000001', position: 4 };

function update(id: number, from: string, to: string): RowEvent {
  return {
    kind: 'update',
    database: '',
    table: 't',
    resume: POS,
    next: POS,
    before: { id, code: from, v: 1 },
    after: { id, code: to, v: 1 },
  };
}

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

async function replay(
  db: string,
  events: RowEvent[],
  columns = 'id, code, v',
  order = 'id',
): Promise<{ ghost: unknown[]; queued: number }> {
  const server = await readServerInfo(pool);
  const original = await readTableSchema(pool, db, 't');
  const altered = await readTableSchema(pool, db, '_t_gho');
  const mapping = mapColumns(original, altered, new Map());
  const key = chooseChunkKey(original, altered, mapping);
  if (!key) throw new Error('no chunk key');
  const plan = createTablePlan({ database: db, table: 't', server, mapping, key, ghostUniqueKeys: altered.uniqueKeys });
  const conflicts = new ConflictResolver(plan, silentLogger);
  const streamer = fakeStreamer(events.map((e) => ({ ...e, database: db })));
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
  const [rows] = await admin.query(`SELECT ${columns} FROM \`${db}\`.\`_t_gho\` ORDER BY ${order}`);
  return { ghost: rows as unknown[], queued: conflicts.size };
}

describe('replay collisions on a unique key that is not the chunk key', () => {
  test('a copied row ahead of replay is moved aside and re-copied: the ghost ends like the original', async () => {
    const db = await freshSchema('conflicts_transient');
    await admin.query(
      `CREATE TABLE \`${db}\`.t (id INT NOT NULL PRIMARY KEY, code VARCHAR(20) NOT NULL, v INT NOT NULL, UNIQUE KEY uk_code (code)) ENGINE=InnoDB`,
    );
    await admin.query(`CREATE TABLE \`${db}\`._t_gho LIKE \`${db}\`.t`);
    // History: A had v, gave it up (v -> new), then B took it (old -> v). The copy ran after all of it.
    await admin.query(`INSERT INTO \`${db}\`.t VALUES (1, 'new', 1), (2, 'v', 1)`);
    await admin.query(`INSERT INTO \`${db}\`._t_gho SELECT * FROM \`${db}\`.t`);
    // Replay now applies that history: "A takes v" meets B's copied (newer) image holding v.
    const result = await replay(db, [update(1, 'v0', 'v'), update(1, 'v', 'new'), update(2, 'old', 'v')]);
    expect(result.queued).toBe(0);
    expect(result.ghost).toEqual([
      { id: 1, code: 'new', v: 1 },
      { id: 2, code: 'v', v: 1 },
    ]);
  });

  test('a real duplicate for a UNIQUE key the ALTER adds stays queued, so the run cannot swap', async () => {
    const db = await freshSchema('conflicts_real');
    await admin.query(
      `CREATE TABLE \`${db}\`.t (id INT NOT NULL PRIMARY KEY, code VARCHAR(20) NOT NULL, v INT NOT NULL) ENGINE=InnoDB`,
    );
    await admin.query(`CREATE TABLE \`${db}\`._t_gho LIKE \`${db}\`.t`);
    await admin.query(`ALTER TABLE \`${db}\`._t_gho ADD UNIQUE KEY uk_code (code)`);
    await admin.query(`INSERT INTO \`${db}\`.t VALUES (1, 'dup', 1), (2, 'dup', 1)`);
    await admin.query(`INSERT INTO \`${db}\`._t_gho VALUES (1, 'dup', 1)`);
    const insert: RowEvent = {
      kind: 'insert',
      database: '',
      table: 't',
      resume: POS,
      next: POS,
      row: { id: 2, code: 'dup', v: 1 },
    };
    const result = await replay(db, [insert]);
    expect(result.queued).toBe(1);
    expect(result.ghost).toEqual([{ id: 2, code: 'dup', v: 1 }]);
  });
});

describe('rows that keep colliding', () => {
  /** The pool, noting every statement run through it. */
  function counting(p: SessionPool, seen: string[]): SessionPool {
    const wrap = (db: Db): Db => ({
      rows: (sql, params) => {
        seen.push(sql);
        return db.rows(sql, params);
      },
      run: (sql, params) => {
        seen.push(sql);
        return db.run(sql, params);
      },
    });
    return { ...wrap(p), withSession: (fn) => p.withSession((s) => fn(wrap(s))), close: () => p.close() };
  }

  test('are re-copied once after the batch that moved them aside, not after every later batch', async () => {
    const db = await freshSchema('conflicts_requeue');
    await admin.query(
      `CREATE TABLE \`${db}\`.t (id INT NOT NULL PRIMARY KEY, code VARCHAR(20) NOT NULL, v INT NOT NULL) ENGINE=InnoDB`,
    );
    await admin.query(`CREATE TABLE \`${db}\`._t_gho LIKE \`${db}\`.t`);
    await admin.query(`ALTER TABLE \`${db}\`._t_gho ADD UNIQUE KEY uk_code (code)`);
    await admin.query(`INSERT INTO \`${db}\`.t VALUES (1, 'dup', 1), (2, 'dup', 1), (3, 'other', 0)`);
    await admin.query(`INSERT INTO \`${db}\`._t_gho VALUES (1, 'dup', 1), (3, 'other', 0)`);
    const server = await readServerInfo(pool);
    const original = await readTableSchema(pool, db, 't');
    const altered = await readTableSchema(pool, db, '_t_gho');
    const mapping = mapColumns(original, altered, new Map());
    const key = chooseChunkKey(original, altered, mapping);
    if (!key) throw new Error('no chunk key');
    const plan = createTablePlan({
      database: db,
      table: 't',
      server,
      mapping,
      key,
      ghostUniqueKeys: altered.uniqueKeys,
    });
    const conflicts = new ConflictResolver(plan, silentLogger);
    // Row 2 meets row 1 on the new UNIQUE key (real duplicate data); then 20 batches that touch only row 3.
    const events: RowEvent[] = [
      { kind: 'insert', database: db, table: 't', resume: POS, next: POS, row: { id: 2, code: 'dup', v: 1 } },
      ...Array.from({ length: 20 }, (_, i): RowEvent => ({
        kind: 'update',
        database: db,
        table: 't',
        resume: POS,
        next: POS,
        before: { id: 3, code: 'other', v: i },
        after: { id: 3, code: 'other', v: i + 1 },
      })),
    ];
    const seen: string[] = [];
    const streamer = fakeStreamer(events);
    const applier = new Applier({
      streamer,
      pool: counting(pool, seen),
      plan,
      dml: createDmlBuilder(plan),
      retries: 3,
      batchSize: () => 1,
      logger: silentLogger,
      conflicts,
    });
    void applier.start();
    await applier.idle();
    applier.stop();
    await streamer.stop();
    await applier.done;
    expect(conflicts.size).toBe(1);
    // One re-copy of row 1, right after the batch that moved it aside; the rest waits for replay to catch up.
    expect(seen.filter((sql) => sql.startsWith('INSERT IGNORE')).length).toBe(1);
  });
});

describe('replay when the ALTER makes distinct keys equal (a binary key made case-insensitive)', () => {
  const row = (code: string, v: number) => ({ code, v });
  const event = (kind: 'insert' | 'delete', code: string, v: number): RowEvent => ({
    kind,
    database: '',
    table: 't',
    resume: POS,
    next: POS,
    row: row(code, v),
  });
  const change = (code: string, from: number, to: number): RowEvent => ({
    kind: 'update',
    database: '',
    table: 't',
    resume: POS,
    next: POS,
    before: row(code, from),
    after: row(code, to),
  });

  async function tables(name: string, original: string, ghost: string): Promise<string> {
    const db = await freshSchema(name);
    await admin.query(
      `CREATE TABLE \`${db}\`.t (code VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB`,
    );
    await admin.query(`CREATE TABLE \`${db}\`._t_gho LIKE \`${db}\`.t`);
    await admin.query(
      `ALTER TABLE \`${db}\`._t_gho MODIFY code VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL`,
    );
    if (original !== '') await admin.query(`INSERT INTO \`${db}\`.t VALUES ${original}`);
    if (ghost !== '') await admin.query(`INSERT INTO \`${db}\`._t_gho VALUES ${ghost}`);
    return db;
  }

  test('inserting A when the ghost holds a (copied): a is moved aside and stays queued, the collision is real', async () => {
    const db = await tables('conflicts_ci_insert', "('a', 1), ('A', 2)", "('a', 1)");
    const result = await replay(db, [event('insert', 'A', 2)], 'code, v', 'code');
    expect(result.queued).toBe(1);
    expect(result.ghost).toEqual([row('A', 2)]);
  });

  test('an update of A never overwrites a', async () => {
    const db = await tables('conflicts_ci_update', "('a', 1), ('A', 3)", "('a', 1)");
    const result = await replay(db, [change('A', 2, 3)], 'code, v', 'code');
    expect(result.queued).toBe(0);
    expect(result.ghost).toEqual([row('a', 1)]);
  });

  test('a delete of A never deletes a', async () => {
    const db = await tables('conflicts_ci_delete', "('a', 1)", "('a', 1)");
    const result = await replay(db, [event('delete', 'A', 2)], 'code, v', 'code');
    expect(result.queued).toBe(0);
    expect(result.ghost).toEqual([row('a', 1)]);
  });

  test('the copy ahead of replay: a inserted, deleted, A inserted; the ghost already holds A and ends with it', async () => {
    const db = await tables('conflicts_ci_transient', "('A', 3)", "('A', 3)");
    const result = await replay(
      db,
      [event('insert', 'a', 1), event('delete', 'a', 1), event('insert', 'A', 3)],
      'code, v',
      'code',
    );
    expect(result.queued).toBe(0);
    expect(result.ghost).toEqual([row('A', 3)]);
  });
});
