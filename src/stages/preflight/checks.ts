// The preflight, in a fixed order: server, grants, table. Each check throws a PreflightError that says what to do.
import { PreflightError } from '../../core/errors.js';
import { binlogProblems, PREFLIGHT_VARIABLES, unsupportedServer } from '../../core/preflight.js';
import { grantAdvice, missingPrivileges, parseGrants, type GrantNeeds } from '../../core/grants.js';
import { unsupportedColumns } from '../../core/schema.js';
import { CURRENT_USER_QUERY } from '../../core/sql/server.js';
import type { ServerInfo, TableSchema } from '../../core/types.js';
import type { Db } from '../../io/db/pool.js';
import {
  readForeignKeys,
  readGlobalVariables,
  readGrants,
  readReplicaStatus,
  readTableInfo,
  readTableSchema,
  readTriggers,
  type TableInfo,
} from '../../io/db/inspector.js';

export async function checkServer(
  db: Db,
  server: ServerInfo,
  opts: { readonly host: string; readonly replicaServerId: number },
): Promise<void> {
  const unsupported = unsupportedServer(server);
  if (unsupported) throw new PreflightError('UNSUPPORTED_SERVER', unsupported);
  let replica;
  try {
    replica = await readReplicaStatus(db, server);
  } catch (err) {
    throw new PreflightError(
      'MISSING_GRANTS',
      `cannot read replica status on ${opts.host} (${server.flavor === 'mariadb' ? 'SLAVE MONITOR' : 'REPLICATION CLIENT'} needed) to make sure it is the primary`,
      { cause: err },
    );
  }
  const source = replica[0];
  if (source) {
    const host = (source['Master_Host'] ?? source['Source_Host'] ?? '?') as string;
    const port = (source['Master_Port'] ?? source['Source_Port'] ?? '?') as string | number;
    const from = `${host}:${port}`;
    throw new PreflightError(
      'NOT_PRIMARY',
      `${opts.host} is a replica (it replicates from ${from}); osc runs on the primary: point --host at the primary`,
    );
  }
  const vars = await readGlobalVariables(db, PREFLIGHT_VARIABLES);
  const ro = vars.get('read_only')?.toUpperCase();
  if (ro === 'ON' || ro === '1') {
    throw new PreflightError(
      'NOT_PRIMARY',
      `${opts.host} has read_only=ON, so it is not a writable primary; point --host at the primary`,
    );
  }
  const problems = binlogProblems(vars, server);
  if (problems.length > 0) {
    throw new PreflightError(
      'BINLOG_SETTINGS',
      `the server's binlog settings would make osc miss changes: ${problems.join('; ')}`,
    );
  }
  if (Number(vars.get('server_id')) === opts.replicaServerId) {
    throw new PreflightError(
      'BAD_USAGE',
      `--replica-server-id ${opts.replicaServerId} is the server's own server_id; pick an id no server in the topology uses`,
    );
  }
}

export async function checkGrants(
  db: Db,
  server: ServerInfo,
  database: string,
  user: string,
  needs: GrantNeeds,
): Promise<void> {
  const grants = parseGrants(await readGrants(db));
  const missing = missingPrivileges(grants, database, server, needs);
  if (missing.length > 0) {
    // CURRENT_USER() names the account the server matched (user@host), so the advice fits it exactly.
    const [row] = await db.rows<{ u: string }>(CURRENT_USER_QUERY);
    const account = row?.u ?? user;
    throw new PreflightError(
      'MISSING_GRANTS',
      `user '${user}' lacks ${missing.join(', ')}; run: ${grantAdvice(missing, database, account, server, needs)}${needs.discoverReplicas === true && missing.includes('REPLICATION MASTER ADMIN') ? ' (REPLICATION MASTER ADMIN lets osc find the replicas whose lag it watches; or name them with --throttle-control-replicas)' : ''}`,
    );
  }
}

export interface CheckedTable {
  readonly info: TableInfo;
  readonly schema: TableSchema;
}

export async function checkTable(db: Db, server: ServerInfo, database: string, table: string): Promise<CheckedTable> {
  const what = `${database}.${table}`;
  const info = await readTableInfo(db, database, table);
  if (!info) throw new PreflightError('TABLE_NOT_FOUND', `table ${what} does not exist: check --database and --table`);
  if (info.type !== 'BASE TABLE')
    throw new PreflightError('TABLE_UNSUPPORTED', `${what} is a ${info.type.toLowerCase()}, not a table`);
  if ((info.engine ?? '').toLowerCase() !== 'innodb') {
    throw new PreflightError(
      'TABLE_UNSUPPORTED',
      `${what} uses the ${info.engine ?? 'unknown'} engine; osc needs InnoDB (row locks and transactions keep the copy consistent): convert it first`,
    );
  }
  const fks = await readForeignKeys(db, database, table);
  if (fks.length > 0) {
    throw new PreflightError(
      'TABLE_UNSUPPORTED',
      `${what} is part of foreign keys (${fks.join(', ')}); osc cannot keep them pointing at the right table across the swap: drop them first`,
    );
  }
  const triggers = await readTriggers(db, database, table);
  if (triggers.length > 0) {
    throw new PreflightError(
      'TABLE_UNSUPPORTED',
      `${what} has triggers (${triggers.join(', ')}); they would not follow the swap: drop them first and recreate them afterwards`,
    );
  }
  const schema = await readTableSchema(db, database, table);
  const bad = unsupportedColumns(schema, server.flavor);
  if (bad.length > 0) {
    throw new PreflightError(
      'TABLE_UNSUPPORTED',
      `${what} has columns whose type the binlog reader cannot replay exactly: ${bad.map((c) => `${c.name} ${c.columnType}`).join(', ')}`,
    );
  }
  return { info, schema };
}
