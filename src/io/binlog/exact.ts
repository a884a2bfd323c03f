// Makes zongji hand over the migrated table's values as the binlog stores them, rather than converted in
// JavaScript, a second conversion that differs from the server's (zongji reads latin1 as cp1252, so the
// bytes 0x81, 0x8D, 0x8F, 0x90 and 0x9D became U+FFFD; its ENUM/SET parser splits members on every
// comma). zongji decodes each row through the column descriptors of its table map (lib/common.js
// readMysqlValue in 0.9.0); this rewrites those descriptors on each TableMap event of the table, which
// zongji delivers before it decodes any row that depends on it (synchronously, or while the binlog
// connection is paused for its metadata lookup). Afterwards:
// - CHAR, VARCHAR and TEXT columns read as BLOBs without a charset: a Buffer of the stored bytes, in the
//   column's character set (valuePlaceholder/keyPlaceholder hand them to the server tagged with it);
// - spatial columns read as BLOBs: the server's internal value (4-byte SRID + WKB), which it takes back as is;
// - ENUM and SET members come from a correct parse of the column's definition.
// Pure over the narrow structural types below; the descriptors are zongji's own mutable objects.
import { enumMembers } from '../../core/enum-members.js';

/** zongji's wire type codes (lib/common.js MysqlTypes) that this rewrites. */
const Z = {
  VARCHAR: 15,
  BLOB_COMPRESSED: 140,
  VARCHAR_COMPRESSED: 141,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  STRING: 254,
  GEOMETRY: 255,
} as const;

const BLOBS: ReadonlySet<number> = new Set([Z.TINY_BLOB, Z.MEDIUM_BLOB, Z.LONG_BLOB, Z.BLOB, Z.BLOB_COMPRESSED]);

/** A column descriptor of zongji's table map. */
export interface ZongjiColumn {
  type: number;
  /** CHARACTER_SET_NAME; null for binary and non-string columns. */
  charset: string | null;
  metadata?: Record<string, unknown>;
}

/** An information_schema.COLUMNS row (or zongji's equivalent built from FULL binlog metadata). */
export interface ZongjiColumnSchema {
  readonly COLUMN_TYPE?: string;
  ENUM_VALUES?: string[];
  SET_VALUES?: string[];
}

export interface ZongjiTableEntry {
  readonly parentSchema: string;
  readonly tableName: string;
  readonly columns?: ZongjiColumn[];
  readonly columnSchemas?: readonly ZongjiColumnSchema[];
}

/** What we read of any zongji event: a TableMap event carries the table map and its table id. */
export interface ZongjiEvent {
  getEventName(): string;
  readonly tableId?: number;
  readonly tableMap?: Readonly<Record<number, ZongjiTableEntry | undefined>>;
}

/** Rewrites the descriptors of the table a TableMap event maps, when it is one of `tables` in `database`. */
export function readExactly(ev: ZongjiEvent, database: string, tables: ReadonlySet<string>): void {
  if (ev.getEventName() !== 'tablemap' || ev.tableId === undefined) return;
  const entry = ev.tableMap?.[ev.tableId];
  if (entry === undefined || entry.parentSchema !== database || !tables.has(entry.tableName)) return;
  const columns = entry.columns ?? [];
  columns.forEach((column, i) => exactColumn(column, entry.columnSchemas?.[i]));
}

/** Idempotent: a rewritten descriptor no longer matches any case (zongji rebuilds them when the table changes). */
function exactColumn(column: ZongjiColumn, schema: ZongjiColumnSchema | undefined): void {
  const { type } = column;
  if (column.charset !== null && (type === Z.STRING || type === Z.VARCHAR || type === Z.VARCHAR_COMPRESSED)) {
    // CHAR and VARCHAR store a 1-byte length below 256 bytes, else 2, as a BLOB's length prefix of that size.
    const maxLength = Number(column.metadata?.['max_length'] ?? 0);
    column.metadata = { ...column.metadata, length_size: maxLength > 255 ? 2 : 1 };
    column.type = type === Z.VARCHAR_COMPRESSED ? Z.BLOB_COMPRESSED : Z.BLOB;
    column.charset = null;
  } else if (column.charset !== null && BLOBS.has(type)) {
    column.charset = null;
  } else if (type === Z.GEOMETRY) {
    // Same length-prefixed layout as a BLOB (metadata length_size), only decoded into objects.
    column.type = Z.BLOB;
  } else if (type === Z.ENUM && schema?.ENUM_VALUES === undefined && schema?.COLUMN_TYPE !== undefined) {
    schema.ENUM_VALUES = enumMembers(schema.COLUMN_TYPE);
  } else if (type === Z.SET && schema?.SET_VALUES === undefined && schema?.COLUMN_TYPE !== undefined) {
    schema.SET_VALUES = enumMembers(schema.COLUMN_TYPE);
  }
}
