// Shared, immutable descriptions of tables and keys. Filled by io/inspector.ts, consumed by the pure core.

export interface Column {
  readonly name: string;
  /** information_schema DATA_TYPE, lower case: 'int', 'varchar', 'json', 'vector' ... */
  readonly dataType: string;
  /** information_schema COLUMN_TYPE, lower case: 'int unsigned', "enum('a','b')", 'decimal(10,2)' */
  readonly columnType: string;
  readonly nullable: boolean;
  /**
   * VIRTUAL or STORED (MariaDB: PERSISTENT) generated column, null for a plain one. A column whose DEFAULT is an
   * expression (MySQL's EXTRA 'DEFAULT_GENERATED') is a plain column holding real data.
   */
  readonly generation: 'virtual' | 'stored' | null;
  /** The generation expression as information_schema prints it; null for a plain column. */
  readonly generationExpression: string | null;
  /** CHARACTER_SET_NAME and COLLATION_NAME of a string column (CHAR, VARCHAR, TEXT, ENUM, SET); null otherwise. */
  readonly charset: string | null;
  readonly collation: string | null;
}

/** True for a VIRTUAL or STORED generated column (the server computes it). */
export function isGenerated(c: Column): boolean {
  return c.generation !== null;
}

export interface UniqueKey {
  /** 'PRIMARY' for the primary key. */
  readonly name: string;
  readonly columns: readonly string[];
  readonly primary: boolean;
}

export interface TableSchema {
  readonly database: string;
  readonly table: string;
  readonly columns: readonly Column[];
  readonly uniqueKeys: readonly UniqueKey[];
}

/** How one column of the original reaches the ghost: same name, or renamed by the ALTER. */
export interface ColumnMapping {
  readonly source: Column;
  readonly target: Column;
}

/** A chunking key: a unique key over NOT NULL columns that the original and the ghost share. */
export interface ChunkKey {
  readonly name: string;
  /** Name of the same key on the ghost (same as name unless the ALTER renamed it). */
  readonly ghostName: string;
  /** Columns of the original, in key order. */
  readonly columns: readonly Column[];
  /** The matching ghost columns, in the same order (names differ only when renamed). */
  readonly ghostColumns: readonly Column[];
}

/** One value per chunk-key column, in key order, as read from the server or the binlog. */
export type KeyValues = readonly unknown[];

/** SQL text with `?` placeholders and the values to bind, in order. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export type Flavor = 'mysql' | 'mariadb';

export interface ServerInfo {
  readonly flavor: Flavor;
  /** e.g. '10.11.6-MariaDB-0+deb12u1' or '9.7.0' */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}
