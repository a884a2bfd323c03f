// Replay as one running unit: the binlog streamer from the start position, the applier (with its conflict
// resolver) and the changelog heartbeat. Started by setup, stopped by cleanup; the copy and the cut-over wait on it.
import { formatPosition, type BinlogPosition, type RowEventKind } from '../../core/binlog/events.js';
import type { MigrationConfig } from '../../core/config.js';
import { MigrationError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { refilledColumns } from '../../core/binlog/refill.js';
import { createDmlBuilder } from '../../core/sql/dml.js';
import { readColumnDefaults } from '../../io/db/inspector.js';
import { createStreamer, type BinlogStreamer } from '../../io/binlog/streamer.js';
import type { SessionPool } from '../../io/db/pool.js';
import { sleep } from '../../io/sleep.js';
import type { TablePlan } from '../../plan.js';
import { Applier, MarkerTimeoutError, type ApplierStats } from './applier.js';
import { startHeartbeat, writeMarker, type Heartbeat } from './changelog.js';
import { ConflictResolver } from './conflicts.js';
import type { KeyValues } from '../../core/types.js';
import type { MovedAsideStore } from '../resume/store.js';

/** How long one wait for a catch-up's marker lasts before it is logged and waited for again. */
const CATCH_UP_SLICE_MS = 30_000;

/** Catch-up rounds before rows that keep colliding count as real duplicate data. */
const SETTLE_ROUNDS = 5;

export interface ReplayDeps {
  readonly config: Pick<
    MigrationConfig,
    'connection' | 'replicaServerId' | 'defaultRetries' | 'heartbeatIntervalMillis'
  >;
  readonly plan: TablePlan;
  readonly pool: SessionPool;
  /** Read before the copy began, or a resumed run's checkpointed position. */
  readonly start: BinlogPosition;
  /** Where rows moved aside are recorded until re-copied, and those a crashed run left (see conflicts.ts). */
  readonly movedAside?: { readonly store: MovedAsideStore; readonly restored: readonly KeyValues[] };
  /** Events replayed in one transaction at most (read per batch: an operator can change it). */
  readonly batchSize: () => number;
  readonly onReceived: (kind: RowEventKind) => void;
  /** Replay failed while it was still wanted. */
  readonly onFailure: (err: Error) => void;
  readonly logger: Logger;
}

export class Replay {
  readonly start: BinlogPosition;
  private readonly streamer: BinlogStreamer;
  private readonly applier: Applier;
  private readonly conflicts: ConflictResolver;
  private heartbeat: Heartbeat | null = null;

  constructor(private readonly deps: ReplayDeps) {
    const { config, plan, start, logger } = deps;
    this.start = start;
    logger.info('binlog_start', { position: formatPosition(start), server_id: config.replicaServerId });
    this.streamer = createStreamer({
      host: config.connection.host,
      port: config.connection.port,
      user: config.connection.user,
      password: config.connection.password,
      ...(config.connection.tls === undefined ? {} : { tls: config.connection.tls }),
      serverId: config.replicaServerId,
      database: plan.database,
      tables: [plan.table, plan.changelog],
      exactValues: [plan.table],
      // osc's own DDL never trips this: the ghost and the changelog exist before `start` is read and are dropped
      // after replay stops, and the cut-over's RENAME comes after the applier is held at its marker, then stopped.
      statements: { database: plan.database, table: plan.table, ghost: plan.ghost, changelog: plan.changelog },
      start,
      logger,
      maxReconnects: config.defaultRetries,
    });
    this.conflicts = new ConflictResolver(plan, logger, deps.movedAside?.store ?? null);
    this.conflicts.restore(deps.movedAside?.restored ?? []);
    this.applier = new Applier({
      streamer: this.streamer,
      pool: deps.pool,
      plan,
      dml: createDmlBuilder(plan),
      retries: config.defaultRetries,
      batchSize: deps.batchSize,
      conflicts: this.conflicts,
      onReceived: deps.onReceived,
      onFailure: deps.onFailure,
      logger,
    });
  }

  /** Starts reading the binlog, replaying, and writing heartbeats. */
  async begin(): Promise<void> {
    const { pool, plan, config, logger } = this.deps;
    const refilled = refilledColumns(
      await readColumnDefaults(pool, plan.database, plan.ghost),
      plan.mapping.map((m) => m.target.name),
      plan.server.flavor,
    );
    if (refilled.length > 0)
      logger.info('replay_per_event', {
        reason: 'the server fills these new columns on every write',
        columns: refilled.join(','),
      });
    await this.streamer.start();
    void this.applier.start(refilled.length > 0 ? 'per-event' : 'batched');
    this.heartbeat = startHeartbeat(pool, plan.database, plan.changelog, config.heartbeatIntervalMillis, logger, (at) =>
      this.streamer.heartbeatWritten(at),
    );
  }

  /** What the cut-over drives: waits for its marker, holds and releases replay. */
  get control(): Pick<Applier, 'waitForMarker' | 'release' | 'idle' | 'pause' | 'resume'> {
    return this.applier;
  }

  stats(): ApplierStats {
    return this.applier.stats();
  }

  backlog(): number {
    return this.applier.backlog();
  }

  /** Rows moved aside during replay and not yet re-copied. */
  movedAsideRows(): number {
    return this.conflicts.size;
  }

  writeMarker(token: string): Promise<void> {
    return writeMarker(this.deps.pool, this.deps.plan, token);
  }

  /** Resolves when every binlog event written before this call is applied. */
  async catchUp(signal: AbortSignal, timeoutMs = 60_000): Promise<void> {
    const token = `catch-up ${Date.now()} ${Math.random().toString(36).slice(2)}`;
    const replayed = this.applier.waitForMarker(token, false, timeoutMs, signal);
    replayed.catch(() => undefined);
    await this.writeMarker(token);
    await replayed;
  }

  /**
   * Before a lock on the original (the cut-over's, the checksum's consistent point): replay has read and applied
   * everything the binlog held a moment ago. The applier being idle is not enough: that says nothing is queued, not
   * that the reader has read what the server wrote, and after the copy the reader can be seconds behind (the copy
   * pauses only beyond its backlog bound, core/chunk/backlog.ts); what it has not read when the lock is taken is
   * read and applied under the lock, with writers waiting (measured on MySQL 9.7, 2M rows under 500 writes/s:
   * 127-220 ms locks without this, 13-15 ms after the checksum's catch-up). A slow catch-up is waited for in slices
   * for as long as replay keeps going; a failure or an abort ends the wait.
   */
  async catchUpBeforeLock(signal: AbortSignal): Promise<void> {
    for (let slice = 1; ; slice++) {
      try {
        await this.catchUp(signal, CATCH_UP_SLICE_MS);
        return;
      } catch (err) {
        if (!(err instanceof MarkerTimeoutError) || signal.aborted) throw err;
        this.deps.logger.info('replay_catching_up', {
          backlog: this.backlog(),
          waited_s: (slice * CATCH_UP_SLICE_MS) / 1000,
        });
      }
    }
  }

  /**
   * Rows moved aside during replay must be back before a swap: re-copy them after replay caught up, a few
   * rounds; one that keeps colliding is real duplicate data.
   */
  async settleConflicts(signal: AbortSignal): Promise<void> {
    for (let round = 1; this.conflicts.size > 0; round++) {
      await this.catchUp(signal);
      const remaining = await this.conflicts.recopy(this.deps.pool);
      if (remaining === 0) return;
      if (round >= SETTLE_ROUNDS) {
        throw new MigrationError(
          'DATA_CONFLICT',
          `${remaining} rows of the table collide on a unique key of the new table even after replay caught up: the data has duplicate values for a UNIQUE key the ALTER adds or changes; the original table is untouched`,
        );
      }
      await sleep(200 * round, signal);
    }
  }

  /** Ends replay: nothing more is applied; then the heartbeat and the reader stop. */
  async stop(): Promise<void> {
    this.applier.stop();
    await this.heartbeat?.stop();
    this.heartbeat = null;
    await this.streamer.stop();
    await this.applier.done.catch(() => undefined);
  }
}
