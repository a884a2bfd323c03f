// The copy's chunks are sized by time, not by how many warnings the server reports back (max_error_count: MySQL
// keeps its default 1024 for a user without SESSION_VARIABLES_ADMIN). A chunk whose warnings overflow that room runs
// in a transaction that is rolled back, then is copied again in parts that fit, so that no warning goes unseen.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultSizing } from '../../src/core/chunk/sizer.js';
import type { Logger } from '../../src/core/log.js';
import { openPool, type SessionPool } from '../../src/io/db/pool.js';
import { copyRows, type ChunkStats } from '../../src/stages/copy/copier.js';
import { exactConnection } from '../support/load.js';
import { planFor } from '../support/replay.js';
import { RUN_TAG } from '../support/run-osc.js';
import { testServer } from '../support/servers.js';

const database = `osc_t_warnroom_${RUN_TAG}`;
const ROOM = 8;

let admin: Connection;
let pool: SessionPool;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.query(`CREATE DATABASE \`${database}\``);
  pool = openPool(testServer().primary, 4);
});

afterAll(async () => {
  await pool?.close();
  await admin?.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin?.end();
});

/** The real pool, with every session's max_error_count lowered as a user without the privilege would have it. */
function withRoom(p: SessionPool, room: number): SessionPool {
  const lowered: SessionPool['withSession'] = (fn) =>
    p.withSession(async (s) => {
      await s.run(`SET SESSION max_error_count = ${room}`);
      return fn(s);
    });
  return { ...p, withSession: lowered, rows: (sql, params) => lowered((s) => s.rows(sql, params)) };
}

describe('copy beyond max_error_count', () => {
  test('a chunk whose duplicate warnings overflow the room is rolled back and copied in parts: exact', async () => {
    const t = `\`${database}\`.t`;
    const g = `\`${database}\`._t_gho`;
    await admin.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)`);
    const values = Array.from({ length: 100 }, (_, i) => [i + 1, `v${i + 1}`]);
    await admin.query(`INSERT INTO ${t} (id, v) VALUES ?`, [values]);
    await admin.query(`CREATE TABLE ${g} LIKE ${t}`);
    await admin.query(`ALTER TABLE ${g} ADD COLUMN w INT NULL`);
    // Even rows are on the ghost already (as replay would have put them): each is a duplicate warning in the copy.
    await admin.query(`INSERT INTO ${g} (id, v) SELECT id, v FROM ${t} WHERE id % 2 = 0`);

    const plan = await planFor(pool, database, 't', '_t_gho');
    const lines: string[] = [];
    const note = (event: string) => void lines.push(event);
    const logger: Logger = { debug: note, info: note, warn: note, error: note };
    const chunks: ChunkStats[] = [];
    await copyRows({
      pool: withRoom(pool, ROOM),
      plan,
      sizing: () => defaultSizing(50, 0.1),
      niceRatio: () => 0,
      threads: () => 1,
      retries: 2,
      logger,
      signal: new AbortController().signal,
      beforeChunk: () => Promise.resolve(),
      catchUp: () => Promise.resolve(),
      onChunk: (c) => chunks.push(c),
    });

    expect(chunks.map((c) => c.size)).toEqual([50, 50]);
    expect(chunks.reduce((n, c) => n + c.rowsRead, 0)).toBe(100);
    expect(lines.filter((l) => l === 'copy_chunk_split')).toHaveLength(2);
    const [[diff]] = await admin.query<RowDataPacket[]>(
      `SELECT (SELECT COUNT(*) FROM ${g}) AS n, (SELECT COUNT(*) FROM ${t} o LEFT JOIN ${g} c USING (id) WHERE c.v <=> o.v) AS same`,
    );
    expect(diff).toMatchObject({ n: '100', same: '100' });
  });
});
