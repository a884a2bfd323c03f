// Reads what osc needs to know from the server: version, variables, replica status, table schema.
// Where the flavours differ, the branch says which servers it was verified on.
import type { Db, DbRow } from './pool.js';
import { generationOf } from '../../core/generation.js';
import { parseVersion } from '../../core/server.js';
import {
  columnDefaults,
  foreignKeys,
  globalVariables,
  replicaStatusSql,
  SERVER_VERSION_QUERY,
  SHOW_GRANTS,
  tableColumns,
  tableInfo,
  triggers,
  uniqueKeyParts,
} from '../../core/sql/server.js';
import type { ColumnDefault } from '../../core/binlog/refill.js';
import type { Column, ServerInfo, TableSchema, UniqueKey } from '../../core/types.js';

export async function readServerInfo(db: Db): Promise<ServerInfo> {
  const [row] = await db.rows<{ v: string }>(SERVER_VERSION_QUERY);
  return parseVersion(String(row?.v ?? ''));
}

/** Global variables by name (lower-case keys); missing ones are absent. */
export async function readGlobalVariables(db: Db, names: readonly string[]): Promise<Map<string, string>> {
  const st = globalVariables(names);
  const rows = await db.rows<{ Variable_name: string; Value: string }>(st.sql, st.params);
  return new Map(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value)]));
}

export async function readReplicaStatus(db: Db, s: ServerInfo): Promise<DbRow[]> {
  return db.rows(replicaStatusSql(s));
}

export interface TableInfo {
  readonly engine: string | null;
  readonly type: string;
  readonly estimatedRows: number;
}

export async function readTableInfo(db: Db, database: string, table: string): Promise<TableInfo | null> {
  const st = tableInfo(database, table);
  const [row] = await db.rows<{ ENGINE: string | null; TABLE_TYPE: string; TABLE_ROWS: string | number | null }>(
    st.sql,
    st.params,
  );
  if (!row) return null;
  return { engine: row.ENGINE, type: String(row.TABLE_TYPE), estimatedRows: Number(row.TABLE_ROWS ?? 0) };
}

export async function tableExists(db: Db, database: string, table: string): Promise<boolean> {
  return (await readTableInfo(db, database, table)) !== null;
}

export async function readTableSchema(db: Db, database: string, table: string): Promise<TableSchema> {
  const colsSt = tableColumns(database, table);
  const cols = await db.rows<{
    COLUMN_NAME: string;
    DATA_TYPE: string;
    COLUMN_TYPE: string;
    IS_NULLABLE: string;
    EXTRA: string | null;
    GEN: string | null;
    CS: string | null;
    COLL: string | null;
  }>(colsSt.sql, colsSt.params);
  const columns: Column[] = cols.map((c) => {
    return {
      name: String(c.COLUMN_NAME),
      dataType: String(c.DATA_TYPE).toLowerCase(),
      columnType: String(c.COLUMN_TYPE).toLowerCase(),
      nullable: c.IS_NULLABLE === 'YES',
      // MySQL's 'DEFAULT_GENERATED' (an expression default) is a plain column: see core/generation.ts.
      ...generationOf(c.EXTRA === null ? null : String(c.EXTRA), c.GEN === null ? null : String(c.GEN)),
      charset: c.CS === null ? null : String(c.CS),
      collation: c.COLL === null ? null : String(c.COLL),
    };
  });
  const statsSt = uniqueKeyParts(database, table);
  const stats = await db.rows<{
    INDEX_NAME: string;
    COLUMN_NAME: string | null;
    SEQ_IN_INDEX: number | string;
    SUB_PART: number | string | null;
  }>(statsSt.sql, statsSt.params);
  const byName = new Map<string, { columns: (string | null)[]; prefixes: (number | null)[] }>();
  for (const s of stats) {
    const entry = byName.get(s.INDEX_NAME) ?? { columns: [], prefixes: [] };
    entry.columns.push(s.COLUMN_NAME);
    entry.prefixes.push(s.SUB_PART === null ? null : Number(s.SUB_PART));
    byName.set(s.INDEX_NAME, entry);
  }
  const uniqueKeys: UniqueKey[] = [];
  for (const [name, { columns: list, prefixes }] of byName) {
    // A functional key part (MySQL 8) has no column: such a key cannot drive a range scan over column values.
    if (list.some((c) => c === null)) continue;
    const key = { name, columns: list as string[], primary: name === 'PRIMARY' };
    uniqueKeys.push(prefixes.some((p) => p !== null) ? { ...key, prefixes } : key);
  }
  return { database, table, columns, uniqueKeys };
}

export async function readColumnDefaults(db: Db, database: string, table: string): Promise<ColumnDefault[]> {
  const st = columnDefaults(database, table);
  const rows = await db.rows<{ COLUMN_NAME: string; COLUMN_DEFAULT: string | null; EXTRA: string | null }>(
    st.sql,
    st.params,
  );
  return rows.map((r) => ({
    name: String(r.COLUMN_NAME),
    default: r.COLUMN_DEFAULT === null ? null : String(r.COLUMN_DEFAULT),
    extra: r.EXTRA === null ? '' : String(r.EXTRA),
  }));
}

export async function readForeignKeys(db: Db, database: string, table: string): Promise<string[]> {
  const st = foreignKeys(database, table);
  const rows = await db.rows<{ d: string }>(st.sql, st.params);
  return rows.map((r) => String(r.d));
}

export async function readTriggers(db: Db, database: string, table: string): Promise<string[]> {
  const st = triggers(database, table);
  const rows = await db.rows<{ n: string }>(st.sql, st.params);
  return rows.map((r) => String(r.n));
}

export async function readGrants(db: Db): Promise<string[]> {
  const rows = await db.rows(SHOW_GRANTS);
  return rows.map((r) => String(Object.values(r)[0]));
}
