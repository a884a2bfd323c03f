// The table plan: what every stage needs to know about the tables, settled once the preflight has proven the
// ALTER on the ghost, and read-only from then on. Stages take the fields they use (Pick<TablePlan, ...>), so a
// test hands them just those, and nothing re-declares a table name or the chunk key on its own.
import { tableNames } from './core/names.js';
import { shareLockClause } from './core/preflight.js';
import type { ReadLock } from './core/sql/copy.js';
import type { ChunkKey, ColumnMapping, ServerInfo, UniqueKey } from './core/types.js';

export interface TablePlan {
  readonly database: string;
  /** The migrated table, and the tables osc names after it (core/names.ts). */
  readonly table: string;
  readonly ghost: string;
  readonly changelog: string;
  readonly old: string;
  readonly checkpoint: string;
  /** The server's flavour and version: where MySQL and MariaDB differ, stages branch on it. */
  readonly server: ServerInfo;
  /** Original column -> ghost column, for every column the ghost takes from the original. */
  readonly mapping: readonly ColumnMapping[];
  /** The unique key the copy walks and replay matches ghost rows by. */
  readonly key: ChunkKey;
  /** The ghost's unique keys (after the ALTER). */
  readonly ghostUniqueKeys: readonly UniqueKey[];
  /** The copy's shared-lock clause: FOR SHARE on MySQL, LOCK IN SHARE MODE on MariaDB. */
  readonly lock: ReadLock;
}

export interface TablePlanArgs {
  readonly database: string;
  readonly table: string;
  readonly server: ServerInfo;
  readonly mapping: readonly ColumnMapping[];
  readonly key: ChunkKey;
  readonly ghostUniqueKeys: readonly UniqueKey[];
}

export function createTablePlan(a: TablePlanArgs): TablePlan {
  const names = tableNames(a.table);
  return Object.freeze({
    database: a.database,
    table: a.table,
    ghost: names.ghost,
    changelog: names.changelog,
    old: names.old,
    checkpoint: names.checkpoint,
    server: a.server,
    mapping: a.mapping,
    key: a.key,
    ghostUniqueKeys: a.ghostUniqueKeys,
    lock: shareLockClause(a.server),
  });
}
