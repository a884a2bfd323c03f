// The orchestrator: runs the phases in order, owns the counters and the phase, and cleans up after itself.
// Reads top to bottom: preflight, setup, copy, cut-over, cleanup. Each stage owns what it opens (the preflight its
// admin session and run lock, replay its reader, applier and heartbeat, the throttler its replica connections);
// the orchestrator hands them on and stops them in order.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { formatPosition } from './core/binlog/events.js';
import { checksumSizing } from './core/checksum/sizing.js';
import { BoundaryKeeper, recheckDue, type ChecksumProgress } from './core/checksum/verdict.js';
import { backlogDecision, DEFAULT_BACKLOG_BOUNDS, replaySecondsBehind } from './core/chunk/backlog.js';
import { defaultThreads } from './core/chunk/ranges.js';
import { defaultSizing } from './core/chunk/sizer.js';
import { MAX_COPY_THREADS } from './core/flags.js';
import type { MigrationConfig } from './core/config.js';
import { errorCode, MigrationError, OscError, withNote } from './core/errors.js';
import type { Logger } from './core/log.js';
import { tableNames, type TableNames } from './core/names.js';
import { assertTransition, type Phase } from './core/phase.js';
import { renderStatusLine, type ProgressSnapshot } from './core/progress.js';
import { renderSummary } from './core/report.js';
import { createChangelog, dropTable } from './core/sql/ddl.js';
import { schemaFingerprint, type Checkpoint, type CheckpointPhase } from './core/checkpoint.js';
import { foldGtid } from './core/binlog/gtid.js';
import type { CopyPlanState } from './core/chunk/plan.js';
import type { KeyValues } from './core/types.js';
import { createCheckpointTable } from './core/sql/checkpoint.js';
import { qualify } from './core/sql/quote.js';
import { setLockWaitTimeout } from './core/sql/session.js';
import { createTunables, initialTunables, type TunablesWriter } from './core/tunables.js';
import { describeSqlError, ER_LOCK_WAIT_TIMEOUT, sqlErrno } from './io/db/errors.js';
import { openPool, openSession, type Db, type Session, type SessionPool } from './io/db/pool.js';
import { sleep } from './io/sleep.js';
import { createHooks, hookFacts, type Hooks } from './operator/hooks.js';
import { createMetrics, type OscMetrics } from './operator/metrics.js';
import { OperatorSurfaces } from './operator/surfaces.js';
import type { Terminal } from './operator/terminal.js';
import { counterToCarry, raiseCounter, type CounterMoment, type CounterTables } from './stages/copy/auto-increment.js';
import { verifyGhost, type ChecksumResult, type ChecksumTesting } from './stages/checksum/checksum.js';
import { copyRows, type CopierDeps } from './stages/copy/copier.js';
import { cutOver, type CutOverTesting } from './stages/cutover/cutover.js';
import { cutOverAlgorithm } from './core/cutover/plan.js';
import { OwnTables } from './stages/preflight/own-tables.js';
import { Preflight, type Preflighted, type SwappedBefore } from './stages/preflight/preflight.js';
import { Checkpointer } from './stages/resume/checkpointer.js';
import { readReplayStart, readServerIdentity } from './stages/resume/server-state.js';
import { movedAsideStore } from './stages/resume/store.js';
import { Replay } from './stages/replay/replay.js';
import { Throttler } from './stages/throttle/throttler.js';

export interface MigrationDeps {
  readonly logger: Logger;
  readonly out: (text: string) => void;
  readonly signal: AbortSignal;
  /** stderr as main() set it up (the logger writes through it); absent: plain status lines through the logger. */
  readonly terminal?: Terminal;
  /** osc's version, written into the checkpoint: a run is resumed only by the version that started it. */
  readonly version: string;
  /** Tests only: passed to the cut-over (cutover.ts). */
  readonly cutOverTesting?: CutOverTesting;
  /** Tests only: passed to the checksum (checksum.ts). */
  readonly checksumTesting?: ChecksumTesting;
}

export interface MigrationResult {
  readonly outcome: 'noop' | 'migrated';
  readonly summary: string;
}

export function runMigration(config: MigrationConfig, deps: MigrationDeps): Promise<MigrationResult> {
  return new Migration(config, deps).run();
}

/** What setup started for the copy and the cut-over. */
interface Running {
  readonly pool: SessionPool;
  readonly replay: Replay;
  readonly throttler: Throttler;
  /** The tables whose AUTO_INCREMENT counter this run carries over; null when none is. */
  readonly counter: CounterTables | null;
  readonly checkpointer: Checkpointer;
}

const START_MARKER_TIMEOUT_MS = 30_000;
const POSTPONE_POLL_MS = 200;
// The copy's workers, replay, heartbeat, throttler checks, catch-up markers and the cut-over's sessions.
const POOL_SIZE = 5 + MAX_COPY_THREADS;
const BACKLOG_POLL_MS = 50;
// The checksum's sessions when --threads is not given: its reads scale with cores even where the copy's writes do
// not (MariaDB), and this machine class has two.
const CHECKSUM_THREADS = 2;
/** How long cleanup waits for a lock on a table it drops before it gives up and names what it left. */
const CLEANUP_LOCK_WAIT_SECONDS = 10;

class Migration {
  // The phase and the counters: the orchestrator's, rendered through snapshot().
  private phase: Phase = 'init';
  private readonly started = Date.now();
  private readonly phaseStarted = new Map<Phase, number>();
  private readonly phaseSeconds: Record<string, number> = {};
  private rowsCopied = 0;
  private copySeconds = 0;
  private estimatedRows = 0;
  private cutOverAttempts = 0;
  private cutOverLockMs: number | null = null;
  /** Why the copy waits for replay now (the backlog is over its bound), for the status line; null while it runs. */
  private copyWait: string | null = null;
  /** The last chunk's planned rows (fixed, or sized by time). */
  private chunkSize = 0;
  /** The most ranges copied at once. */
  private peakThreads = 0;
  /** The upper bounds of the copy's ranges when this process copied the whole table (for the checksum). */
  private copyBounds: readonly KeyValues[] | null = null;
  /** The checksum's progress (summed over its runs); null before it began or with --skip-checksum. */
  private checksum: ChecksumProgress | null = null;
  private verifiedAt = 0;
  /** The last checksum's result, for the summary. */
  private verified: ChecksumResult | null = null;
  /** What the checkpoint records: the copy's plan and watermark (null before the copy read its range), the phase. */
  private copyState: CopyPlanState | null = null;
  private checkpointPhase: CheckpointPhase = 'setup';

  private readonly names: TableNames;
  private readonly tunables: TunablesWriter;
  private readonly hooks: Hooks;
  private readonly metrics: OscMetrics;
  private readonly operator: OperatorSurfaces;
  /** What this run created, so cleanup removes exactly that. */
  private readonly tables: OwnTables;
  private readonly preflight: Preflight;
  private running: Running | null = null;
  // Aborts on the caller's signal (Ctrl-C), on panic (socket command or flag file) and on critical load.
  private readonly abort = new AbortController();
  private abortError: OscError | null = null;
  /** Cleanup left the tables alone: the run lock is another run's now. */
  private cleanupSkipped = false;

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
    this.hooks = createHooks({
      hooksPath: config.hooksPath,
      logger: deps.logger,
      facts: () => hookFacts(fixedFacts, this.snapshot()),
    });
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
    this.tables = new OwnTables(config.database, this.names, deps.logger);
    this.preflight = new Preflight({
      config,
      names: this.names,
      tables: this.tables,
      hooks: this.hooks,
      logger: deps.logger,
      out: deps.out,
      checkAborted: () => this.checkAborted(),
      onLockLost: (err) => this.stop(err),
      // After the run lock: the socket's stale-file probe is only race-free between runs that cannot overlap.
      onLocked: async () => {
        if (config.execute) await this.operator.startControl();
      },
      oscVersion: deps.version,
    });
    const onAbort = () =>
      this.stop(new MigrationError('ABORTED', 'aborted by signal; the original table is untouched'));
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
    if (since !== undefined && this.phase !== next)
      this.phaseSeconds[this.phase] = (this.phaseSeconds[this.phase] ?? 0) + (now - since) / 1000;
    if (this.phase !== next) this.phaseStarted.set(next, now);
    this.log.info('phase', { from: this.phase, to: next });
    this.phase = next;
    if (next === 'setup' || next === 'copy' || next === 'checksum' || next === 'postponed' || next === 'cutover')
      this.checkpointPhase = next;
  }

  /** Writes the checkpoint now (at a phase change); a no-op before setup started it. */
  private checkpoint(): Promise<void> {
    return this.running?.checkpointer.write() ?? Promise.resolve();
  }

  private checkAborted(): void {
    if (this.signal.aborted)
      throw this.abortError ?? new MigrationError('ABORTED', 'aborted; the original table is untouched');
  }

  async run(): Promise<MigrationResult> {
    const { config } = this;
    this.log.info('start', {
      database: config.database,
      table: config.table,
      host: config.connection.host,
      port: config.connection.port,
      execute: config.execute,
    });
    try {
      this.operator.watchPanic();
      if (config.execute && config.metricsAddress !== null) await this.operator.startMetrics(config.metricsAddress);
      await this.hooks.run('osc-on-startup');
      this.enter('preflight');
      const preflighted = await this.preflight.run();
      if (preflighted.kind === 'swapped') return await this.finishSwapped(preflighted);
      const prepared = preflighted;
      this.estimatedRows = prepared.estimatedRows;
      await this.hooks.run('osc-on-rowcount-complete');
      this.preflight.report(prepared);
      if (!config.execute) {
        this.enter('cleanup');
        await this.tables.drop(prepared.admin);
        this.enter('done');
        return { outcome: 'noop', summary: '' };
      }
      this.enter('setup');
      const running = await this.setup(prepared);
      this.enter('copy');
      await this.checkpoint();
      await this.hooks.run('osc-on-before-row-copy');
      await this.copy(prepared, running);
      await this.hooks.run('osc-on-row-copy-complete');
      await this.verify(prepared, running);
      if (await this.postponeCutOver()) await this.verify(prepared, running, true);
      await this.hooks.run('osc-on-before-cut-over');
      this.enter('cutover');
      // Written before any attempt: a resume that finds the tables swapped accepts that only from this phase.
      await this.checkpoint();
      const { replay, pool } = running;
      const result = await cutOver({
        connection: config.connection,
        pool,
        plan: prepared.plan,
        algorithm: cutOverAlgorithm(prepared.plan.server),
        timeoutSeconds: config.cutOverLockTimeoutSeconds,
        retries: config.defaultRetries,
        applier: replay.control,
        writeMarker: (token) => replay.writeMarker(token),
        logger: this.log,
        signal: this.signal,
        onAttempt: (n) => (this.cutOverAttempts = n),
        beforeAttempt: async () => {
          await replay.settleConflicts(this.signal);
          // Outside the lock: under it, the counter then has only the last moments' inserts to catch up with.
          await this.raiseCounter(running, 'before-cut-over');
          // Last: the lock follows, with only what was written since left to replay under it.
          await replay.catchUpBeforeLock(this.signal);
        },
        movedAsideRows: () => replay.movedAsideRows(),
        onAttemptDone: (ms, ok) => this.metrics.observeCutOver(ms / 1000, ok),
        beforeRename: (db) => this.raiseCounter(running, 'under-lock', db),
        checkRunLock: () => this.preflight.checkRunLock(),
        ...(this.deps.cutOverTesting === undefined ? {} : { testing: this.deps.cutOverTesting }),
      });
      this.tables.tablesSwapped();
      this.cutOverLockMs = result.lockMs;
      this.enter('cleanup');
      await running.checkpointer.stop();
      await this.stopReplay();
      const oldDropped = await this.finishTables(prepared.admin);
      this.enter('done');
      const summary = renderSummary({
        database: config.database,
        table: config.table,
        alter: prepared.alter.clauses,
        rowsCopied: this.rowsCopied,
        events: replay.stats().applied,
        cutOverAttempts: result.attempts,
        lockMs: result.lockMs,
        old: this.names.old,
        oldDropped,
        verified:
          this.verified === null
            ? null
            : {
                rows: this.verified.rowsChecked,
                chunks: this.verified.chunks,
                repaired: this.checksum?.repairs ?? 0,
                lockMs: this.checksum?.lockMs ?? 0,
              },
        phaseSeconds: this.phaseSeconds,
        totalSeconds: (Date.now() - this.started) / 1000,
      });
      this.log.info('success', {
        rows_copied: this.rowsCopied,
        cut_over_attempts: result.attempts,
        lock_ms: result.lockMs,
        verified: this.verified !== null,
        repaired: this.checksum?.repairs ?? 0,
      });
      await this.hooks.run('osc-on-success');
      return { outcome: 'migrated', summary };
    } catch (err) {
      await this.cleanupAfterFailure(err);
      const failure = this.tables.isSwapped
        ? new MigrationError(
            'INTERNAL',
            `the tables were swapped (${config.database}.${config.table} has the new schema) but finishing failed: ${describeSqlError(err)}; drop ${this.names.changelog} by hand`,
            { cause: err },
          )
        : this.leftBehind(this.classify(err));
      this.metrics.countError(errorCode(failure));
      await this.hooks.run('osc-on-failure', {
        OSC_FAILURE_REASON: failure instanceof Error ? failure.message : String(failure),
        OSC_ERROR_CODE: errorCode(failure),
      });
      throw failure;
    } finally {
      await this.operator.close();
      await this.running?.pool.close().catch(() => undefined);
      await this.preflight.release();
    }
  }

  /**
   * --resume found that the dead run's cut-over had swapped the tables (the preflight checked both against the
   * checkpoint): the migration is complete; what is left is its changelog and checkpoint (and the old table).
   */
  private async finishSwapped(p: SwappedBefore): Promise<MigrationResult> {
    const { config, names } = this;
    const db = config.database;
    const dropping = [names.changelog, names.checkpoint, ...(config.okToDropTable ? [names.old] : [])];
    const found = `the dead run's cut-over had completed: ${db}.${config.table} has the new definition and ${db}.${names.old} is the original`;
    this.log.info('resume_swapped', { table: config.table, old: names.old });
    this.enter('cleanup');
    if (!config.execute) {
      this.deps.out(`${found}; --execute would drop ${dropping.map((t) => `${db}.${t}`).join(', ')}\n`);
      this.enter('done');
      return { outcome: 'noop', summary: '' };
    }
    for (const t of dropping) await p.admin.run(dropTable(db, t));
    this.enter('done');
    const kept = config.okToDropTable ? '' : `; ${db}.${names.old} is kept (drop it when you no longer need it)`;
    return { outcome: 'migrated', summary: `${found}; dropped ${dropping.join(', ')}${kept}` };
  }

  // ---- setup: changelog, binlog position, replay (reader, applier, heartbeat), throttler.
  private async setup(p: Preflighted): Promise<Running> {
    const { config } = this;
    const { plan, admin, resume } = p;
    if (resume !== null) {
      // The dead run's tables are this run's now: a failure from here on drops them as a fresh run's.
      this.tables.adopt();
      if (resume.dropOld !== null) {
        await admin.run(dropTable(plan.database, plan.old));
        this.log.warn('drop_leftover', {
          table: plan.old,
          reason: resume.dropOld === 'sentry' ? 'cut-over sentry of the dead run' : '--initially-drop-old-table',
        });
      }
      this.copyState = resume.checkpoint.copy;
    }
    const counter = await counterToCarry(admin, plan);
    if (counter !== null) await raiseCounter(admin, counter, this.log, 'before-copy');
    if (resume === null) {
      await admin.run(createChangelog(plan.database, plan.changelog));
      this.tables.changelogCreated();
      await admin.run(createCheckpointTable(plan.database, plan.checkpoint));
      this.tables.checkpointCreated();
    }
    // Recorded in every checkpoint; a resumed run's was checked equal to its checkpoint's by the preflight.
    const server = await readServerIdentity(admin, plan.server.flavor);
    // Resumed: every event before the checkpointed position is on the ghost; those after it are replayed (again).
    const fresh = resume === null ? await readReplayStart(admin, plan.server) : null;
    const start = resume?.checkpoint.binlog ?? fresh?.position;
    if (!start) throw new MigrationError('BINLOG_STREAM', 'the server reports no binary log position: is log_bin on?');
    const startGtid = resume === null ? (fresh?.gtid ?? null) : resume.checkpoint.gtid;
    const pool = openPool(config.connection, POOL_SIZE);
    // Held from here on, so that cleanup stops and closes whatever setup got to start.
    let replay: Replay | null = null;
    let throttler: Throttler | null = null;
    try {
      replay = new Replay({
        config,
        plan,
        pool,
        start,
        movedAside: { store: movedAsideStore(plan), restored: resume?.moved ?? [] },
        batchSize: () => this.tunables.current().dmlBatchSize,
        onReceived: (kind) => this.metrics.eventsReceived(kind, 1),
        // One mechanism for every wait (throttled, postponed, catching up, the copy's): they all take the signal.
        onFailure: (err) =>
          this.stop(
            err instanceof OscError
              ? err
              : new MigrationError('REPLAY_FAILED', `replay failed: ${describeSqlError(err)}`, { cause: err }),
          ),
        logger: this.log,
      });
      await replay.begin();
      throttler = new Throttler({
        primary: pool,
        connection: config.connection,
        plan,
        tunables: this.tunables,
        config,
        logger: this.log,
        onCritical: (reason) =>
          this.stop(
            new MigrationError('CRITICAL_LOAD', `critical load: ${reason}; aborted, the original table is untouched`),
          ),
      });
      await throttler.start();
    } catch (err) {
      await throttler?.stop();
      await replay?.stop();
      await pool.close().catch(() => undefined);
      throw err;
    }
    const fingerprints = { original: schemaFingerprint(p.original), ghost: schemaFingerprint(p.altered) };
    const started = replay;
    const current = (): Checkpoint => {
      // Position and GTID from one snapshot of the applier: the GTID is that of the transaction at the position.
      const { appliedFrom, appliedGtid } = started.stats();
      return {
        oscVersion: this.deps.version,
        alter: p.alter.clauses,
        key: plan.key.name,
        ...fingerprints,
        phase: this.checkpointPhase,
        copy: this.copyState,
        binlog: appliedFrom ?? started.start,
        gtid: appliedFrom === null ? startGtid : foldGtid(plan.server.flavor, startGtid, appliedGtid),
        server,
        writtenAt: Date.now(),
      };
    };
    const checkpointer = new Checkpointer(pool, plan, current, this.log);
    const running: Running = { pool, replay, throttler, counter, checkpointer };
    this.running = running;
    // The first checkpoint (replay's start, nothing copied) before any row is copied; then every few seconds.
    await checkpointer.write();
    checkpointer.start();
    // Proves the stream end to end (privileges, filters, decoding) before any row is copied.
    await replay.catchUp(this.signal, START_MARKER_TIMEOUT_MS);
    this.operator.startProgress();
    return running;
  }

  /** CREATE TABLE ... LIKE does not copy the AUTO_INCREMENT counter: the ghost gets the original's. */
  private async raiseCounter(r: Running, when: CounterMoment, db: Db = r.pool): Promise<void> {
    // The pool: the admin session idles through the copy and may be gone by the cut-over.
    if (r.counter !== null) await raiseCounter(db, r.counter, this.log, when);
  }

  /**
   * With a postpone flag file: keep replaying and wait until the file is gone or `unpostpone` arrives.
   * Replay goes on meanwhile (the applier runs on its own), so the cut-over finds a small backlog.
   */
  private async postponeCutOver(): Promise<boolean> {
    const postponed = () => {
      const t = this.tunables.current();
      return !t.cutOverReleased && t.postponeCutOverFlagFile !== null && existsSync(t.postponeCutOverFlagFile);
    };
    if (!postponed()) return false;
    this.enter('postponed');
    await this.hooks.run('osc-on-begin-postponed');
    this.log.info('postponing cut-over', { flag_file: this.tunables.current().postponeCutOverFlagFile ?? '' });
    while (postponed()) {
      this.checkAborted();
      await sleep(POSTPONE_POLL_MS, this.signal);
    }
    this.checkAborted();
    this.log.info('cut-over released', {
      by: this.tunables.current().cutOverReleased ? 'unpostpone' : 'flag file removed',
    });
    return true;
  }

  /**
   * The checksum of ghost against original (stages/checksum), unless --skip-checksum; after a postponement only
   * when the last one is older than a few minutes, so that the swap never rests on an old check.
   */
  private async verify(p: Preflighted, running: Running, afterPostponing = false): Promise<void> {
    if (this.config.skipChecksum) return;
    const testing = this.deps.checksumTesting;
    if (afterPostponing && !recheckDue(this.verifiedAt, Date.now(), testing?.recheckAfterMs)) return;
    this.enter('checksum');
    // A crash from here on is recorded as one during the checksum (a resumed run verifies again in full).
    await this.checkpoint();
    const { pool, replay, throttler } = running;
    const before = this.checksum;
    const result: ChecksumResult = await verifyGhost({
      connection: this.config.connection,
      pool,
      plan: p.plan,
      replay,
      lockTimeoutSeconds: this.config.cutOverLockTimeoutSeconds,
      retries: this.config.defaultRetries,
      threads: this.tunables.current().threads ?? CHECKSUM_THREADS,
      sizing: () => {
        const t = this.tunables.current();
        return checksumSizing(t.chunkSize, t.chunkTime);
      },
      boundaries: this.copyBounds,
      waitWhileLoaded: () => throttler.waitWhileLoaded(this.signal),
      copyRange: async (first, last) => {
        await copyRows(
          this.copierDeps(p, running, (s) => this.metrics.observeChunk(s.durationMs / 1000)),
          {
            min: first,
            max: last,
            watermark: null,
            done: false,
          },
        );
      },
      onProgress: (c) => (this.checksum = sumChecksums(before, c)),
      logger: this.log,
      signal: this.signal,
      ...(testing === undefined ? {} : { testing }),
    });
    this.checksum = sumChecksums(before, result);
    this.verified = result;
    this.verifiedAt = Date.now();
    this.checkAborted();
  }

  // ---- copy
  private async copy(p: Preflighted, running: Running): Promise<void> {
    const startedAt = Date.now();
    // A resumed run copies on from the dead run's watermark; the ranges of a whole copy serve the checksum.
    const initial = p.resume?.checkpoint.copy ?? undefined;
    const bounds = new BoundaryKeeper();
    this.copyState = await copyRows(
      {
        ...this.copierDeps(p, running, (s) => {
          this.metrics.observeChunk(s.durationMs / 1000);
          this.chunkSize = s.size;
          this.peakThreads = Math.max(this.peakThreads, s.concurrent);
          this.rowsCopied += s.rowsRead;
          this.copySeconds = (Date.now() - startedAt) / 1000;
          this.copyState = s.state;
        }),
        onRange: (r) => bounds.add(r.upper),
        // Rows written from here on beyond the range read are the binlog's to bring, not the copy's.
        onStart: ({ firstChunkRows, threads }) =>
          this.log.info('copy_started', {
            resumed: initial !== undefined,
            first_chunk_rows: firstChunkRows,
            threads,
          }),
      },
      initial,
    );
    this.copyBounds = initial === undefined ? bounds.boundaries : null;
    this.checkAborted();
    this.copySeconds = (Date.now() - startedAt) / 1000;
    this.log.info('copy_done', {
      rows: this.rowsCopied,
      seconds: this.copySeconds.toFixed(1),
      last_chunk_rows: this.chunkSize,
      peak_threads: this.peakThreads,
    });
    this.log.info('status', renderStatusLine(this.snapshot()));
  }

  /** The copy's path, for the copy and for the checksum's repairs. */
  private copierDeps(p: Preflighted, { pool, replay, throttler }: Running, onChunk: CopierDeps['onChunk']): CopierDeps {
    return {
      pool,
      plan: p.plan,
      sizing: () => {
        const t = this.tunables.current();
        return defaultSizing(t.chunkSize, t.chunkTime);
      },
      niceRatio: () => this.tunables.current().niceRatio,
      threads: () => this.tunables.current().threads ?? defaultThreads(p.plan.server.flavor),
      retries: this.config.defaultRetries,
      logger: this.log,
      signal: this.signal,
      // The copy runs beside replay and waits for it only while the backlog is over its bound (core/chunk/backlog.ts
      // says why that is safe); while throttled the copy waits, and replay goes on. The orderings that remain:
      // - the binlog reader is positioned (setup) before the copy reads the key range: every change to a row the
      //   copy may miss or read stale is in the stream;
      // - a chunk's conflict recheck waits for catchUp: only a caught-up replay tells a transient duplicate (an
      //   older image still on the ghost) from real duplicate data;
      // - replay re-copies moved-aside rows after each committed batch, and flushes before markers and statement
      //   events, so a marker means "everything before it is applied";
      // - the cut-over waits for its held marker with full catch-up and no moved-aside row left.
      beforeChunk: async () => {
        await this.waitForBacklog(replay);
        await throttler.waitWhileThrottled(this.signal);
        this.checkAborted();
      },
      catchUp: () => replay.catchUp(this.signal),
      onChunk,
    };
  }

  /**
   * Pauses the copy while replay is too far behind (events held in memory, or seconds the cut-over would wait),
   * until it is well under the bound. A failed replay stops the run (onFailure), which ends the wait.
   */
  private async waitForBacklog(replay: Replay): Promise<void> {
    const reading = () => {
      const { heartbeatLagMs, lastHeartbeatAt } = replay.stats();
      return {
        events: replay.backlog(),
        secondsBehind: replaySecondsBehind(
          heartbeatLagMs,
          lastHeartbeatAt,
          Date.now(),
          this.config.heartbeatIntervalMillis,
        ),
      };
    };
    let decision = backlogDecision(reading(), DEFAULT_BACKLOG_BOUNDS, false);
    if (!decision.paused) return;
    this.log.info('copy_paused', { reason: decision.reason ?? '' });
    try {
      while (decision.paused) {
        this.copyWait = decision.reason;
        this.checkAborted();
        await sleep(BACKLOG_POLL_MS, this.signal);
        decision = backlogDecision(reading(), DEFAULT_BACKLOG_BOUNDS, true);
      }
    } finally {
      this.copyWait = null;
    }
    this.checkAborted();
    this.log.info('copy_resumed', { backlog: replay.backlog() });
  }

  snapshot(): ProgressSnapshot {
    const replay = this.running?.replay;
    const throttler = this.running?.throttler;
    const stats = replay?.stats();
    const applied = stats ? stats.applied.insert + stats.applied.update + stats.applied.delete : 0;
    const position = stats?.position ?? replay?.start ?? null;
    return {
      phase: this.phase,
      database: this.config.database,
      table: this.config.table,
      rowsCopied: this.rowsCopied,
      rowsEstimated: Math.max(this.estimatedRows, this.rowsCopied),
      elapsedSeconds: (Date.now() - this.started) / 1000,
      copySeconds: this.copySeconds,
      eventsApplied: applied,
      backlog: replay?.backlog() ?? 0,
      binlogPosition: position ? formatPosition(position) : null,
      heartbeatLagSeconds: stats?.heartbeatLagMs != null ? stats.heartbeatLagMs / 1000 : null,
      throttleReason:
        this.copyWait ??
        throttler?.check().reason ??
        (this.tunables.current().throttledByUser ? 'commanded by user' : null),
      cutOverAttempts: this.cutOverAttempts,
      eventsByKind: stats?.applied ?? { insert: 0, update: 0, delete: 0 },
      replicaLags: throttler?.replicaLags() ?? [],
      chunkSize: this.chunkSize,
      cutOverLockMs: this.cutOverLockMs,
      checksum: this.checksum,
    };
  }

  // ---- cleanup
  /** The throttler, then replay; the pool stays open until the end (cleanup may still need it). */
  private async stopReplay(): Promise<void> {
    const running = this.running;
    if (running === null) return;
    await running.throttler.stop();
    await running.replay.stop();
  }

  private async finishTables(admin: Db): Promise<boolean> {
    await this.tables.dropChangelog(admin);
    await this.tables.dropCheckpoint(admin);
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
    this.log.warn('cleanup', {
      reason: code,
      original: this.tables.isSwapped ? 'swapped' : uncertain ? 'unknown' : 'untouched',
    });
    await this.running?.checkpointer.stop();
    await this.stopReplay().catch((e: unknown) =>
      this.log.warn('cleanup_step_failed', { step: 'stop_replay', error: describeSqlError(e) }),
    );
    if (this.phase !== 'init' && this.phase !== 'failed') this.enter('failed');
    // Only what this run created: a run refused before creating anything (a wrong password) has nothing to drop.
    if (this.tables.left().length === 0) return;
    if (uncertain) {
      this.log.warn('cleanup_skipped', {
        reason: 'tables left for the operator to check',
        ghost: qualify(this.config.database, this.names.ghost),
        changelog: qualify(this.config.database, this.names.changelog),
      });
      return;
    }
    const lock = await this.preflight.holdsRunLock();
    if (lock !== 'held') {
      // When the server is down the tables are this run's still, and the error names them; not so once taken.
      this.cleanupSkipped = lock === 'taken';
      return;
    }
    // Bounded: another session's lock on the ghost (a long SELECT, a backup's transaction) must not hang osc.
    const bounded = setLockWaitTimeout(CLEANUP_LOCK_WAIT_SECONDS);
    try {
      const admin: Session | null = this.preflight.session;
      if (admin === null) throw new OscError('INTERNAL', 'no admin connection');
      await admin.run(bounded.sql, bounded.params);
      await this.tables.drop(admin);
    } catch (firstErr) {
      // The admin session may be what failed: one more try on a fresh connection (not when a lock was in the way).
      let fresh: Session | null = null;
      try {
        if (sqlErrno(firstErr) === ER_LOCK_WAIT_TIMEOUT) throw firstErr;
        fresh = await openSession(this.config.connection);
        await fresh.run(bounded.sql, bounded.params);
        await this.tables.drop(fresh);
      } catch (cleanupErr) {
        // Never turned into success: the original error still fails the run; say what is left behind.
        this.log.error('cleanup_failed', {
          left: this.tables
            .left()
            .map((t) => qualify(this.config.database, t))
            .join(', '),
          error: describeSqlError(cleanupErr),
        });
      } finally {
        await fresh?.close();
      }
    }
  }

  /** Names the tables cleanup could not drop (the server was down, a lock was in the way) in the run's error. */
  private leftBehind(failure: unknown): unknown {
    const left = this.tables.left();
    // Not when another run may own them now (the run lock was taken over), nor after an uncertain cut-over.
    if (left.length === 0 || this.cleanupSkipped || !(failure instanceof OscError)) return failure;
    if (failure.code === 'CUT_OVER_UNCERTAIN') return failure;
    const names = left.map((t) => qualify(this.config.database, t)).join(', ');
    // With its checkpoint left the run can go on from where it stopped (the server restarted, a lock went away).
    const next = left.includes(this.names.checkpoint)
      ? 'rerun with --resume to go on from them, or with --initially-drop-ghost-table to start over'
      : 'drop them, or rerun with --initially-drop-ghost-table';
    return withNote(failure, `osc's tables left behind: ${names} (${next})`);
  }

  private classify(err: unknown): unknown {
    // The reason the run was stopped (a lost run lock, panic, ...) explains whatever failed next.
    if (this.signal.aborted && this.abortError !== null) return this.abortError;
    if (err instanceof OscError) return err;
    if (this.signal.aborted)
      return new MigrationError('ABORTED', 'aborted; the original table is untouched', { cause: err });
    return new MigrationError('INTERNAL', `migration failed: ${describeSqlError(err)}`, { cause: err });
  }
}

/** The checksum's figures over its runs (after a long postponement it runs again): counts add up, the lock is the longest. */
function sumChecksums(before: ChecksumProgress | null, now: ChecksumProgress): ChecksumProgress {
  if (before === null) return now;
  return {
    chunksDone: before.chunksDone + now.chunksDone,
    chunksTotal: before.chunksTotal + now.chunksTotal,
    rowsChecked: before.rowsChecked + now.rowsChecked,
    mismatches: before.mismatches + now.mismatches,
    repairs: before.repairs + now.repairs,
    snapshots: before.snapshots + now.snapshots,
    seconds: before.seconds + now.seconds,
    lockMs: Math.max(before.lockMs ?? 0, now.lockMs ?? 0),
  };
}
