// The preflight: server, grants and table checks, the run lock, our table names, and the ALTER proven on the
// ghost; nothing changes on the server until the ghost is created, and a refused ALTER drops it again (cleanup).
// It ends with the TablePlan every later stage works from. The stage owns the admin session and the run lock.
import { analyzeAlter, type AlterAnalysis } from '../../core/alter.js';
import type { MigrationConfig } from '../../core/config.js';
import { OscError, PreflightError, type MigrationError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { lockName, type TableNames } from '../../core/names.js';
import { renderPlan } from '../../core/report.js';
import { chooseChunkKey, describeKeyProblem, mapColumns } from '../../core/schema.js';
import { buildExactCount } from '../../core/sql/copy.js';
import { alterTable, createGhost, dropTable } from '../../core/sql/ddl.js';
import { qualify } from '../../core/sql/quote.js';
import type { TableSchema } from '../../core/types.js';
import { readServerInfo, readTableInfo, readTableSchema, tableExists } from '../../io/db/inspector.js';
import { openSession, type Session } from '../../io/db/pool.js';
import type { Hooks } from '../../operator/hooks.js';
import { createTablePlan, type TablePlan } from '../../plan.js';
import { checkGrants, checkServer, checkTable } from './checks.js';
import type { OwnTables } from './own-tables.js';
import { acquireRunLock, type RunLock } from './run-lock.js';

export interface PreflightDeps {
  readonly config: MigrationConfig;
  readonly names: TableNames;
  readonly tables: OwnTables;
  readonly hooks: Pick<Hooks, 'run'>;
  readonly logger: Logger;
  /** stdout: the plan. */
  readonly out: (text: string) => void;
  /** Throws when the run was stopped meanwhile. */
  readonly checkAborted: () => void;
  /** The run lock was found lost (its connection ended): the run must stop. */
  readonly onLockLost: (err: MigrationError) => void;
  /** Runs as soon as the run lock is held (the control socket starts there). */
  readonly onLocked: () => Promise<void>;
}

/** What the preflight established; passed explicitly to the later phases. */
export interface Preflighted {
  readonly plan: TablePlan;
  readonly alter: AlterAnalysis;
  readonly estimatedRows: number;
  /** Idle through the whole copy: it pings, so that no wait_timeout ends it. */
  readonly admin: Session;
  /** For the printed plan: both schemas, and what --execute would do about leftover tables. */
  readonly original: TableSchema;
  readonly altered: TableSchema;
  readonly notes: readonly string[];
}

export class Preflight {
  private admin: Session | null = null;
  private lock: RunLock | null = null;

  constructor(private readonly deps: PreflightDeps) {}

  async run(): Promise<Preflighted> {
    const { config, names, hooks, logger: log } = this.deps;
    const alter = analyzeAlter(config.alter, config.table);
    const admin = (this.admin = await openSession(config.connection, { keepAlive: true }));
    const server = await readServerInfo(admin);
    log.info('server', { flavor: server.flavor, version: server.version });
    await checkServer(admin, server, {
      host: `${config.connection.host}:${config.connection.port}`,
      replicaServerId: config.replicaServerId,
    });
    await checkGrants(admin, server, config.database, config.connection.user, {
      discoverReplicas: config.throttleControlReplicas.length === 0,
    });
    const { info, schema: original } = await checkTable(admin, server, config.database, config.table);
    this.deps.checkAborted();
    await hooks.run('osc-on-validated');

    this.lock = await this.acquireLock();
    // Without it another run could drop or replace our tables: stop at once.
    this.lock.onLost(this.deps.onLockLost);
    await this.deps.onLocked();
    const notes = await this.claimNames(admin);

    await this.createAlteredGhost(admin, alter);
    const ghostInfo = await readTableInfo(admin, config.database, names.ghost);
    if ((ghostInfo?.engine ?? '').toLowerCase() !== 'innodb') {
      throw new PreflightError(
        'ALTER_REFUSED',
        `the ALTER makes the table ${ghostInfo?.engine ?? 'unknown'}; osc keeps tables on InnoDB: remove the ENGINE clause`,
      );
    }
    const altered = await readTableSchema(admin, config.database, names.ghost);
    const mapping = mapColumns(original, altered, alter.renames, alter.droppedColumns);
    if (alter.renames.size > 0 && !config.approveRenamedColumns) {
      const list = [...alter.renames].map(([a, b]) => `${a} -> ${b}`).join(', ');
      throw new PreflightError(
        'RENAME_NOT_APPROVED',
        `the ALTER renames columns (${list}); osc will copy their data to the new names. If that is what you mean, rerun with --approve-renamed-columns`,
      );
    }
    const key = chooseChunkKey(original, altered, mapping);
    if (!key) throw new PreflightError('NO_SHARED_UNIQUE_KEY', describeKeyProblem(original, altered, mapping));
    const plan = createTablePlan({
      database: config.database,
      table: config.table,
      server,
      mapping,
      key,
      ghostUniqueKeys: altered.uniqueKeys,
    });
    const estimatedRows = config.exactRowcount
      ? Number(
          (await admin.rows<{ n: string }>(buildExactCount({ database: config.database, table: config.table }).sql))[0]
            ?.n ?? 0,
        )
      : info.estimatedRows;
    return { plan, alter, estimatedRows, admin, original, altered, notes };
  }

  /** The plan on stdout; --quiet keeps stdout to the final summary, but a noop's plan is its result. */
  report(p: Preflighted): void {
    const { config } = this.deps;
    this.deps.logger.info('preflight_ok', {
      chunk_key: p.plan.key.name,
      columns: p.plan.mapping.length,
      estimated_rows: p.estimatedRows,
    });
    if (config.quiet && config.execute) return;
    this.deps.out(
      renderPlan({
        server: p.plan.server,
        address: `${config.connection.host}:${config.connection.port}`,
        database: config.database,
        table: config.table,
        alter: p.alter.clauses,
        ghost: p.plan.ghost,
        original: p.original,
        altered: p.altered,
        mapping: p.plan.mapping,
        renames: p.alter.renames,
        key: p.plan.key,
        estimatedRows: p.estimatedRows,
        exactRowcount: config.exactRowcount,
        execute: config.execute,
        notes: p.notes,
      }),
    );
  }

  /** The admin session, for cleanup: null when the run failed before opening it. */
  get session(): Session | null {
    return this.admin;
  }

  /** Our table names must be free; --initially-drop-* frees them, only now that this run holds the lock. */
  private async claimNames(admin: Session): Promise<string[]> {
    const { config, names, logger } = this.deps;
    const db = config.database;
    const notes: string[] = [];
    const leftovers: Array<{ name: string; flag: boolean; flagName: string; what: string }> = [
      {
        name: names.ghost,
        flag: config.initiallyDropGhostTable,
        flagName: '--initially-drop-ghost-table',
        what: 'ghost table',
      },
      {
        name: names.old,
        flag: config.initiallyDropOldTable,
        flagName: '--initially-drop-old-table',
        what: 'old table',
      },
    ];
    if (config.execute)
      leftovers.push({
        name: names.changelog,
        flag: config.initiallyDropGhostTable,
        flagName: '--initially-drop-ghost-table',
        what: 'changelog table',
      });
    for (const t of leftovers) {
      if (!(await tableExists(admin, db, t.name))) continue;
      if (!t.flag) {
        throw new PreflightError(
          'TABLE_EXISTS',
          `${t.what} ${db}.${t.name} already exists (left by an earlier run?): drop it, or pass ${t.flagName}`,
        );
      }
      if (!config.execute) {
        if (t.name === names.ghost)
          throw new PreflightError(
            'TABLE_EXISTS',
            `${t.what} ${db}.${t.name} already exists; a noop run drops nothing it did not create: drop it, or run with --execute ${t.flagName}`,
          );
        notes.push(`${db}.${t.name} exists; --execute would drop it (${t.flagName})`);
        continue;
      }
      logger.warn('drop_leftover', { table: t.name, flag: t.flagName });
      await admin.run(dropTable(db, t.name));
    }
    return notes;
  }

  private async createAlteredGhost(admin: Session, alter: AlterAnalysis): Promise<void> {
    const { config, names, tables, logger } = this.deps;
    const db = config.database;
    await admin.run(createGhost(db, config.table, names.ghost));
    tables.ghostCreated();
    logger.info('ghost_created', { table: names.ghost });
    try {
      // Under the server's own sql_mode: the ghost accepts exactly what a native ALTER would.
      await admin.runUnderServerMode(alterTable(db, names.ghost, alter.clauses));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // The server's message quotes the ALTER text (the user's own), never row data.
      throw new PreflightError('ALTER_INVALID', `the ALTER failed on the ghost table: ${msg}`, { cause: err });
    }
  }

  private acquireLock(): Promise<RunLock> {
    const { config } = this.deps;
    return acquireRunLock(
      config.connection,
      lockName(config.database, config.table),
      `${config.database}.${config.table}`,
    );
  }

  /** Throws unless this run still holds its run lock (asked under the cut-over lock, just before the RENAME). */
  checkRunLock(): Promise<void> {
    if (!this.lock) return Promise.reject(new OscError('INTERNAL', 'no run lock'));
    return this.lock.check();
  }

  /**
   * Cleanup drops tables only under the run lock: once it was lost, another run may have replaced ours by tables
   * of the same names. Taken again if nobody else holds it: 'held'; 'taken' when another run holds it now;
   * 'unreachable' when the server cannot be asked (down, restarting).
   */
  async holdsRunLock(): Promise<'held' | 'taken' | 'unreachable'> {
    if (this.lock === null) return 'held';
    const lost = await this.lock.check().then(
      () => false,
      () => true,
    );
    if (!lost) return 'held';
    await this.lock.release().catch(() => undefined);
    this.lock = null;
    try {
      this.lock = await this.acquireLock();
      return 'held';
    } catch (err) {
      const { config, names } = this.deps;
      const taken = err instanceof OscError && err.code === 'ALREADY_RUNNING';
      this.deps.logger.warn('cleanup_skipped', {
        reason: taken ? 'another run holds the run lock' : 'the server cannot be reached to take the run lock back',
        ghost: qualify(config.database, names.ghost),
        changelog: qualify(config.database, names.changelog),
      });
      return taken ? 'taken' : 'unreachable';
    }
  }

  /** Releases the run lock, then closes the admin session. */
  async release(): Promise<void> {
    await this.lock?.release().catch(() => undefined);
    this.lock = null;
    await this.admin?.close().catch(() => undefined);
    this.admin = null;
  }
}
