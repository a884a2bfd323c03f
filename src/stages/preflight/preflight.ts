// The preflight: server, grants and table checks, the run lock, our table names, and the ALTER proven on the
// ghost; nothing changes on the server until the ghost is created, and a refused ALTER drops it again (cleanup).
// It ends with the TablePlan every later stage works from. The stage owns the admin session and the run lock.
import { analyzeAlter, type AlterAnalysis } from '../../core/alter.js';
import type { MigrationConfig } from '../../core/config.js';
import { ConfigError, OscError, PreflightError, type MigrationError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { lockName, type TableNames } from '../../core/names.js';
import { renderPlan } from '../../core/report.js';
import { chooseChunkKey, describeKeyProblem, mapColumns } from '../../core/schema.js';
import { buildExactCount } from '../../core/sql/copy.js';
import { alterTable, createGhost, dropTable } from '../../core/sql/ddl.js';
import { qualify } from '../../core/sql/quote.js';
import type { TableSchema } from '../../core/types.js';
import { readServerInfo, readTableInfo, readTableSchema } from '../../io/db/inspector.js';
import { openSession, type Session } from '../../io/db/pool.js';
import type { Hooks } from '../../operator/hooks.js';
import { createTablePlan, type TablePlan } from '../../plan.js';
import { checkGrants, checkServer, checkTable } from './checks.js';
import type { OwnTables } from './own-tables.js';
import { acquireRunLock, type RunLock } from './run-lock.js';
import { describeCheckpoint, schemaFingerprint, type Checkpoint } from '../../core/checkpoint.js';
import { leftoversMessage } from '../../core/resume.js';
import type { ServerInfo } from '../../core/types.js';
import { checkResume, checkSwapped, judge, readLeftovers, type ResumePoint } from '../resume/inspect.js';

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
  /** This osc's version: a checkpoint is resumed only by the version that wrote it. */
  readonly oscVersion: string;
}

/** What the preflight established; passed explicitly to the later phases. */
export interface Preflighted {
  readonly kind: 'migrate';
  readonly plan: TablePlan;
  readonly alter: AlterAnalysis;
  readonly estimatedRows: number;
  /** Idle through the whole copy: it pings, so that no wait_timeout ends it. */
  readonly admin: Session;
  /** For the printed plan: both schemas, and what --execute would do about leftover tables. */
  readonly original: TableSchema;
  readonly altered: TableSchema;
  readonly notes: readonly string[];
  /** --resume: where the dead run's checkpoint says to go on; null for a fresh run. */
  readonly resume: ResumePoint | null;
}

/** --resume found the dead run's cut-over had swapped the tables: only its leftovers are to be dropped. */
export interface SwappedBefore {
  readonly kind: 'swapped';
  readonly admin: Session;
  readonly checkpoint: Checkpoint;
}

export class Preflight {
  private admin: Session | null = null;
  private lock: RunLock | null = null;

  constructor(private readonly deps: PreflightDeps) {}

  async run(): Promise<Preflighted | SwappedBefore> {
    const { config, hooks, logger: log } = this.deps;
    if (config.resume && config.initiallyDropGhostTable)
      throw new ConfigError(
        'BAD_USAGE',
        "--resume goes on with the dead run's tables and --initially-drop-ghost-table drops them: pass only one",
      );
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
    if (config.resume) return this.resumed(admin, alter, server, info.estimatedRows, original);
    const notes = await this.claimNames(admin);

    await this.createAlteredGhost(admin, alter);
    const altered = await this.readGhost(admin);
    const plan = this.planFor(alter, server, original, altered);
    return this.prepared(admin, plan, alter, info.estimatedRows, original, altered, notes, null);
  }

  /** --resume: the dead run's tables, checked, instead of new ones; nothing is created or dropped here. */
  private async resumed(
    admin: Session,
    alter: AlterAnalysis,
    server: ServerInfo,
    estimated: number,
    original: TableSchema,
  ): Promise<Preflighted | SwappedBefore> {
    const { config, names } = this.deps;
    const { database, table } = config;
    const verdict = await judge(admin, database, table, names, config.initiallyDropOldTable);
    const where = { database, table, checkpoint: names.checkpoint, old: names.old };
    if (verdict.kind === 'maybe-swapped') {
      const checkpoint = await checkSwapped(admin, where, { oscVersion: this.deps.oscVersion, alter: alter.clauses });
      return { kind: 'swapped', admin, checkpoint };
    }
    const altered = await this.readGhost(admin);
    const plan = this.planFor(alter, server, original, altered);
    const { checkpoint, moved } = await checkResume(
      admin,
      where,
      plan.key.columns.length,
      {
        oscVersion: this.deps.oscVersion,
        alter: alter.clauses,
        key: plan.key.name,
        original: schemaFingerprint(original),
        ghost: schemaFingerprint(altered),
      },
      server,
    );
    const resume: ResumePoint = { checkpoint, moved, dropOld: verdict.dropOld };
    const notes = [
      `${config.execute ? 'resuming' : '--execute would resume'} the dead run from its checkpoint: ${describeCheckpoint(checkpoint, Date.now())}`,
      ...(moved.length > 0 ? [`${moved.length} rows its replay had moved aside are re-copied`] : []),
      ...(verdict.dropOld === null
        ? []
        : [
            `${database}.${names.old} is ${verdict.dropOld === 'sentry' ? "the dead run's cut-over sentry" : 'an old table (--initially-drop-old-table)'}: dropped when the run goes on`,
          ]),
    ];
    return this.prepared(admin, plan, alter, estimated, original, altered, notes, resume);
  }

  private async readGhost(admin: Session): Promise<TableSchema> {
    const { config, names } = this.deps;
    const ghostInfo = await readTableInfo(admin, config.database, names.ghost);
    if ((ghostInfo?.engine ?? '').toLowerCase() !== 'innodb') {
      throw new PreflightError(
        'ALTER_REFUSED',
        `the ALTER makes the table ${ghostInfo?.engine ?? 'unknown'}; osc keeps tables on InnoDB: remove the ENGINE clause`,
      );
    }
    return readTableSchema(admin, config.database, names.ghost);
  }

  private planFor(alter: AlterAnalysis, server: ServerInfo, original: TableSchema, altered: TableSchema): TablePlan {
    const { config } = this.deps;
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
    return createTablePlan({
      database: config.database,
      table: config.table,
      server,
      mapping,
      key,
      ghostUniqueKeys: altered.uniqueKeys,
    });
  }

  private async prepared(
    admin: Session,
    plan: TablePlan,
    alter: AlterAnalysis,
    estimated: number,
    original: TableSchema,
    altered: TableSchema,
    notes: readonly string[],
    resume: ResumePoint | null,
  ): Promise<Preflighted> {
    const { config } = this.deps;
    const estimatedRows = config.exactRowcount
      ? Number(
          (await admin.rows<{ n: string }>(buildExactCount({ database: config.database, table: config.table }).sql))[0]
            ?.n ?? 0,
        )
      : estimated;
    return { kind: 'migrate', plan, alter, estimatedRows, admin, original, altered, notes, resume };
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
        resumed: p.resume !== null,
      }),
    );
  }

  /** The admin session, for cleanup: null when the run failed before opening it. */
  get session(): Session | null {
    return this.admin;
  }

  /**
   * Our table names must be free; --initially-drop-* frees them, only now that this run holds the lock. A dead run's
   * tables (ghost, changelog, checkpoint) are refused with both ways forward: --resume, or dropping them.
   */
  private async claimNames(admin: Session): Promise<string[]> {
    const { config, names, logger } = this.deps;
    const db = config.database;
    const notes: string[] = [];
    const found = await readLeftovers(admin, db, names);
    const run = [
      { name: names.ghost, exists: found.ghost, what: 'ghost table' },
      // A noop run creates neither: their names need to be free only for --execute.
      { name: names.changelog, exists: found.changelog && config.execute, what: 'changelog table' },
      { name: names.checkpoint, exists: found.checkpoint && config.execute, what: 'checkpoint table' },
    ].filter((t) => t.exists);
    if (run.length > 0 && !config.initiallyDropGhostTable)
      throw new PreflightError(
        'TABLE_EXISTS',
        leftoversMessage(
          `${db}.${config.table}`,
          run.map((t) => `${t.what} ${db}.${t.name}`),
          found.checkpoint,
        ),
      );
    const leftovers = run.map((t) => ({ ...t, flagName: '--initially-drop-ghost-table' }));
    if (found.old !== null) {
      if (!config.initiallyDropOldTable)
        throw new PreflightError(
          'TABLE_EXISTS',
          `old table ${db}.${names.old} already exists (left by an earlier run?): drop it, or pass --initially-drop-old-table`,
        );
      leftovers.push({ name: names.old, exists: true, what: 'old table', flagName: '--initially-drop-old-table' });
    }
    for (const t of leftovers) {
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
