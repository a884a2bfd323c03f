// The orchestrator: runs the phases in order, owns the counters and the phase, and cleans up after itself.
// Reads top to bottom: preflight, setup, copy, cut-over, cleanup.
import { sleep } from './io/sleep.js';
import { analyzeAlter, type AlterAnalysis } from './core/alter.js';
import { formatPosition, type BinlogPosition } from './core/binlog/events.js';
import type { MigrationConfig } from './core/config.js';
import { errorCode, MigrationError, OscError, PreflightError } from './core/errors.js';
import { lockName, tableNames } from './core/names.js';
import { assertTransition, type Phase } from './core/phase.js';
import { renderStatusLine, type ProgressSnapshot } from './core/progress.js';
import { renderPlan, renderSummary } from './core/report.js';
import { chooseChunkKey, describeKeyProblem, mapColumns } from './core/schema.js';
import { createDmlBuilder } from './core/sql/dml.js';
import { alterTable, createChangelog, createGhost, dropTable } from './core/sql/ddl.js';
import { buildExactCount } from './core/sql/copy.js';
import { qualify } from './core/sql/quote.js';
import { Applier } from './stages/replay/applier.js';
import { describeSqlError } from './io/db/errors.js';
import { checkGrants, checkServer, checkTable } from './stages/preflight/checks.js';
import { copyRows } from './stages/copy/copier.js';
import { cutOver } from './stages/cutover/cutover.js';
import { counterToCarry, raiseCounter, type CounterMoment, type CounterTables } from './stages/copy/auto-increment.js';
import { startHeartbeat, writeMarker, type Heartbeat } from './stages/replay/changelog.js';
import { readBinlogPosition, readServerInfo, readTableInfo, readTableSchema, tableExists } from './io/db/inspector.js';
import { openPool, openSession, type Session, type SessionPool } from './io/db/pool.js';
import { acquireRunLock, type RunLock } from './stages/preflight/run-lock.js';
import { createStreamer, type BinlogStreamer } from './io/binlog/streamer.js';
import type { Logger } from './core/log.js';
import { Throttler } from './stages/throttle/throttler.js';
import { ConflictResolver } from './stages/replay/conflicts.js';
import { createTunables, initialTunables, type TunablesWriter } from './core/tunables.js';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { createHooks, hookFacts, type Hooks } from './operator/hooks.js';
import { createMetrics, type OscMetrics } from './operator/metrics.js';
import { createTablePlan, type TablePlan } from './plan.js';
import { OperatorSurfaces } from './operator/surfaces.js';
import type { Terminal } from './operator/terminal.js';

export interface MigrationDeps {
  readonly logger: Logger;
  readonly out: (text: string) => void;
  readonly signal: AbortSignal;
  /** stderr as main() set it up (the logger writes through it); absent: plain status lines through the logger. */
  readonly terminal?: Terminal;
}

export interface MigrationResult {
  readonly outcome: 'noop' | 'migrated';
  readonly summary: string;
}

export function runMigration(config: MigrationConfig, deps: MigrationDeps): Promise<MigrationResult> {
  return new Migration(config, deps).run();
}

/** What the preflight established; passed explicitly to the later phases. */
interface Prepared {
  readonly plan: TablePlan;
  readonly alter: AlterAnalysis;
}

const START_MARKER_TIMEOUT_MS = 30_000;
const POSTPONE_POLL_MS = 200;
const SETTLE_ROUNDS = 5;
const POOL_SIZE = 6;

class Migration {
  private phase: Phase = 'init';
  private readonly names;
  private readonly started = Date.now();
  private readonly phaseStarted = new Map<Phase, number>();
  private readonly phaseSeconds: Record<string, number> = {};
  private rowsCopied = 0;
  private copySeconds = 0;
  private estimatedRows = 0;
  private cutOverAttempts = 0;
  private cutOverLockMs: number | null = null;

  // What this run created or holds, so cleanup removes exactly that.
  private admin: Session | null = null;
  private pool: SessionPool | null = null;
  private lock: RunLock | null = null;
  private createdGhost = false;
  private createdChangelog = false;
  private swapped = false;
  private streamer: BinlogStreamer | null = null;
  private applier: Applier | null = null;
  private heartbeat: Heartbeat | null = null;
  private readonly hooks: Hooks;
  private readonly metrics: OscMetrics;
  private readonly operator: OperatorSurfaces;
  private startPosition: BinlogPosition | null = null;
  /** The tables whose AUTO_INCREMENT counter this run carries over; null when none is. */
  private counter: CounterTables | null = null;
  // Aborts on the caller's signal (Ctrl-C), on panic (socket command or flag file) and on critical load.
  private readonly abort = new AbortController();
  private abortError: OscError | null = null;
  private throttler: Throttler | null = null;
  private conflicts: ConflictResolver | null = null;
  readonly tunables: TunablesWriter;

  constructor(
    private readonly config: MigrationConfig,
    private readonly deps: MigrationDeps,
  ) {
    this.names = tableNames(config.table);
    this.tunables = createTunables(initialTunables(config));
    const fixedFacts = {
      database: config.database,
      table: config.table,
      ghostTable: this.names.ghost,
      oldTable: this.names.old,
      ddl: config.alter,
      inspectedHost: `${config.connection.host}:${config.connection.port}`,
      executingHost: hostname(),
      dryRun: !config.execute,
    };
    this.metrics = createMetrics({ database: config.database, table: config.table, snapshot: () => this.snapshot() });
    this.hooks = createHooks({ hooksPath: config.hooksPath, logger: deps.logger, facts: () => hookFacts(fixedFacts, this.snapshot()) });
    this.operator = new OperatorSurfaces({
      config,
      tunables: this.tunables,
      hooks: this.hooks,
      metrics: this.metrics,
      logger: deps.logger,
      terminal: deps.terminal,
      snapshot: () => this.snapshot(),
      panic: (source) => this.panic(source),
    });
    const onAbort = () => this.stop(new MigrationError('ABORTED', 'aborted by signal; the original table is untouched'));
    if (deps.signal.aborted) onAbort();
    else deps.signal.addEventListener('abort', onAbort, { once: true });
  }

  private get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Stops the run at the next safe point; the first reason wins (a failed replay's own error included). */
  stop(reason: OscError): void {
    if (this.abort.signal.aborted) return;
    this.abortError = reason;
    this.log.warn('abort', { code: reason.code, reason: reason.message });
    this.abort.abort(reason);
  }

  /** `panic` from the control socket, or the panic flag file: abort at once, original untouched. */
  panic(source: string): void {
    this.stop(new MigrationError('ABORTED', `panic (${source}): aborted; the original table is untouched`));
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  private enter(next: Phase): void {
    assertTransition(this.phase, next);
    const now = Date.now();
    const since = this.phaseStarted.get(this.phase);
    if (since !== undefined && this.phase !== next) this.phaseSeconds[this.phase] = (this.phaseSeconds[this.phase] ?? 0) + (now - since) / 1000;
    if (this.phase !== next) this.phaseStarted.set(next, now);
    this.log.info('phase', { from: this.phase, to: next });
    this.phase = next;
  }

  private checkAborted(): void {
    if (this.signal.aborted) throw this.abortError ?? new MigrationError('ABORTED', 'aborted; the original table is untouched');
  }

  async run(): Promise<MigrationResult> {
    const { config } = this;
    this.log.info('start', { database: config.database, table: config.table, host: config.connection.host, port: config.connection.port, execute: config.execute });
    try {
      this.operator.watchPanic();
      if (config.execute && config.metricsAddress !== null) await this.operator.startMetrics(config.metricsAddress);
      await this.hooks.run('osc-on-startup');
      this.enter('preflight');
      const prepared = await this.preflight();
      if (!config.execute) {
        this.enter('cleanup');
        await this.dropOwnTables(this.requireAdmin());
        this.enter('done');
        return { outcome: 'noop', summary: '' };
      }
      this.enter('setup');
      await this.setup(prepared);
      this.enter('copy');
      await this.hooks.run('osc-on-before-row-copy');
      await this.copy(prepared);
      await this.hooks.run('osc-on-row-copy-complete');
      await this.postponeCutOver();
      await this.hooks.run('osc-on-before-cut-over');
      this.enter('cutover');
      const result = await cutOver({
        connection: config.connection,
        pool: this.requirePool(),
        plan: prepared.plan,
        timeoutSeconds: config.cutOverLockTimeoutSeconds,
        retries: config.defaultRetries,
        applier: this.requireApplier(),
        writeMarker: (token) => this.writeMarker(token),
        logger: this.log,
        signal: this.signal,
        onAttempt: (n) => (this.cutOverAttempts = n),
        beforeAttempt: async () => {
          await this.settleConflicts();
          // Outside the lock: under it, the counter then has only the last moments' inserts to catch up with.
          await this.raiseCounter('before-cut-over');
        },
        movedAsideRows: () => this.conflicts?.size ?? 0,
        onAttemptDone: (ms, ok) => this.metrics.observeCutOver(ms / 1000, ok),
        beforeRename: () => this.raiseCounter('under-lock'),
        checkRunLock: () => this.requireLock().check(),
      });
      this.swapped = true;
      this.cutOverLockMs = result.lockMs;
      this.enter('cleanup');
      await this.stopReplay();
      const oldDropped = await this.finishTables();
      this.enter('done');
      const applied = this.applier?.stats().applied ?? { insert: 0, update: 0, delete: 0 };
      const summary = renderSummary({
        database: config.database,
        table: config.table,
        alter: prepared.alter.clauses,
        rowsCopied: this.rowsCopied,
        events: applied,
        cutOverAttempts: result.attempts,
        lockMs: result.lockMs,
        old: this.names.old,
        oldDropped,
        phaseSeconds: this.phaseSeconds,
        totalSeconds: (Date.now() - this.started) / 1000,
      });
      this.log.info('success', { rows_copied: this.rowsCopied, cut_over_attempts: result.attempts, lock_ms: result.lockMs });
      await this.hooks.run('osc-on-success');
      return { outcome: 'migrated', summary };
    } catch (err) {
      await this.cleanupAfterFailure(err);
      const failure = this.swapped
        ? new MigrationError('INTERNAL', `the tables were swapped (${config.database}.${config.table} has the new schema) but finishing failed: ${describeSqlError(err)}; drop ${this.names.changelog} by hand`, { cause: err })
        : this.classify(err);
      this.metrics.countError(errorCode(failure));
      await this.hooks.run('osc-on-failure', { OSC_FAILURE_REASON: failure instanceof Error ? failure.message : String(failure), OSC_ERROR_CODE: errorCode(failure) });
      throw failure;
    } finally {
      await this.operator.close();
      await this.release();
    }
  }

  // ---- preflight: nothing changes on the server until the ghost is created, and a refused ALTER drops it again.
  private async preflight(): Promise<Prepared> {
    const { config } = this;
    const alter = analyzeAlter(config.alter, config.table);
    // Idle through the whole copy: it pings, so that no wait_timeout ends it.
    this.admin = await openSession(config.connection, { keepAlive: true });
    const admin = this.admin;
    const server = await readServerInfo(admin);
    this.log.info('server', { flavor: server.flavor, version: server.version });
    await checkServer(admin, server, { host: `${config.connection.host}:${config.connection.port}`, replicaServerId: config.replicaServerId });
    await checkGrants(admin, server, config.database, config.connection.user, { discoverReplicas: config.throttleControlReplicas.length === 0 });
    const { info, schema: original } = await checkTable(admin, server, config.database, config.table);
    this.checkAborted();
    await this.hooks.run('osc-on-validated');

    this.lock = await this.acquireLock();
    // Without it another run could drop or replace our tables: stop at once.
    this.lock.onLost((err) => this.stop(err));
    // After the run lock: the socket's stale-file probe is only race-free between runs that cannot overlap.
    if (config.execute) await this.operator.startControl();
    const notes = await this.claimNames(admin);

    await this.createAlteredGhost(admin, alter);
    const ghostInfo = await readTableInfo(admin, config.database, this.names.ghost);
    if ((ghostInfo?.engine ?? '').toLowerCase() !== 'innodb') {
      throw new PreflightError('ALTER_REFUSED', `the ALTER makes the table ${ghostInfo?.engine ?? 'unknown'}; osc keeps tables on InnoDB: remove the ENGINE clause`);
    }
    const altered = await readTableSchema(admin, config.database, this.names.ghost);
    const mapping = mapColumns(original, altered, alter.renames, alter.droppedColumns);
    if (alter.renames.size > 0 && !config.approveRenamedColumns) {
      const list = [...alter.renames].map(([a, b]) => `${a} -> ${b}`).join(', ');
      throw new PreflightError('RENAME_NOT_APPROVED', `the ALTER renames columns (${list}); osc will copy their data to the new names. If that is what you mean, rerun with --approve-renamed-columns`);
    }
    const key = chooseChunkKey(original, altered, mapping);
    if (!key) throw new PreflightError('NO_SHARED_UNIQUE_KEY', describeKeyProblem(original, altered, mapping));
    const plan = createTablePlan({ database: config.database, table: config.table, server, mapping, key, ghostUniqueKeys: altered.uniqueKeys });
    const estimatedRows = config.exactRowcount
      ? Number((await admin.rows<{ n: string }>(buildExactCount({ database: config.database, table: config.table }).sql))[0]?.n ?? 0)
      : info.estimatedRows;
    this.estimatedRows = estimatedRows;
    await this.hooks.run('osc-on-rowcount-complete');
    this.log.info('preflight_ok', { chunk_key: key.name, columns: mapping.length, estimated_rows: estimatedRows });
    // --quiet keeps stdout to the final summary; a noop's plan is its result, so it always prints.
    if (!config.quiet || !config.execute) this.deps.out(renderPlan({
      server,
      address: `${config.connection.host}:${config.connection.port}`,
      database: config.database,
      table: config.table,
      alter: alter.clauses,
      ghost: this.names.ghost,
      original,
      altered,
      mapping,
      renames: alter.renames,
      key,
      estimatedRows,
      exactRowcount: config.exactRowcount,
      execute: config.execute,
      notes,
    }));
    return { plan, alter };
  }

  /** Our table names must be free; --initially-drop-* frees them, only now that this run holds the lock. */
  private async claimNames(admin: Session): Promise<string[]> {
    const { config } = this;
    const db = config.database;
    const notes: string[] = [];
    const leftovers: Array<{ name: string; flag: boolean; flagName: string; what: string }> = [
      { name: this.names.ghost, flag: config.initiallyDropGhostTable, flagName: '--initially-drop-ghost-table', what: 'ghost table' },
      { name: this.names.old, flag: config.initiallyDropOldTable, flagName: '--initially-drop-old-table', what: 'old table' },
    ];
    if (config.execute) leftovers.push({ name: this.names.changelog, flag: config.initiallyDropGhostTable, flagName: '--initially-drop-ghost-table', what: 'changelog table' });
    for (const t of leftovers) {
      if (!(await tableExists(admin, db, t.name))) continue;
      if (!t.flag) {
        throw new PreflightError('TABLE_EXISTS', `${t.what} ${db}.${t.name} already exists (left by an earlier run?): drop it, or pass ${t.flagName}`);
      }
      if (!config.execute) {
        if (t.name === this.names.ghost) throw new PreflightError('TABLE_EXISTS', `${t.what} ${db}.${t.name} already exists; a noop run drops nothing it did not create: drop it, or run with --execute ${t.flagName}`);
        notes.push(`${db}.${t.name} exists; --execute would drop it (${t.flagName})`);
        continue;
      }
      this.log.warn('drop_leftover', { table: t.name, flag: t.flagName });
      await admin.run(dropTable(db, t.name));
    }
    return notes;
  }

  private async createAlteredGhost(admin: Session, alter: AlterAnalysis): Promise<void> {
    const db = this.config.database;
    await admin.run(createGhost(db, this.config.table, this.names.ghost));
    this.createdGhost = true;
    this.log.info('ghost_created', { table: this.names.ghost });
    try {
      // Under the server's own sql_mode: the ghost accepts exactly what a native ALTER would.
      await admin.runUnderServerMode(alterTable(db, this.names.ghost, alter.clauses));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // The server's message quotes the ALTER text (the user's own), never row data.
      throw new PreflightError('ALTER_INVALID', `the ALTER failed on the ghost table: ${msg}`, { cause: err });
    }
  }

  // ---- setup: changelog, binlog position, streamer, applier, heartbeat.
  private async setup(p: Prepared): Promise<void> {
    const { config } = this;
    const admin = this.requireAdmin();
    const { plan } = p;
    this.counter = await counterToCarry(admin, plan);
    await this.raiseCounter('before-copy');
    await admin.run(createChangelog(plan.database, plan.changelog));
    this.createdChangelog = true;
    this.pool = openPool(config.connection, POOL_SIZE);
    const start = await readBinlogPosition(admin, plan.server);
    if (!start) throw new MigrationError('BINLOG_STREAM', 'the server reports no binary log position: is log_bin on?');
    this.startPosition = start;
    this.log.info('binlog_start', { position: formatPosition(start), server_id: config.replicaServerId });
    this.streamer = createStreamer({
      host: config.connection.host,
      port: config.connection.port,
      user: config.connection.user,
      password: config.connection.password,
      serverId: config.replicaServerId,
      database: plan.database,
      tables: [plan.table, plan.changelog],
      exactValues: [plan.table],
      // osc's own DDL never trips this: the ghost and the changelog exist before `start` is read and are dropped
      // after replay stops, and the cut-over's RENAME comes after the applier is held at its marker, then stopped.
      statements: { database: plan.database, table: plan.table, ghost: plan.ghost, changelog: plan.changelog },
      start,
      logger: this.log,
      maxReconnects: config.defaultRetries,
    });
    await this.streamer.start();
    this.applier = new Applier({
      streamer: this.streamer,
      pool: this.pool,
      plan,
      dml: createDmlBuilder(plan),
      retries: config.defaultRetries,
      batchSize: () => this.tunables.current().dmlBatchSize,
      conflicts: this.conflicts = new ConflictResolver(plan, this.log),
      onReceived: (kind) => this.metrics.eventsReceived(kind, 1),
      // One mechanism for every wait (throttled, postponed, catching up, the copy's): they all take the signal.
      onFailure: (err) => this.stop(err instanceof OscError ? err : new MigrationError('REPLAY_FAILED', `replay failed: ${describeSqlError(err)}`, { cause: err })),
      logger: this.log,
    });
    void this.applier.start();
    const streamer = this.streamer;
    this.heartbeat = startHeartbeat(this.pool, plan.database, plan.changelog, config.heartbeatIntervalMillis, this.log, (at) => streamer.heartbeatWritten(at));
    this.throttler = new Throttler({
      primary: this.pool,
      connection: config.connection,
      plan,
      tunables: this.tunables,
      config,
      logger: this.log,
      onCritical: (reason) => this.stop(new MigrationError('CRITICAL_LOAD', `critical load: ${reason}; aborted, the original table is untouched`)),
    });
    await this.throttler.start();
    // Proves the stream end to end (privileges, filters, decoding) before any row is copied.
    await this.catchUp(START_MARKER_TIMEOUT_MS);
    this.operator.startProgress();
  }

  /** CREATE TABLE ... LIKE does not copy the AUTO_INCREMENT counter: the ghost gets the original's. */
  private async raiseCounter(when: CounterMoment): Promise<void> {
    // The pool once there is one: the admin session idles through the copy and may be gone by the cut-over.
    if (this.counter !== null) await raiseCounter(this.pool ?? this.requireAdmin(), this.counter, this.log, when);
  }

  private writeMarker(token: string): Promise<void> {
    return writeMarker(this.requirePool(), { database: this.config.database, changelog: this.names.changelog }, token);
  }

  /** Resolves when every binlog event written before this call is applied. */
  private async catchUp(timeoutMs = 60_000): Promise<void> {
    const applier = this.requireApplier();
    const token = `catch-up ${Date.now()} ${Math.random().toString(36).slice(2)}`;
    const replayed = applier.waitForMarker(token, false, timeoutMs, this.signal);
    replayed.catch(() => undefined);
    await this.writeMarker(token);
    await replayed;
  }

  /**
   * Rows moved aside during replay must be back before a swap: re-copy them after replay caught up, a few
   * rounds; one that keeps colliding is real duplicate data.
   */
  private async settleConflicts(): Promise<void> {
    const conflicts = this.conflicts;
    for (let round = 1; conflicts !== null && conflicts.size > 0; round++) {
      await this.catchUp();
      const remaining = await conflicts.recopy(this.requirePool());
      if (remaining === 0) return;
      if (round >= SETTLE_ROUNDS) {
        throw new MigrationError(
          'DATA_CONFLICT',
          `${remaining} rows of the table collide on a unique key of the new table even after replay caught up: the data has duplicate values for a UNIQUE key the ALTER adds or changes; the original table is untouched`,
        );
      }
      await sleep(200 * round, this.signal);
    }
  }

  /**
   * With a postpone flag file: keep replaying and wait until the file is gone or `unpostpone` arrives.
   * Replay goes on meanwhile (the applier runs on its own), so the cut-over finds a small backlog.
   */
  private async postponeCutOver(): Promise<void> {
    const postponed = () => {
      const t = this.tunables.current();
      return !t.cutOverReleased && t.postponeCutOverFlagFile !== null && existsSync(t.postponeCutOverFlagFile);
    };
    if (!postponed()) return;
    this.enter('postponed');
    await this.hooks.run('osc-on-begin-postponed');
    this.log.info('postponing cut-over', { flag_file: this.tunables.current().postponeCutOverFlagFile ?? '' });
    while (postponed()) {
      this.checkAborted();
      await sleep(POSTPONE_POLL_MS, this.signal);
    }
    this.checkAborted();
    this.log.info('cut-over released', { by: this.tunables.current().cutOverReleased ? 'unpostpone' : 'flag file removed' });
  }

  // ---- copy
  private async copy(p: Prepared): Promise<void> {
    const { config } = this;
    const applier = this.requireApplier();
    const startedAt = Date.now();
    await copyRows({
      pool: this.requirePool(),
      plan: p.plan,
      chunkSize: () => this.tunables.current().chunkSize,
      niceRatio: () => this.tunables.current().niceRatio,
      retries: config.defaultRetries,
      logger: this.log,
      signal: this.signal,
      // Replayed events go first; while throttled the copy waits, and replay goes on.
      beforeChunk: async () => {
        await applier.idle(this.signal);
        await this.throttler?.waitWhileThrottled(this.signal);
        this.checkAborted();
      },
      catchUp: () => this.catchUp(),
      onChunk: (s) => {
        this.metrics.observeChunk(s.durationMs / 1000);
        this.rowsCopied += s.rowsRead;
        this.copySeconds = (Date.now() - startedAt) / 1000;
      },
    });
    this.checkAborted();
    this.copySeconds = (Date.now() - startedAt) / 1000;
    this.log.info('copy_done', { rows: this.rowsCopied, seconds: this.copySeconds.toFixed(1) });
    this.log.info('status', renderStatusLine(this.snapshot()));
  }

  snapshot(): ProgressSnapshot {
    const stats = this.applier?.stats();
    const applied = stats ? stats.applied.insert + stats.applied.update + stats.applied.delete : 0;
    const position = stats?.position ?? this.startPosition;
    return {
      phase: this.phase,
      database: this.config.database,
      table: this.config.table,
      rowsCopied: this.rowsCopied,
      rowsEstimated: Math.max(this.estimatedRows, this.rowsCopied),
      elapsedSeconds: (Date.now() - this.started) / 1000,
      copySeconds: this.copySeconds,
      eventsApplied: applied,
      backlog: this.applier?.backlog() ?? 0,
      binlogPosition: position ? formatPosition(position) : null,
      heartbeatLagSeconds: stats?.heartbeatLagMs != null ? stats.heartbeatLagMs / 1000 : null,
      throttleReason: this.throttler?.check().reason ?? (this.tunables.current().throttledByUser ? 'commanded by user' : null),
      cutOverAttempts: this.cutOverAttempts,
      eventsByKind: stats?.applied ?? { insert: 0, update: 0, delete: 0 },
      replicaLags: this.throttler?.replicaLags() ?? [],
      chunkSize: this.tunables.current().chunkSize,
      cutOverLockMs: this.cutOverLockMs,
    };
  }

  // ---- cleanup
  private async stopReplay(): Promise<void> {
    await this.throttler?.stop();
    this.throttler = null;
    this.applier?.stop();
    await this.heartbeat?.stop();
    this.heartbeat = null;
    await this.streamer?.stop();
    await this.applier?.done.catch(() => undefined);
  }

  private async finishTables(): Promise<boolean> {
    const admin = this.requireAdmin();
    await admin.run(dropTable(this.config.database, this.names.changelog));
    this.createdChangelog = false;
    if (this.config.okToDropTable) {
      await admin.run(dropTable(this.config.database, this.names.old));
      this.log.info('old_table_dropped', { table: this.names.old });
      return true;
    }
    this.log.info('old_table_kept', { table: this.names.old });
    return false;
  }

  private async cleanupAfterFailure(err: unknown): Promise<void> {
    const code = err instanceof OscError ? err.code : 'INTERNAL';
    // The cut-over could not establish which table is which: the ghost may be the only copy of the data.
    const uncertain = code === 'CUT_OVER_UNCERTAIN';
    this.log.warn('cleanup', { reason: code, original: this.swapped ? 'swapped' : uncertain ? 'unknown' : 'untouched' });
    await this.stopReplay().catch((e: unknown) => this.log.warn('cleanup_step_failed', { step: 'stop_replay', error: describeSqlError(e) }));
    if (this.phase !== 'init' && this.phase !== 'failed') this.enter('failed');
    // Only what this run created: a run refused before creating anything (a wrong password) has nothing to drop.
    if (this.ownTables().length === 0) return;
    if (uncertain) {
      this.log.warn('cleanup_skipped', { reason: 'tables left for the operator to check', ghost: qualify(this.config.database, this.names.ghost), changelog: qualify(this.config.database, this.names.changelog) });
      return;
    }
    if (!(await this.holdsRunLock())) return;
    try {
      await this.dropOwnTables(this.requireAdmin());
    } catch {
      // The admin session may be what failed: one more try on a fresh connection.
      let fresh: Session | null = null;
      try {
        fresh = await openSession(this.config.connection);
        await this.dropOwnTables(fresh);
      } catch (cleanupErr) {
        // Never turned into success: the original error still fails the run; say what is left behind.
        this.log.error('cleanup_failed', { left: this.ownTables().map((t) => qualify(this.config.database, t)).join(', '), error: describeSqlError(cleanupErr) });
      } finally {
        await fresh?.close();
      }
    }
  }

  /** The tables this run created that are still its own to drop (the ghost is not, once it became the table). */
  private ownTables(): string[] {
    const own: string[] = [];
    if (this.createdGhost && !this.swapped) own.push(this.names.ghost);
    if (this.createdChangelog) own.push(this.names.changelog);
    return own;
  }

  /** Drops the ghost (unless it became the table) and the changelog, if this run created them. */
  private async dropOwnTables(s: Session): Promise<void> {
    const db = this.config.database;
    if (this.createdGhost && !this.swapped) {
      await s.run(dropTable(db, this.names.ghost));
      this.createdGhost = false;
      this.log.info('ghost_dropped', { table: this.names.ghost });
    }
    if (this.createdChangelog) {
      await s.run(dropTable(db, this.names.changelog));
      this.createdChangelog = false;
      this.log.info('changelog_dropped', { table: this.names.changelog });
    }
  }

  private classify(err: unknown): unknown {
    // The reason the run was stopped (a lost run lock, panic, ...) explains whatever failed next.
    if (this.signal.aborted && this.abortError !== null) return this.abortError;
    if (err instanceof OscError) return err;
    if (this.signal.aborted) return new MigrationError('ABORTED', 'aborted; the original table is untouched', { cause: err });
    return new MigrationError('INTERNAL', `migration failed: ${describeSqlError(err)}`, { cause: err });
  }

  private async release(): Promise<void> {
    await this.pool?.close().catch(() => undefined);
    this.pool = null;
    await this.lock?.release().catch(() => undefined);
    this.lock = null;
    await this.admin?.close().catch(() => undefined);
    this.admin = null;
  }

  private acquireLock(): Promise<RunLock> {
    const { config } = this;
    return acquireRunLock(config.connection, lockName(config.database, config.table), `${config.database}.${config.table}`);
  }

  /**
   * Cleanup drops tables only under the run lock: once it was lost, another run may have replaced ours by tables
   * of the same names. Taken again if nobody else holds it.
   */
  private async holdsRunLock(): Promise<boolean> {
    if (this.lock === null) return true;
    const lost = await this.lock.check().then(() => false, () => true);
    if (!lost) return true;
    await this.lock.release().catch(() => undefined);
    this.lock = null;
    try {
      this.lock = await this.acquireLock();
      return true;
    } catch {
      this.log.warn('cleanup_skipped', { reason: 'another run holds the run lock', ghost: qualify(this.config.database, this.names.ghost), changelog: qualify(this.config.database, this.names.changelog) });
      return false;
    }
  }

  private requireLock(): RunLock {
    if (!this.lock) throw new OscError('INTERNAL', 'no run lock');
    return this.lock;
  }
  private requireAdmin(): Session {
    if (!this.admin) throw new OscError('INTERNAL', 'no admin connection');
    return this.admin;
  }
  private requirePool(): SessionPool {
    if (!this.pool) throw new OscError('INTERNAL', 'no connection pool');
    return this.pool;
  }
  private requireApplier(): Applier {
    if (!this.applier) throw new OscError('INTERNAL', 'no applier');
    return this.applier;
  }
}

