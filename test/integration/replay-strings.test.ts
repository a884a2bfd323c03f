// Strings replayed from the binlog reach the ghost byte for byte as the server itself would store them: for every
// character set the server offers a column, values holding every byte (single-byte sets) or a broad sample of
// characters (multi-byte sets) are written, changed and deleted, read by the real streamer and replayed by the
// real applier; the ghost must then equal what INSERT ... SELECT from the original stores, compared with HEX().
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPool, type SessionPool } from '../../src/io/db/pool.js';
import { exactConnection, quoteId } from '../support/load.js';
import { recordEvents, replayOnto } from '../support/replay.js';
import { freshSchema, testServer } from '../support/servers.js';

let DB = '';
let admin: Connection;
let pool: SessionPool;

beforeAll(async () => {
  DB = await freshSchema('replay_strings');
  admin = await exactConnection(testServer().primary, DB);
  pool = openPool(testServer().primary, 8);
});

afterAll(async () => {
  await pool?.close();
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await admin.end();
});

async function hexRows(conn: Connection, table: string, columns: readonly string[]): Promise<RowDataPacket[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT id, ${columns.map((c) => `HEX(${quoteId(c)}) AS ${quoteId(c)}`).join(', ')} FROM ${quoteId(table)} ORDER BY id`,
  );
  return rows;
}

interface Charset {
  readonly name: string;
  readonly maxlen: number;
  readonly bin: string;
}

async function columnCharsets(): Promise<Charset[]> {
  const [rows] = await admin.query<RowDataPacket[]>(
    `SELECT c.CHARACTER_SET_NAME AS name, c.MAXLEN AS maxlen, MIN(l.COLLATION_NAME) AS bin
       FROM information_schema.CHARACTER_SETS c
       JOIN information_schema.COLLATIONS l ON l.CHARACTER_SET_NAME = c.CHARACTER_SET_NAME AND l.COLLATION_NAME LIKE '%\\_bin'
      WHERE c.CHARACTER_SET_NAME <> 'binary'
      GROUP BY c.CHARACTER_SET_NAME, c.MAXLEN ORDER BY c.CHARACTER_SET_NAME`,
  );
  return rows.map((r) => ({ name: String(r['name']), maxlen: Number(r['maxlen']), bin: String(r['bin']) }));
}

/** A value of charset `cs`: raw bytes (every byte of a single-byte set) or characters the server converts. */
type Piece = Buffer | string;

/**
 * Every code point below U+0800 (all of the one- and two-byte UTF-8 range, where most single-script sets live),
 * then every 7th of the rest of the BMP and every 997th astral one: broad, and small enough that the binlog
 * volume (which the shared replicas must apply too) stays a few megabytes.
 */
function unicodeSample(): string {
  const cps: number[] = [];
  for (let cp = 1; cp < 0x800; cp++) cps.push(cp);
  for (let cp = 0x800; cp <= 0xffff; cp += 7) if (cp < 0xd800 || cp > 0xdfff) cps.push(cp);
  for (let cp = 0x10000; cp <= 0x10ffff; cp += 997) cps.push(cp);
  return String.fromCodePoint(...cps);
}

/**
 * `all`: what a column of `cs` can hold, in row-sized pieces: every byte for a single-byte set, else every
 * sampled character the server maps into the set and back. `mapped`: only what converts to utf8mb4 and back.
 */
async function samples(cs: Charset, rowChars: number): Promise<{ all: Piece[]; mapped: Piece[] }> {
  const conv = await exactConnection(testServer().primary, DB);
  try {
    // Unmappable characters become '?' with a warning here, not an error: this session only explores.
    await conv.query("SET SESSION sql_mode = ''");
    const chunk = (whole: Buffer, size: number): Buffer[] => {
      const out: Buffer[] = [];
      for (let i = 0; i < whole.length; i += size) out.push(whole.subarray(i, i + size));
      return out;
    };
    if (cs.maxlen === 1) {
      // Every byte a column of the set stores as given (MySQL's ascii column refuses 0x80-0xFF, for one).
      await conv.query(`CREATE TEMPORARY TABLE probe (b INT NOT NULL, v VARCHAR(1) CHARACTER SET ${cs.name} NULL)`);
      const every = Array.from({ length: 256 }, (_, i) => i);
      await conv.query(
        `INSERT INTO probe VALUES ${every.map(() => `(?, CONVERT(? USING ${cs.name}))`).join(', ')}`,
        every.flatMap((b) => [b, Buffer.from([b])]),
      );
      const [rows] = await conv.query<RowDataPacket[]>(
        'SELECT b, HEX(v) AS h, CONVERT(v USING utf8mb4) AS back FROM probe ORDER BY b',
      );
      const stored = rows.filter(
        (r) =>
          r['h'] ===
          Buffer.from([Number(r['b'])])
            .toString('hex')
            .toUpperCase(),
      );
      const bytes = Buffer.from(stored.map((r) => Number(r['b'])));
      const mapped = Buffer.from(
        stored.filter((r) => r['back'] !== '?' || Number(r['b']) === 0x3f).map((r) => Number(r['b'])),
      );
      return { all: chunk(bytes, rowChars), mapped: chunk(mapped, rowChars) };
    }
    const sample = [...unicodeSample()];
    const kept: string[] = [];
    const step = 4096;
    for (let i = 0; i < sample.length; i += step) {
      const part = sample.slice(i, i + step);
      const [rows] = await conv.query<RowDataPacket[]>(
        `SELECT CONVERT(CONVERT(? USING ${cs.name}) USING utf8mb4) AS back`,
        [part.join('')],
      );
      const back = [...String(rows[0]?.['back'])];
      part.forEach((ch, j) => {
        if (back[j] === ch) kept.push(ch);
      });
    }
    const pieces: string[] = [];
    for (let i = 0; i < kept.length; i += rowChars) pieces.push(kept.slice(i, i + rowChars).join(''));
    return { all: pieces, mapped: pieces };
  } finally {
    await conv.end();
  }
}

const COLUMNS = ['k', 'v', 't', 'c', 'u'];

/** The first `n` characters (bytes of a single-byte piece), never half a surrogate pair. */
function head(p: Piece, n: number): Piece {
  return typeof p === 'string' ? [...p].slice(0, n).join('') : p.subarray(0, n);
}

/**
 * One character set: its original, a ghost of the same definition and one whose key and `u` are utf8mb4, the
 * changes replayed onto both; returns what differs from INSERT ... SELECT, or why replay failed.
 */
async function checkCharset(cs: Charset): Promise<string[]> {
  const conn = await exactConnection(testServer().primary, DB);
  try {
    const src = `s_${cs.name}`;
    const t = (name: string) => quoteId(name);
    // k: the chunk key, compared in the ghost's collation; v: VARCHAR (2-byte length prefix); t: TEXT; c: CHAR;
    // u: only characters that convert to utf8mb4, for the ghost whose u (and k) are converted.
    await conn.query(`CREATE TABLE ${t(src)} (
        id INT NOT NULL,
        k VARCHAR(40) CHARACTER SET ${cs.name} COLLATE ${cs.bin} NOT NULL,
        v VARCHAR(300) CHARACTER SET ${cs.name} NULL,
        t MEDIUMTEXT CHARACTER SET ${cs.name} NULL,
        c CHAR(12) CHARACTER SET ${cs.name} NULL,
        u TEXT CHARACTER SET ${cs.name} NULL,
        PRIMARY KEY (k), UNIQUE KEY (id)
      ) ENGINE=InnoDB`);
    const same = `g_${cs.name}`;
    const converted = `h_${cs.name}`;
    await conn.query(`CREATE TABLE ${t(same)} LIKE ${t(src)}`);
    await conn.query(`CREATE TABLE ${t(converted)} LIKE ${t(src)}`);
    await conn.query(
      `ALTER TABLE ${t(converted)} MODIFY k VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, MODIFY u TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL`,
    );
    const { all, mapped } = await samples(cs, cs.maxlen === 1 ? 64 : 200);

    const n = Math.max(all.length, mapped.length);
    const at = <T>(xs: readonly T[], i: number): T | null => (xs.length === 0 ? null : (xs[i % xs.length] as T));
    const tuple = `(?, CONCAT(CONVERT(? USING ${cs.name}), CONVERT(? USING ${cs.name}), CONVERT('z' USING ${cs.name})), ${['v', 't', 'c', 'u'].map(() => `CONVERT(? USING ${cs.name})`).join(', ')})`;
    const events = await recordEvents(conn, [src], async () => {
      for (let first = 0; first < n; first += 50) {
        const ids = Array.from({ length: Math.min(50, n - first) }, (_, j) => first + j);
        const params = ids.flatMap((i) => {
          const piece = at(all, i);
          const m = at(mapped, i);
          return [i, `k${i}-`, m === null ? '' : head(m, 8), piece, piece, piece === null ? null : head(piece, 12), m];
        });
        await conn.query(`INSERT INTO ${t(src)} (id, k, v, t, c, u) VALUES ${ids.map(() => tuple).join(', ')}`, params);
      }
      // Changes through every replay path: an update in place, a key change, a delete, NULLs both ways.
      await conn.query(
        `UPDATE ${t(src)} SET v = REVERSE(v), t = CONCAT(t, v), c = REVERSE(c), u = REVERSE(u) WHERE id % 2 = 0`,
      );
      await conn.query(`UPDATE ${t(src)} SET k = CONCAT(k, CONVERT('x' USING ${cs.name})) WHERE id % 3 = 0`);
      await conn.query(`UPDATE ${t(src)} SET v = NULL, c = NULL WHERE id % 7 = 1`);
      await conn.query(`DELETE FROM ${t(src)} WHERE id % 5 = 4`);
    });

    const failures: string[] = [];
    for (const ghost of [same, converted]) {
      const expected = `e_${ghost}`;
      await conn.query(`CREATE TABLE ${t(expected)} LIKE ${t(ghost)}`);
      await conn.query(`INSERT INTO ${t(expected)} SELECT * FROM ${t(src)}`);
      try {
        await replayOnto({ pool, database: DB, table: src, ghost, events });
        const actual = await hexRows(conn, ghost, COLUMNS);
        const wanted = await hexRows(conn, expected, COLUMNS);
        if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
          const bad = wanted.findIndex((r, i) => JSON.stringify(r) !== JSON.stringify(actual[i]));
          failures.push(
            `${ghost}: ${actual.length} rows, expected ${wanted.length}; first difference at row #${bad}: ${JSON.stringify(actual[bad])} vs ${JSON.stringify(wanted[bad])}`.slice(
              0,
              400,
            ),
          );
        }
      } catch (err) {
        failures.push(`${ghost}: ${(err as Error).message}`);
      }
    }
    return failures;
  } finally {
    await conn.end();
  }
}

describe('string values replay byte for byte', () => {
  test('every character set a column can use: VARCHAR, CHAR and TEXT, keys included, same and converted charsets', async () => {
    const charsets = await columnCharsets();
    expect(charsets.map((c) => c.name)).toEqual(
      expect.arrayContaining(['latin1', 'utf8mb4', 'ucs2', 'utf16', 'utf32', 'sjis', 'big5']),
    );
    // A few at a time: the time goes into round trips and DDL, not into the server's CPU.
    const queue = [...charsets];
    const failures: string[] = [];
    const worker = async () => {
      for (let cs = queue.shift(); cs !== undefined; cs = queue.shift()) failures.push(...(await checkCharset(cs)));
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(failures.sort()).toEqual([]);
  });
});

describe('bytes a single-byte charset leaves undefined', () => {
  // cp1250 has no character at 0x81, 0x83, 0x88, 0x90, 0x98; its columns store those bytes all the same, and
  // MySQL's CONVERT keeps them but warns (1300).
  test('in a key: replayed exactly within the charset, a failure (never a wrong row) when the key is converted', async () => {
    await admin.query(
      'CREATE TABLE u_src (k VARCHAR(10) CHARACTER SET cp1250 COLLATE cp1250_general_ci NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB',
    );
    await admin.query('CREATE TABLE u_same LIKE u_src');
    await admin.query('CREATE TABLE u_conv LIKE u_src');
    await admin.query('ALTER TABLE u_conv MODIFY k VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL');
    // A row whose key the converted table could never hold: '?' there, which another row really has.
    await admin.query("INSERT INTO u_conv VALUES ('a?b', 7)");
    const key = Buffer.from([0x61, 0x81, 0x62]);
    const events = await recordEvents(admin, ['u_src'], async () => {
      await admin.query('INSERT INTO u_src VALUES (?, 1), (?, 2)', [key, Buffer.from([0x83, 0x88, 0x90, 0x98])]);
      await admin.query('UPDATE u_src SET v = v + 10');
      await admin.query('DELETE FROM u_src WHERE v = 11');
    });
    await replayOnto({ pool, database: DB, table: 'u_src', ghost: 'u_same', events });
    const read = async (t: string) =>
      (await admin.query<RowDataPacket[]>(`SELECT HEX(k) AS k, v FROM ${t} ORDER BY k`))[0];
    expect(await read('u_same')).toEqual(await read('u_src'));
    expect(await read('u_same')).toEqual([{ k: '83889098', v: 12 }]);
    // Only the delete (the row never reached the converted table): its key compares as 'a?b'.
    const deletes = events.filter((e) => e.kind === 'delete');
    expect(deletes).toHaveLength(1);
    const err = await replayOnto({ pool, database: DB, table: 'u_src', ghost: 'u_conv', events: deletes }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'REPLAY_FAILED' });
    expect(await read('u_conv')).toEqual([{ k: '613F62', v: 7 }]);
  });
});

describe("MariaDB's COMPRESSED columns", () => {
  test.runIf(testServer().flavor === 'mariadb')('VARCHAR and TEXT ... COMPRESSED replay byte for byte', async () => {
    await admin.query(
      'CREATE TABLE z_src (id INT NOT NULL PRIMARY KEY, v VARCHAR(600) CHARACTER SET latin1 COMPRESSED NULL, t TEXT CHARACTER SET utf8mb4 COMPRESSED NULL) ENGINE=InnoDB',
    );
    await admin.query('CREATE TABLE z_same LIKE z_src');
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const events = await recordEvents(admin, ['z_src'], async () => {
      await admin.query("INSERT INTO z_src VALUES (1, ?, REPEAT('Jörg 😀 ', 200)), (2, ?, NULL), (3, NULL, 'x')", [
        bytes,
        bytes.subarray(0x80, 0xa0),
      ]);
      await admin.query("UPDATE z_src SET v = CONCAT(v, v), t = CONCAT(t, '€') WHERE id < 3");
    });
    await replayOnto({ pool, database: DB, table: 'z_src', ghost: 'z_same', events });
    const read = async (t: string) =>
      (await admin.query<RowDataPacket[]>(`SELECT id, HEX(v) AS v, HEX(t) AS t FROM ${t} ORDER BY id`))[0];
    expect(await read('z_same')).toEqual(await read('z_src'));
  });
});

describe('ENUM and SET members replay by their exact names', () => {
  // Names zongji's own parser gets wrong (commas in ENUM members, quotes, backslashes) and names outside ASCII in charsets
  // other than utf8mb4: latin1's 0x81 and 0x8D (U+0081, U+008D), Cyrillic, Japanese, UCS-2.
  const MEMBERS: Readonly<Record<string, readonly string[]>> = {
    latin1: ['x,y', 'y', 'z', "it's", 'a\\b', '\u0081', '\u008d', 'é', 'n\nl'],
    cp1251: ['x,y', 'Привет', 'мир', "it's"],
    sjis: ['日本', 'x,y', '語', 'a\\b'],
    ucs2: ['Ω', 'x,y', 'ж'],
    utf8mb4: ['€uro', 'x,y', "''", 'é', '中'],
  };

  test('in several character sets, with commas, quotes and backslashes in the names', async () => {
    const failures: string[] = [];
    for (const [cs, members] of Object.entries(MEMBERS)) {
      const src = `es_${cs}`;
      const list = members.map(() => '?').join(', ');
      // A SET member cannot hold a comma.
      const setMembers = members.map((m) => m.replace(',', ';'));
      await admin.query(
        `CREATE TABLE ${quoteId(src)} (id INT NOT NULL PRIMARY KEY, e ENUM(${list}) CHARACTER SET ${cs} NULL, s SET(${list}) CHARACTER SET ${cs} NULL) ENGINE=InnoDB`,
        [...members, ...setMembers],
      );
      const same = `eg_${cs}`;
      const converted = `eh_${cs}`;
      await admin.query(`CREATE TABLE ${quoteId(same)} LIKE ${quoteId(src)}`);
      await admin.query(`CREATE TABLE ${quoteId(converted)} LIKE ${quoteId(src)}`);
      // Members named again: MySQL 9.7's CONVERT TO CHARACTER SET garbles non-ASCII ENUM names of a latin1 column.
      await admin.query(
        `ALTER TABLE ${quoteId(converted)} MODIFY e ENUM(${list}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, MODIFY s SET(${list}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL`,
        [...members, ...setMembers],
      );

      const n = members.length;
      // e by member number; s as a bit set: every member alone, and several together.
      const rows = Array.from({ length: n + 2 }, (_, i) => [
        i,
        i < n ? i + 1 : null,
        i < n ? 2 ** i : 2 ** n - 1 - (i - n),
      ]);
      const events = await recordEvents(admin, [src], async () => {
        await admin.query(`INSERT INTO ${quoteId(src)} VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}`, rows.flat());
        await admin.query(`UPDATE ${quoteId(src)} SET e = ${n} - e + 1, s = s ^ 5 WHERE id % 2 = 0`);
        await admin.query(`DELETE FROM ${quoteId(src)} WHERE id = 1`);
      });

      for (const ghost of [same, converted]) {
        const expected = `e_${ghost}`;
        await admin.query(`CREATE TABLE ${quoteId(expected)} LIKE ${quoteId(ghost)}`);
        await admin.query(`INSERT INTO ${quoteId(expected)} SELECT * FROM ${quoteId(src)}`);
        try {
          await replayOnto({ pool, database: DB, table: src, ghost, events });
          const read = async (t: string) =>
            (
              await admin.query<RowDataPacket[]>(
                `SELECT id, HEX(e) AS e, e + 0 AS ei, HEX(s) AS s, s + 0 AS si FROM ${quoteId(t)} ORDER BY id`,
              )
            )[0];
          const actual = await read(ghost);
          const wanted = await read(expected);
          if (JSON.stringify(actual) !== JSON.stringify(wanted))
            failures.push(`${ghost}: ${JSON.stringify(actual)} vs ${JSON.stringify(wanted)}`.slice(0, 600));
        } catch (err) {
          failures.push(`${ghost}: ${(err as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  test('a member name outside the BMP, which the server itself prints as ?, fails replay rather than writing another value', async () => {
    // information_schema and SHOW CREATE TABLE both print '?' for it: no name to write is known.
    await admin.query(
      "CREATE TABLE es_astral (id INT NOT NULL PRIMARY KEY, e ENUM('😀', 'b') CHARACTER SET utf8mb4 NULL) ENGINE=InnoDB",
    );
    await admin.query('CREATE TABLE eg_astral LIKE es_astral');
    const events = await recordEvents(admin, ['es_astral'], async () => {
      await admin.query('INSERT INTO es_astral VALUES (1, 1), (2, 2)');
    });
    const err = await replayOnto({ pool, database: DB, table: 'es_astral', ghost: 'eg_astral', events }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'REPLAY_FAILED' });
  });
});
