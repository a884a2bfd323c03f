// The binlog streamer against a real server: exact values replayed onto a copy, other tables filtered out,
// a KILLed dump thread, a binlog rotation, backpressure, and fatal reader errors.
import mysql from 'mysql2/promise';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BinlogPosition, Row, RowEvent } from '../../src/core/binlog/events.js';
import { OscError } from '../../src/core/errors.js';
import type { LogFields, Logger } from '../../src/core/log.js';
import { createStreamer, type BinlogStreamer, type StreamerOptions } from '../../src/io/binlog/streamer.js';
import { freshSchema, testServer, uniqueServerId, type ServerEndpoint } from '../support/servers.js';

let DB = '';
let OTHER_DB = '';

// The connection options the applier uses: exact numbers, dates as strings, every session in UTC.
const EXACT = {
  supportBigNumbers: true,
  bigNumberStrings: true,
  dateStrings: true,
  timezone: '+00:00',
  charset: 'UTF8MB4_GENERAL_CI',
} as const;
const SESSION =
  "SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'";

interface Captured {
  readonly logger: Logger;
  readonly lines: { level: string; event: string; fields: LogFields }[];
}

function captureLogger(): Captured {
  const lines: Captured['lines'] = [];
  const at =
    (level: string) =>
    (event: string, fields: LogFields = {}) =>
      void lines.push({ level, event, fields });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

let t: ServerEndpoint;
let admin: Connection;
let isMariaDb = false;
const streamers: BinlogStreamer[] = [];

async function binlogStatus(): Promise<BinlogPosition> {
  const [rows] = await admin.query<RowDataPacket[]>(isMariaDb ? 'SHOW MASTER STATUS' : 'SHOW BINARY LOG STATUS');
  const r = rows[0];
  if (!r) throw new Error('binary logging is off');
  return { file: String(r['File']), position: Number(r['Position']) };
}

function streamer(
  start: BinlogPosition,
  tables: readonly string[],
  extra: Partial<StreamerOptions> = {},
): BinlogStreamer {
  const s = createStreamer({
    ...t,
    serverId: uniqueServerId(),
    database: DB,
    tables,
    start,
    logger: captureLogger().logger,
    ...extra,
  });
  streamers.push(s);
  return s;
}

/** The stream's row events: these streamers watch no statements, so nothing else may come. */
async function* rowEvents(s: BinlogStreamer): AsyncGenerator<RowEvent> {
  for await (const ev of s.events()) {
    if (ev.kind === 'statement') throw new Error('a statement event from a streamer that watches none');
    yield ev;
  }
}

/** Takes events until `until` accepts one (included), or fails after `timeoutMs`. */
async function collect(s: BinlogStreamer, until: (ev: RowEvent) => boolean, timeoutMs = 60_000): Promise<RowEvent[]> {
  const out: RowEvent[] = [];
  const deadline = setTimeout(() => void s.stop(), timeoutMs);
  try {
    for await (const ev of rowEvents(s)) {
      out.push(ev);
      if (until(ev)) return out;
    }
  } finally {
    clearTimeout(deadline);
  }
  throw new Error(`stream ended after ${out.length} events without the expected one`);
}

const isMarker = (token: string) => (ev: RowEvent) =>
  ev.table === 'chg' && ev.kind === 'insert' && ev.row['token'] === token;

async function writeMarker(token: string): Promise<void> {
  await admin.query(`INSERT INTO \`${DB}\`.chg (token) VALUES (?)`, [token]);
}

async function dumpThreads(): Promise<Set<number>> {
  const [rows] = await admin.query<RowDataPacket[]>(
    "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND IN ('Binlog Dump', 'Binlog Dump GTID') AND USER = ?",
    [t.user],
  );
  return new Set(rows.map((r) => Number(r['ID'])));
}

/** The dump thread a streamer opened after `before` was listed. */
async function newDumpThread(before: ReadonlySet<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const fresh = [...(await dumpThreads())].filter((id) => !before.has(id));
    if (fresh.length === 1 && fresh[0] !== undefined) return fresh[0];
    if (fresh.length > 1) throw new Error(`several new binlog dump threads: ${fresh.join(', ')}`);
    await sleep(25);
  }
  throw new Error('no binlog dump thread appeared');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

beforeAll(async () => {
  t = testServer().primary;
  isMariaDb = testServer().flavor === 'mariadb';
  DB = await freshSchema('streamer');
  OTHER_DB = await freshSchema('streamer_other');
  // Values as the applier reads them, plus JSON as text so big integers inside it compare exactly.
  admin = await mysql.createConnection({ ...t, ...EXACT, jsonStrings: true, multipleStatements: true });
  await admin.query(SESSION);
  await admin.query(`CREATE TABLE \`${DB}\`.chg (id INT AUTO_INCREMENT PRIMARY KEY, token VARCHAR(64) NOT NULL)`);
});

afterAll(async () => {
  await Promise.all(streamers.map((s) => s.stop()));
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS \`${DB}\`; DROP DATABASE IF EXISTS \`${OTHER_DB}\``);
    await admin.end();
  }
});

// Every type the issue names, generated columns (stored and virtual) in the middle of the row included.
const VALUES_TABLE = (name: string) => `CREATE TABLE ${name} (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  ti TINYINT NULL, tu TINYINT UNSIGNED NULL, si SMALLINT NULL, su SMALLINT UNSIGNED NULL,
  mi MEDIUMINT NULL, mu MEDIUMINT UNSIGNED NULL, i INT NULL, iu INT UNSIGNED NULL,
  bi BIGINT NULL, bu BIGINT UNSIGNED NULL,
  gv INT AS (ti * 2) VIRTUAL,
  de DECIMAL(30,10) NULL, f FLOAT NULL, d DOUBLE NULL,
  da DATE NULL, dt DATETIME(6) NULL, ts TIMESTAMP(6) NULL DEFAULT NULL, tm TIME(3) NULL, y YEAR NULL,
  c CHAR(10) CHARACTER SET utf8mb4 NULL, vc VARCHAR(100) CHARACTER SET utf8mb4 NULL,
  gs VARCHAR(110) CHARACTER SET utf8mb4 AS (CONCAT(vc, '!')) STORED,
  l1 VARCHAR(50) CHARACTER SET latin1 NULL, tx TEXT CHARACTER SET utf8mb4 NULL,
  bn BINARY(4) NULL, vb VARBINARY(16) NULL, bl BLOB NULL,
  e ENUM('small','medium','large') NULL, st SET('red','green','blue','alpha') NULL,
  b1 BIT(1) NULL, b12 BIT(12) NULL, j JSON NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

const WRITABLE = [
  'id',
  'ti',
  'tu',
  'si',
  'su',
  'mi',
  'mu',
  'i',
  'iu',
  'bi',
  'bu',
  'de',
  'f',
  'd',
  'da',
  'dt',
  'ts',
  'tm',
  'y',
  'c',
  'vc',
  'l1',
  'tx',
  'bn',
  'vb',
  'bl',
  'e',
  'st',
  'b1',
  'b12',
  'j',
];

const ROW_MAX = [
  '18446744073709551615',
  127,
  255,
  32767,
  65535,
  8388607,
  16777215,
  2147483647,
  4294967295,
  '9223372036854775807',
  '18446744073709551615',
  '99999999999999999999.9999999999',
  3.4028234e38,
  1.7976931348623157e308,
  '9999-12-31',
  '9999-12-31 23:59:59.999999',
  '2038-01-19 03:14:07.999999',
  '838:59:59.000',
  2155,
  'ten chars!',
  'emoji 😀🎉 and ünïcödé',
  'caf\u00e9 d\u00e9j\u00e0 vu \u00bd',
  'long text '.repeat(300),
  Buffer.from([0, 1, 0, 255]),
  Buffer.from([0, 0, 0x7f, 0]),
  Buffer.from([0, 0, 0, 1, 2, 0, 255, 0]),
  'large',
  'red,blue,alpha',
  Buffer.from([1]),
  Buffer.from([0x0f, 0xff]),
  '{"big": 18446744073709551615, "neg": -9223372036854775808, "n": {"a": [1, 2.5, null, true, "x"], "e": {}}}',
];
const ROW_MIN = [
  '9007199254740993',
  -128,
  0,
  -32768,
  0,
  -8388608,
  0,
  -2147483648,
  0,
  '-9223372036854775808',
  '9007199254740993',
  '-99999999999999999999.9999999999',
  -1.17549435e-38,
  -2.2250738585072014e-308,
  '1000-01-01',
  '1000-01-01 00:00:00.000000',
  '1970-01-01 00:00:01.000000',
  '-838:59:59.000',
  0,
  '',
  '',
  '',
  '',
  Buffer.alloc(4),
  Buffer.alloc(0),
  Buffer.alloc(0),
  'small',
  '',
  Buffer.from([0]),
  Buffer.from([0, 0]),
  '[]',
];
const ROW_MID = [
  9007199254740991,
  0,
  1,
  -1,
  1,
  -1,
  1,
  -1,
  1,
  '-9007199254740993',
  1,
  '0.0000000001',
  0.1,
  0.1,
  '2024-02-29',
  '2024-02-29 12:34:56.000001',
  '2024-02-29 12:34:56.123456',
  '-01:00:00.000',
  1901,
  'a',
  'x',
  'plain',
  "tab\tnewline\nquote'backslash\\",
  Buffer.from('ab\0c'),
  Buffer.from([0]),
  Buffer.from('\0\0\0'),
  'medium',
  'green',
  Buffer.from([1]),
  Buffer.from([0, 1]),
  '{"k": "v", "nested": {"deep": {"deeper": [9007199254740993]}}}',
];

function insertSql(table: string): string {
  return `INSERT INTO ${table} (${WRITABLE.map((c) => `\`${c}\``).join(', ')}) VALUES (${WRITABLE.map(() => '?').join(', ')})`;
}

/** What the applier would do with an event: the row's writable columns, bound as ? placeholders. */
async function replay(conn: Connection, table: string, ev: RowEvent): Promise<void> {
  const values = (row: Row) => WRITABLE.map((c) => row[c]);
  if (ev.kind === 'insert') {
    await conn.query(insertSql(table), values(ev.row));
  } else if (ev.kind === 'delete') {
    await conn.query(`DELETE FROM ${table} WHERE id = ?`, [ev.row['id']]);
  } else {
    const set = WRITABLE.map((c) => `\`${c}\` = ?`).join(', ');
    await conn.query(`UPDATE ${table} SET ${set} WHERE id = ?`, [...values(ev.after), ev.before['id']]);
  }
}

async function selectAll(conn: Connection, table: string): Promise<RowDataPacket[]> {
  const [rows] = await conn.query<RowDataPacket[]>(`SELECT * FROM ${table} ORDER BY id`);
  return rows;
}

/** A server-side digest per row over every column, so the comparison does not depend on the driver's decoding. */
async function digests(conn: Connection, table: string): Promise<RowDataPacket[]> {
  const all = [...WRITABLE.slice(0, 11), 'gv', ...WRITABLE.slice(11, 21), 'gs', ...WRITABLE.slice(21)];
  const parts = all.map((c) => `IFNULL(HEX(\`${c}\`), 'N')`).join(', ');
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT id, CRC32(CONCAT_WS('#', ${parts})) AS crc, CAST(j AS CHAR) AS jtext, CAST(f AS CHAR) AS ftext FROM ${table} ORDER BY id`,
  );
  return rows;
}

describe('binlog streamer', () => {
  it('streams inserts, updates and deletes whose values replay onto a copy exactly, and nothing from other tables', async () => {
    await admin.query(
      `${VALUES_TABLE(`\`${DB}\`.src`)}; ${VALUES_TABLE(`\`${DB}\`.copy`)}; ${VALUES_TABLE(`\`${DB}\`.other`)}; ${VALUES_TABLE(`\`${OTHER_DB}\`.src`)}`,
    );
    const s = streamer(await binlogStatus(), ['src', 'chg']);
    await s.start();

    const src = `\`${DB}\`.src`;
    const nulls = ['3', ...WRITABLE.slice(1).map(() => null)];
    for (const table of [src, `\`${DB}\`.other`, `\`${OTHER_DB}\`.src`]) {
      await admin.query(insertSql(table), ROW_MAX);
      await admin.query(insertSql(table), ROW_MIN);
      await admin.query(insertSql(table), nulls);
      await admin.query(insertSql(table), ['4', ...ROW_MID.slice(1)]);
    }
    await admin.query(
      `INSERT INTO ${src} (id, vc, j) VALUES (5, 'five', '{"a": 1}'), (6, 'six', NULL), (7, NULL, '"seven"')`,
    );
    // Updates: NULLs to values, values to NULLs, a key change, several rows in one statement, in one transaction.
    await admin.query('START TRANSACTION');
    await admin.query(
      `UPDATE ${src} SET ti = 5, f = 2.5, d = -0.0, tm = '12:00:00.5', y = 1999, st = 'blue,red', b12 = b'101', j = '{"x": [18446744073709551615]}', bl = x'00ff00' WHERE id = 3`,
    );
    await admin.query(
      `UPDATE ${src} SET vc = NULL, j = NULL, bn = NULL, e = NULL, st = NULL, ts = NULL WHERE id = 9007199254740993`,
    );
    await admin.query(`UPDATE ${src} SET id = 40, vc = CONCAT(vc, '→') WHERE id = 4`);
    await admin.query(`UPDATE ${src} SET i = i * 2 + 1, tx = CONCAT(IFNULL(tx, ''), '+') WHERE id IN (5, 6, 7)`);
    await admin.query('COMMIT');
    await admin.query(`DELETE FROM ${src} WHERE id IN (6, 18446744073709551615)`);
    await admin.query(insertSql(src), ['18446744073709551615', ...ROW_MID.slice(1)]);
    await writeMarker('values-done');

    const events = await collect(s, isMarker('values-done'));
    expect(events.every((ev) => ev.database === DB && (ev.table === 'src' || ev.table === 'chg'))).toBe(true);
    const srcEvents = events.filter((ev) => ev.table === 'src');
    expect(srcEvents.map((ev) => ev.kind)).toEqual([
      'insert',
      'insert',
      'insert',
      'insert',
      'insert',
      'insert',
      'insert',
      'update',
      'update',
      'update',
      'update',
      'update',
      'update',
      'delete',
      'delete',
      'insert',
    ]);

    // An event carries what SELECT returns for the row at that point (with JSON as text).
    const first = srcEvents[0];
    expect(first?.kind === 'insert' && first.row['id']).toBe('18446744073709551615');
    const [maxRows] = await admin.query<RowDataPacket[]>(
      `SELECT * FROM \`${DB}\`.other WHERE id = 18446744073709551615`,
    );
    const firstRow = first?.kind === 'insert' ? first.row : {};
    // FLOAT: the event holds the exact float32 (3.4028234663852886e38) where SELECT prints a rounded decimal.
    expect(Math.fround(Number(firstRow['f']))).toBe(Math.fround(3.4028234e38));
    expect(firstRow).toEqual({ ...maxRows[0], f: firstRow['f'] });

    // Replay onto the empty copy through a session like the applier's.
    const writer = await mysql.createConnection({ ...t, ...EXACT });
    try {
      await writer.query(SESSION);
      for (const ev of srcEvents) await replay(writer, `\`${DB}\`.copy`, ev);
    } finally {
      await writer.end();
    }
    const original = await selectAll(admin, src);
    expect(original.map((r): unknown => r['id'])).toEqual([
      '3',
      '5',
      '7',
      '40',
      '9007199254740993',
      '18446744073709551615',
    ]);
    expect(await selectAll(admin, `\`${DB}\`.copy`)).toEqual(original);
    expect(await digests(admin, `\`${DB}\`.copy`)).toEqual(await digests(admin, src));
    await s.stop();
  });

  it('reconnects after its dump thread is KILLed mid-stream and delivers every row at least once, in order per row', async () => {
    await admin.query(`CREATE TABLE \`${DB}\`.k (id INT PRIMARY KEY, phase VARCHAR(10) NOT NULL)`);
    const log = captureLogger();
    const before = await dumpThreads();
    const s = streamer(await binlogStatus(), ['k', 'chg'], { logger: log.logger });
    await s.start();
    const firstThread = await newDumpThread(before);

    const N = 3000;
    const writer = await mysql.createConnection({ ...t, ...EXACT });
    const writing = (async () => {
      for (let id = 1; id <= N; id += 5) {
        const ids = [id, id + 1, id + 2, id + 3, id + 4].filter((x) => x <= N);
        await writer.query(
          `INSERT INTO \`${DB}\`.k (id, phase) VALUES ${ids.map(() => '(?, ?)').join(', ')}`,
          ids.flatMap((x) => [x, 'new']),
        );
        if (id > 10)
          await writer.query(`UPDATE \`${DB}\`.k SET phase = 'done' WHERE id BETWEEN ? AND ?`, [id - 10, id - 6]);
      }
      await writer.query(`UPDATE \`${DB}\`.k SET phase = 'done' WHERE phase = 'new'`);
    })();

    const seen: RowEvent[] = [];
    let killed = 0;
    let known = new Set([...before, firstThread]);
    let thread = firstThread;
    const consuming = (async () => {
      for await (const ev of rowEvents(s)) {
        seen.push(ev);
        if (killed < 2 && seen.length >= (killed + 1) * 1200) {
          killed++;
          await admin.query(`KILL ${thread}`);
          thread = await newDumpThread(known);
          known = new Set([...known, thread]);
        }
        if (isMarker('kill-done')(ev)) return;
      }
    })();
    await writing;
    await writer.end();
    await writeMarker('kill-done');
    await Promise.race([consuming, sleep(90_000).then(() => s.stop())]);
    await s.stop();

    expect(killed).toBe(2);
    expect(log.lines.filter((l) => l.event === 'binlog_reconnect').length).toBeGreaterThanOrEqual(2);
    expect(log.lines.find((l) => l.event === 'binlog_reconnect')?.fields).toMatchObject({ attempt: 1, max: 60 });
    const byId = new Map<number, string[]>();
    for (const ev of seen) {
      if (ev.table !== 'k') continue;
      const row = ev.kind === 'update' ? ev.after : ev.row;
      const id = Number(row['id']);
      byId.set(id, [...(byId.get(id) ?? []), `${ev.kind}:${String(row['phase'])}`]);
    }
    expect(byId.size).toBe(N);
    for (const [id, history] of byId) {
      // Re-delivery repeats a transaction; collapsing repeats must leave insert then update, as written.
      const collapsed = history.filter((h, i) => h !== history[i - 1]);
      expect({ id, collapsed }).toEqual({ id, collapsed: ['insert:new', 'update:done'] });
    }
  });

  it('keeps going across a binlog rotation', async () => {
    await admin.query(`CREATE TABLE \`${DB}\`.r (id INT PRIMARY KEY)`);
    const start = await binlogStatus();
    const s = streamer(start, ['r', 'chg']);
    await s.start();
    await admin.query(`INSERT INTO \`${DB}\`.r VALUES (1), (2)`);
    await admin.query('FLUSH BINARY LOGS');
    await admin.query(`INSERT INTO \`${DB}\`.r VALUES (3)`);
    await admin.query('FLUSH BINARY LOGS');
    await admin.query(`INSERT INTO \`${DB}\`.r VALUES (4)`);
    await writeMarker('rotate-done');
    const events = await collect(s, isMarker('rotate-done'));
    const ids = events.filter((ev) => ev.table === 'r').map((ev) => (ev.kind === 'insert' ? ev.row['id'] : null));
    expect(ids).toEqual([1, 2, 3, 4]);
    const files = [...new Set(events.filter((ev) => ev.table === 'r').map((ev) => ev.resume.file))];
    expect(files.length).toBe(3);
    expect(s.position().file).toBe((await binlogStatus()).file);
    expect(s.position().file).not.toBe(start.file);
    await s.stop();
  });

  it('pauses the reader above the high-water mark and resumes it once the consumer catches up', async () => {
    await admin.query(`CREATE TABLE \`${DB}\`.bp (id INT PRIMARY KEY, pad VARCHAR(1000) NOT NULL)`);
    const hwm = 200;
    const s = streamer(await binlogStatus(), ['bp', 'chg'], { highWaterMark: hwm });
    await s.start();
    const N = 4000;
    for (let id = 1; id <= N; id += 100) {
      const ids = Array.from({ length: 100 }, (_, k) => id + k);
      await admin.query(`INSERT INTO \`${DB}\`.bp VALUES ${ids.map(() => "(?, REPEAT('x', 1000))").join(', ')}`, ids);
    }
    await writeMarker('bp-done');
    // Nobody consumes: the queue must stop growing near the mark (a socket read already in progress still
    // finishes: about 64 KiB, some 60 of these rows), far below the 4000 rows written.
    let peak = 0;
    let stableSince = Date.now();
    while (Date.now() - stableSince < 1000) {
      const b = s.backlog();
      if (b > peak) {
        peak = b;
        stableSince = Date.now();
      }
      await sleep(10);
    }
    expect(peak).toBeGreaterThan(hwm);
    expect(peak).toBeLessThan(hwm + 400);
    const events = await collect(s, isMarker('bp-done'));
    const ids = events.filter((ev) => ev.table === 'bp').map((ev) => (ev.kind === 'insert' ? ev.row['id'] : null));
    expect(ids).toEqual(Array.from({ length: N }, (_, k) => k + 1));
    await s.stop();
  });

  it('fails the iterator on a reader error instead of skipping the event', async () => {
    // The table is gone before the reader sees its rows: zongji cannot learn its columns, so it cannot decode them.
    const start = await binlogStatus();
    await admin.query(`CREATE TABLE \`${DB}\`.gone (id INT PRIMARY KEY)`);
    await admin.query(`INSERT INTO \`${DB}\`.gone VALUES (1)`);
    await admin.query(`DROP TABLE \`${DB}\`.gone`);
    const s = streamer(start, ['gone', 'chg']);
    await s.start();
    const err = await collect(s, () => false, 30_000).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OscError);
    expect((err as OscError).code).toBe('BINLOG_STREAM');
    expect((err as OscError).cause).toBeInstanceOf(Error);
    await s.stop();
  });

  it('rejects start() with BINLOG_STREAM when the start position cannot be read', async () => {
    const s = streamer({ file: 'no-such-binlog.000001', position: 4 }, ['chg']);
    const err = await s.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OscError);
    expect((err as OscError).code).toBe('BINLOG_STREAM');
    await s.stop();
  });

  it('stops idempotently and ends the iterator', async () => {
    const s = streamer(await binlogStatus(), ['chg']);
    await s.start();
    const ended = collect(s, () => false).then(
      () => 'events',
      (e: unknown) => (e instanceof Error ? e.message : 'error'),
    );
    await Promise.all([s.stop(), s.stop()]);
    expect(await ended).toMatch(/without the expected one/);
    expect(s.backlog()).toBe(0);
  });
});
