// Shared, immutable descriptions of tables and keys. Filled by io/db/inspector.ts, consumed by the pure core.

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
  /** Each column's indexed prefix length (SUB_PART), null for the whole column; absent when there is none. */
  readonly prefixes?: readonly (number | null)[];
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

/**
 * How rows are found on both tables. The copy ranges over a unique key of the original (name, columns); ghost rows
 * are matched (replay, duplicates, conflicts) by a unique key of the ghost (ghostName, ghostColumns) over the same
 * columns, perhaps more of them (`ADD PRIMARY KEY (id, i)` after `DROP PRIMARY KEY`): a row image holds them all.
 */
export interface ChunkKey {
  /** The original's unique key the copy ranges over. */
  readonly name: string;
  /** The ghost's unique key its rows are matched by. */
  readonly ghostName: string;
  /** Columns of the original key, in key order. */
  readonly columns: readonly Column[];
  /** Columns of the ghost key, in its key order. */
  readonly ghostColumns: readonly Column[];
  /** For each of ghostColumns, the original column whose value it holds (same order). */
  readonly ghostSources: readonly Column[];
  /**
   * Ghost key columns (names) whose charset or collation differ from their source's, for a column of the original
   * key: distinct source keys can be equal there, so a ghost row is a source row's own only when these hold its
   * value byte for byte. Empty in the common case.
   */
  readonly exactColumns: readonly string[];
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
