// Query events as each server writes them, through the streamer: a statement that changes a watched table
// arrives in its place among the row events; transaction control (MySQL's BEGIN, COMMIT after a MyISAM write),
// savepoints, XA, DDL on other tables and osc's own counter raise on the ghost bring nothing.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BinlogPosition, StreamEvent } from '../../src/core/binlog/events.js';
import { describeStatement } from '../../src/core/binlog/statements.js';
import { createStreamer } from '../../src/io/binlog/streamer.js';
import { silentLogger } from '../../src/core/log.js';
import { exactConnection, qualified } from '../support/load.js';
import { RUN_TAG } from '../support/run-osc.js';
import { testServer, uniqueServerId } from '../support/servers.js';
import { recreateDatabase } from '../scenarios/runner.js';

let admin: Connection;

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
});

afterAll(async () => {
  await admin?.end();
});

async function binlogStatus(): Promise<BinlogPosition> {
  const [rows] = await admin.query<RowDataPacket[]>(
    testServer().flavor === 'mariadb' ? 'SHOW MASTER STATUS' : 'SHOW BINARY LOG STATUS',
  );
  const r = rows[0];
  if (!r) throw new Error('binary logging is off');
  return { file: String(r['File']), position: Number(r['Position']) };
}

/** One line per event: `insert t 1`, `statement TRUNCATE TABLE db.t`. */
function render(ev: StreamEvent): string {
  if (ev.kind === 'statement') return `statement ${describeStatement(ev.verdict)} (${ev.verdict.role})`;
  const row = ev.kind === 'update' ? ev.after : ev.row;
  return `${ev.kind} ${ev.table} ${String(row['id'] ?? row['hint'])}`;
}

describe('statement events from the binlog', () => {
  test('arrive in binlog order among the row events; harmless statements bring nothing', async () => {
    const db = `osc_t_stmts_${RUN_TAG}`;
    await recreateDatabase(admin, db);
    const t = qualified(db, 't');
    await admin.query(`CREATE TABLE ${t} (id INT PRIMARY KEY, v INT NOT NULL)`);
    await admin.query(`CREATE TABLE ${qualified(db, '_t_gho')} LIKE ${t}`);
    await admin.query(
      `CREATE TABLE ${qualified(db, '_t_ghc')} (hint VARCHAR(64) PRIMARY KEY, value VARCHAR(255) NOT NULL)`,
    );
    await admin.query(`CREATE TABLE ${qualified(db, 'other')} (id INT PRIMARY KEY) ENGINE=MyISAM`);
    const s = createStreamer({
      ...testServer().primary,
      serverId: uniqueServerId(),
      database: db,
      tables: ['t', '_t_ghc'],
      statements: { database: db, table: 't', ghost: '_t_gho', changelog: '_t_ghc' },
      start: await binlogStatus(),
      logger: silentLogger,
    });
    await s.start();
    const app = await exactConnection(testServer().primary, db);
    try {
      await app.query('INSERT INTO t VALUES (1, 1)');
      await app.query('START TRANSACTION');
      await app.query('INSERT INTO t VALUES (2, 2)');
      await app.query('SAVEPOINT sp');
      await app.query('INSERT INTO t VALUES (3, 3)');
      await app.query('ROLLBACK TO SAVEPOINT sp');
      await app.query('COMMIT');
      await app.query("XA START 'x'");
      await app.query('INSERT INTO t VALUES (4, 4)');
      await app.query("XA END 'x'");
      await app.query("XA PREPARE 'x'");
      await app.query("XA COMMIT 'x'");
      await app.query('INSERT INTO other VALUES (1)'); // MyISAM: a COMMIT query event follows
      await app.query('ALTER TABLE other ADD COLUMN t INT');
      await app.query('CREATE TABLE copy LIKE t');
      await app.query(`ALTER TABLE ${qualified(db, '_t_gho')} AUTO_INCREMENT = 100`);
      await app.query('TRUNCATE TABLE t');
      await app.query('INSERT INTO t VALUES (5, 5)');
      await app.query("SET SESSION binlog_format = 'STATEMENT'");
      await app.query('UPDATE t SET v = v + 1 WHERE id = 5');
      await app.query("SET SESSION binlog_format = 'ROW'");
      await app.query('ALTER TABLE _t_ghc ENGINE=InnoDB');
      await app.query("INSERT INTO _t_ghc VALUES ('end', 'x')");
    } finally {
      await app.end();
    }
    const seen: string[] = [];
    const deadline = setTimeout(() => void s.stop(), 30_000);
    try {
      for await (const ev of s.events()) {
        seen.push(render(ev));
        if (ev.kind === 'insert' && ev.table === '_t_ghc') break;
      }
    } finally {
      clearTimeout(deadline);
      await s.stop();
    }
    expect(seen).toEqual([
      'insert t 1',
      'insert t 2',
      'insert t 4',
      `statement TRUNCATE TABLE ${db}.t (original)`,
      'insert t 5',
      `statement UPDATE ${db}.t (original)`,
      `statement ALTER TABLE ${db}._t_ghc (changelog)`,
      'insert _t_ghc end',
    ]);
  });
});
