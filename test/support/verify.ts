// Offline verification: snapshot the seeded table, replay the load's committed writes onto the snapshot,
// apply the ALTER to it the ordinary way, then compare the migrated table with it column by column.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { qualified, quoteId, renderWrite } from './load.js';
import type { LoggedWrite } from './load.js';
import { rememberSchema } from './schema-registry.js';

export interface TableRef {
  readonly database: string;
  readonly table: string;
}

interface ColumnInfo {
  readonly name: string;
  readonly columnType: string;
  readonly dataType: string;
  readonly nullable: string;
  readonly dflt: string | null;
  readonly extra: string;
  readonly charset: string | null;
  readonly collation: string | null;
  readonly generation: string | null;
}

export async function columnsOf(conn: Connection, t: TableRef): Promise<ColumnInfo[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS columnType, DATA_TYPE AS dataType, IS_NULLABLE AS nullable,
            COLUMN_DEFAULT AS dflt, EXTRA AS extra, CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation,
            GENERATION_EXPRESSION AS generation
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [t.database, t.table],
  );
  return rows.map((r) => ({
    name: String(r['name']),
    columnType: String(r['columnType']),
    dataType: String(r['dataType']).toLowerCase(),
    nullable: String(r['nullable']),
    dflt: r['dflt'] === null ? null : String(r['dflt']),
    extra: String(r['extra'] ?? ''),
    charset: r['charset'] === null ? null : String(r['charset']),
    collation: r['collation'] === null ? null : String(r['collation']),
    generation: r['generation'] === null || r['generation'] === undefined ? null : String(r['generation']),
  }));
}

/** Index list as `name unique(0/1) col1(sub_part),col2`, sorted by name. */
export async function indexesOf(conn: Connection, t: TableRef): Promise<string[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS col, SUB_PART AS sub, INDEX_TYPE AS type
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    [t.database, t.table],
  );
  const byName = new Map<string, { unique: boolean; type: string; cols: string[] }>();
  for (const r of rows) {
    const name = String(r['name']);
    let e = byName.get(name);
    if (!e) {
      e = { unique: String(r['nonUnique']) === '0', type: String(r['type']), cols: [] };
      byName.set(name, e);
    }
    e.cols.push(String(r['col']) + (r['sub'] === null ? '' : `(${String(r['sub'])})`));
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, e]) => `${name} ${e.unique ? 'UNIQUE' : 'INDEX'} ${e.type} (${e.cols.join(',')})`);
}

export async function tableNames(conn: Connection, database: string): Promise<string[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
    [database],
  );
  return rows.map((r) => String(r['name']));
}

export async function tableExists(conn: Connection, t: TableRef): Promise<boolean> {
  return (await tableNames(conn, t.database)).includes(t.table);
}

/** CHECKSUM TABLE of one table, as text (null when the table is missing). */
export async function checksum(conn: Connection, t: TableRef): Promise<string | null> {
  const [rows] = await conn.query<RowDataPacket[]>(`CHECKSUM TABLE ${qualified(t.database, t.table)} EXTENDED`);
  const v: unknown = rows[0]?.['Checksum'];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

/** Copies the table (definition and rows of every non-generated column) to `to`, replacing it. */
export async function snapshotTable(conn: Connection, from: TableRef, to: TableRef): Promise<void> {
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteId(to.database)}`);
  rememberSchema(to.database);
  await conn.query(`DROP TABLE IF EXISTS ${qualified(to.database, to.table)}`);
  await conn.query(`CREATE TABLE ${qualified(to.database, to.table)} LIKE ${qualified(from.database, from.table)}`);
  const cols = (await columnsOf(conn, from)).filter((c) => !isGenerated(c)).map((c) => quoteId(c.name));
  if (cols.length === 0) return;
  await conn.query(
    `INSERT INTO ${qualified(to.database, to.table)} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM ${qualified(from.database, from.table)}`,
  );
}

function isGenerated(c: ColumnInfo): boolean {
  return /\bGENERATED\b/i.test(c.extra) || /\b(VIRTUAL|PERSISTENT|STORED)\b/i.test(c.extra);
}

/** Replays the logged writes in commit order onto the snapshot; every one must succeed as it did live. */
export async function replayWrites(conn: Connection, writes: readonly LoggedWrite[], onto: TableRef): Promise<void> {
  const target = qualified(onto.database, onto.table);
  await conn.query('SET autocommit = 0');
  try {
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i] as LoggedWrite;
      try {
        await conn.query(renderWrite(w, target), [...w.params]);
      } catch (err) {
        throw new Error(`replaying write #${i + 1} (${w.kind}) onto the snapshot failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    await conn.query('COMMIT');
  } finally {
    await conn.query('SET autocommit = 1');
  }
}

/** ALTER clauses as osc takes them, applied to the snapshot the ordinary way. */
export async function applyAlter(conn: Connection, t: TableRef, alter: string): Promise<void> {
  const clauses = alter.trim().replace(/^ALTER\s+TABLE\s+(`(?:[^`]|``)+`|\S+)\s+/i, '');
  await conn.query(`ALTER TABLE ${qualified(t.database, t.table)} ${clauses}`);
}

function norm(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Buffer.isBuffer(v)) return `x'${v.toString('hex')}'`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  // Nothing else is expected with dateStrings and JSON read as text; show it rather than hide it.
  return `?${JSON.stringify(v)}`;
}

function short(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The first unique index whose columns are all NOT NULL, in key order: how rows are matched. */
async function matchingKey(conn: Connection, t: TableRef, cols: readonly ColumnInfo[]): Promise<string[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT INDEX_NAME AS name, COLUMN_NAME AS col FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 AND SUB_PART IS NULL
      ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`,
    [t.database, t.table],
  );
  const notNull = new Set(cols.filter((c) => c.nullable === 'NO').map((c) => c.name));
  const byIndex = new Map<string, string[]>();
  for (const r of rows) {
    const list = byIndex.get(String(r['name'])) ?? [];
    list.push(String(r['col']));
    byIndex.set(String(r['name']), list);
  }
  for (const list of byIndex.values()) if (list.every((c) => notNull.has(c))) return list;
  // No usable key: match on every column (a bag comparison).
  return cols.map((c) => c.name);
}

const SPATIAL: ReadonlySet<string> = new Set([
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
]);

async function readRows(
  conn: Connection,
  t: TableRef,
  cols: readonly ColumnInfo[],
  key: readonly string[],
): Promise<string[][]> {
  // JSON as the server's text, so big integers inside stay exact; spatial values as their internal bytes, SRID
  // included (mysql2 would parse them into coordinates); FLOAT widened to DOUBLE, whose text is exact (a FLOAT
  // prints with 6 digits: 1000017 and 1000024 both read as 1000020).
  const select = cols.map((c) =>
    c.dataType === 'json'
      ? `CAST(${quoteId(c.name)} AS CHAR) AS ${quoteId(c.name)}`
      : SPATIAL.has(c.dataType)
        ? `CAST(${quoteId(c.name)} AS BINARY) AS ${quoteId(c.name)}`
        : c.dataType === 'float'
          ? `${quoteId(c.name)} + 0e0 AS ${quoteId(c.name)}`
          : quoteId(c.name),
  );
  const [rows] = await conn.query<RowDataPacket[]>({
    sql: `SELECT ${select.join(', ')} FROM ${qualified(t.database, t.table)} ORDER BY ${key.map(quoteId).join(', ')}`,
    rowsAsArray: true,
  });
  return (rows as unknown as unknown[][]).map((r) => r.map(norm));
}

export interface Comparison {
  readonly ok: boolean;
  readonly rows: number;
  /** The first differences, one line each; empty when ok. */
  readonly differences: readonly string[];
}

/** Compares definitions (columns, indexes) and every column of every row; reports at most `limit` differences. */
export async function compareTables(
  conn: Connection,
  expected: TableRef,
  actual: TableRef,
  limit = 10,
): Promise<Comparison> {
  const diffs: string[] = [];
  const expCols = await columnsOf(conn, expected);
  const actCols = await columnsOf(conn, actual);
  const render = (c: ColumnInfo) =>
    `${c.name} ${c.columnType} null=${c.nullable} default=${c.dflt ?? 'NULL'} extra=${c.extra} charset=${c.charset ?? '-'} collation=${c.collation ?? '-'} gen=${c.generation ?? '-'}`;
  const n = Math.max(expCols.length, actCols.length);
  for (let i = 0; i < n; i++) {
    const e = expCols[i];
    const a = actCols[i];
    const re = e ? render(e) : '(none)';
    const ra = a ? render(a) : '(none)';
    if (re !== ra) diffs.push(`column #${i + 1}: expected ${re}; actual ${ra}`);
  }
  const expIdx = await indexesOf(conn, expected);
  const actIdx = await indexesOf(conn, actual);
  if (expIdx.join('\n') !== actIdx.join('\n'))
    diffs.push(`indexes: expected [${expIdx.join('; ')}]; actual [${actIdx.join('; ')}]`);
  if (diffs.length > 0) return { ok: false, rows: 0, differences: diffs.slice(0, limit) };

  const key = await matchingKey(conn, expected, expCols);
  const keyIdx = key.map((k) => expCols.findIndex((c) => c.name === k));
  const keyText = (r: readonly string[]) => key.map((k, i) => `${k}=${r[keyIdx[i] as number] ?? '?'}`).join(',');
  const shown = (k: string) => short(k);
  const exp = await readRows(conn, expected, expCols, key);
  const act = await readRows(conn, actual, actCols, key);
  // Match by key text rather than by position, so one missing row does not shift every later one.
  const expByKey = new Map(exp.map((r) => [keyText(r), r]));
  const seen = new Set<string>();
  for (const r of act) {
    const k = keyText(r);
    const e = expByKey.get(k);
    if (seen.has(k)) {
      diffs.push(`row (${shown(k)}): appears twice in the migrated table`);
    } else if (!e) {
      diffs.push(`row (${shown(k)}): in the migrated table but not expected`);
    } else {
      for (let i = 0; i < expCols.length; i++) {
        if (e[i] !== r[i])
          diffs.push(
            `row (${shown(k)}) column ${expCols[i]?.name}: expected ${short(e[i] ?? '')}, actual ${short(r[i] ?? '')}`,
          );
      }
    }
    seen.add(k);
    if (diffs.length >= limit) break;
  }
  if (diffs.length < limit) {
    for (const r of exp) {
      const k = keyText(r);
      if (!seen.has(k)) diffs.push(`row (${shown(k)}): expected but missing from the migrated table`);
      if (diffs.length >= limit) break;
    }
  }
  if (diffs.length === 0 && exp.length !== act.length)
    diffs.push(`row count: expected ${exp.length}, actual ${act.length}`);
  return { ok: diffs.length === 0, rows: act.length, differences: diffs.slice(0, limit) };
}

export interface VerifyInput {
  readonly conn: Connection;
  /** The snapshot taken before the load and the migration started. */
  readonly snapshot: TableRef;
  readonly migrated: TableRef;
  readonly writes: readonly LoggedWrite[];
  readonly alter: string;
}

/** Replays the writes onto the snapshot, applies the ALTER offline, compares; the snapshot becomes the expectation. */
export async function verifyMigration(v: VerifyInput): Promise<Comparison> {
  await replayWrites(v.conn, v.writes, v.snapshot);
  await applyAlter(v.conn, v.snapshot, v.alter);
  return compareTables(v.conn, v.snapshot, v.migrated);
}

export function describeComparison(c: Comparison): string {
  return c.ok
    ? `identical (${c.rows} rows)`
    : `the migrated table differs from the expectation:\n  ${c.differences.join('\n  ')}`;
}
