// Replays binlog row events onto the ghost table, in binlog order, in small transactions; the changelog's rows
// among them (changelog.ts) give the replay lag and release whoever waits for a marker.
import { sleep } from '../../io/sleep.js';
import { buildReplayBatch } from '../../core/binlog/batch.js';
import {
  formatPosition,
  type Row,
  type RowEvent,
  type RowEventKind,
  type BinlogPosition,
} from '../../core/binlog/events.js';
import { statementFailureMessage } from '../../core/binlog/statements.js';
import { eventToStatements } from '../../core/binlog/to-dml.js';
import type { DmlBuilder } from '../../core/sql/dml.js';
import {
  COMMIT,
  ROLLBACK,
  ROLLBACK_TO_BATCH,
  SAVEPOINT_BATCH,
  SHOW_WARNINGS,
  START_TRANSACTION,
} from '../../core/sql/session.js';
import { MigrationError, OscError } from '../../core/errors.js';
import {
  classifyReplayWarnings,
  classifyWarnings,
  describeWarningProblem,
  ER_DUP_ENTRY,
} from '../../core/sql/warnings.js';
import type { SessionPool } from '../../io/db/pool.js';
import { describeSqlError, sqlErrno } from '../../io/db/errors.js';
import { withRetries } from '../../io/db/retry.js';
import type { BinlogStreamer } from '../../io/binlog/streamer.js';
import type { Db } from '../../io/db/pool.js';
import type { Statement } from '../../core/types.js';
import { HeartbeatLag, readChangelogEvent } from './changelog.js';
import { duplicateKey, type ConflictResolver } from './conflicts.js';
import type { Logger } from '../../core/log.js';
import type { TablePlan } from '../../plan.js';

export interface ApplierDeps {
  readonly streamer: Pick<BinlogStreamer, 'events' | 'backlog'>;
  readonly pool: SessionPool;
  /** The migrated table's events are replayed; the changelog's are read for heartbeats and markers. */
  readonly plan: Pick<TablePlan, 'table' | 'changelog' | 'key'>;
  /** Built from the same plan (createDmlBuilder(plan)). */
  readonly dml: DmlBuilder;
  readonly retries: number;
  /** Events replayed in one transaction at most (read per batch: an operator can change it). */
  readonly batchSize: () => number;
  readonly logger: Logger;
  /** Each row event of the migrated table as it arrives (before it is applied). */
  readonly onReceived?: (kind: RowEventKind) => void;
  /** Moves aside ghost rows that are ahead of replay when an event collides with them on a unique key. */
  readonly conflicts: ConflictResolver;
  /** Replay failed (the reader's failure included) while it was still wanted, i.e. before stop(). */
  readonly onFailure?: (err: Error) => void;
}

export type ReplayMode = 'batched' | 'per-event';

/** How long replay waits for the next event before applying what it holds, and at most in all (moreSoon). */
const LINGER_MS = 2;
const MAX_LINGER_MS = 20;

/** Rows moved aside for one event (or one image of a batch) at most, before its collision counts as real. */
const MAX_MOVES_PER_EVENT = 8;

export interface ApplierStats {
  readonly applied: Readonly<Record<RowEventKind, number>>;
  readonly position: BinlogPosition | null;
  /**
   * A transaction boundary every event before which is applied (committed) to the ghost: the start of the last
   * applied event's transaction. Restarting there re-applies at most that transaction, harmlessly. Null before any.
   */
  readonly appliedFrom: BinlogPosition | null;
  /** The GTID of the transaction at appliedFrom (core/binlog/gtid.ts); null before any, or when it has none. */
  readonly appliedGtid: string | null;
  readonly heartbeatLagMs: number | null;
  readonly lastHeartbeatAt: number | null;
}

interface MarkerWait {
  readonly token: string;
  readonly hold: boolean;
  resolve(): void;
  reject(err: Error): void;
}

/** A marker not yet replayed when its wait ran out: replay is behind, not failed (a caller may wait longer). */
export class MarkerTimeoutError extends MigrationError {}

export class Applier {
  private readonly applied: Record<RowEventKind, number> = { insert: 0, update: 0, delete: 0 };
  private position: BinlogPosition | null = null;
  private appliedFrom: BinlogPosition | null = null;
  private appliedGtid: string | null = null;
  private readonly heartbeat = new HeartbeatLag();
  /** Events taken from the streamer, and those fully handled (replayed, or read from the changelog). */
  private consumed = 0;
  private completed = 0;
  private pending: RowEvent[] = [];
  /** When the oldest pending event was seen to wait for more (moreSoon). */
  private pendingSince: number | null = null;
  private readonly waits = new Set<MarkerWait>();
  private releaseHold: (() => void) | null = null;
  /** Set by pause(): no batch starts until resume(). */
  private gate: { readonly opened: Promise<void>; readonly open: () => void } | null = null;
  /** The batch being applied, if any: pause() waits for it. */
  private applying: Promise<void> | null = null;
  /** While set, batches are applied through this session: the single-session cut-over's, holding the ghost locked. */
  private through: Db | null = null;
  private loop: Promise<void> | null = null;
  private failure: Error | null = null;
  private stopped = false;
  private mode: ReplayMode = 'per-event';
  /** Statements whose text alone raises warnings, with how many (see checkWarnings). */
  private readonly textWarnings = new Map<string, number>();

  constructor(private readonly deps: ApplierDeps) {}

  /**
   * Starts the replay loop in the background. `done` settles when the stream ends; it rejects on any failure.
   * Batched: each batch collapses to one DELETE and one multi-row INSERT (core/binlog/batch.ts); per-event: each
   * event's own statements (to-dml.ts), for a ghost whose new columns the server fills on every write (refill.ts).
   */
  start(mode: ReplayMode = 'per-event'): Promise<void> {
    this.mode = mode;
    this.loop = this.run().catch((err: unknown) => {
      const failure = err instanceof Error ? err : new MigrationError('REPLAY_FAILED', `replay failed: ${String(err)}`);
      this.failure = failure;
      // After stop() the tables may be swapped: what replay meets then (the cut-over's RENAME) is no failure.
      if (!this.stopped) this.deps.onFailure?.(failure);
      throw failure;
    });
    // The orchestrator awaits `done`; avoid an unhandled rejection before it does.
    this.loop.catch(() => undefined);
    return this.loop;
  }

  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  stats(): ApplierStats {
    return {
      applied: { ...this.applied },
      position: this.position,
      appliedFrom: this.appliedFrom,
      appliedGtid: this.appliedGtid,
      heartbeatLagMs: this.heartbeat.lagMs,
      lastHeartbeatAt: this.heartbeat.lastAt,
    };
  }

  /** Events received and not yet applied. */
  backlog(): number {
    return this.deps.streamer.backlog() + this.pending.length;
  }

  /**
   * Resolves once every event received before this call is applied: replayed events go before copied chunks.
   * Events arriving meanwhile wait for the next call, so a steady write load never starves the copy.
   */
  async idle(signal?: AbortSignal): Promise<void> {
    // An event the streamer has handed out is in neither count until the loop's body runs (a microtask later): let
    // it run first, or such an event would not be waited for.
    await new Promise((resolve) => setImmediate(resolve));
    const target = this.consumed + this.deps.streamer.backlog();
    while (this.completed < target) {
      this.throwIfFailed();
      if (signal?.aborted) return;
      await sleep(2);
    }
    this.throwIfFailed();
  }

  /**
   * Resolves when the changelog marker `token` has been replayed: every event before it is applied.
   * With `hold`, replay then stops until release() — the cut-over needs nothing applied after its marker.
   */
  waitForMarker(token: string, hold: boolean, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wait: MarkerWait = {
        token,
        hold,
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (err) => {
          cleanup();
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new MarkerTimeoutError(
            'REPLAY_FAILED',
            `marker not replayed within ${timeoutMs} ms (replay backlog ${this.backlog()})`,
          ),
        );
      }, timeoutMs);
      const poll = setInterval(() => {
        if (this.failure !== null || signal?.aborted) {
          cleanup();
          reject(this.failure ?? new MigrationError('ABORTED', 'aborted'));
        }
      }, 20);
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.waits.delete(wait);
      };
      this.waits.add(wait);
    });
  }

  /** Ends replay: nothing more is applied, even after a held marker (the cut-over renamed the tables). */
  stop(): void {
    this.stopped = true;
    this.release();
    this.openGate();
  }

  /**
   * For the single-session cut-over: resolves once no batch is being applied, and none starts until resume(). A
   * batch applied by a pool session after the cut-over locked the ghost would wait for that lock, while the cut-over
   * waits for its marker behind the batch.
   */
  async pause(): Promise<void> {
    if (this.gate === null) {
      let open = (): void => undefined;
      const opened = new Promise<void>((r) => (open = r));
      this.gate = { opened, open };
    }
    while (this.applying !== null) await this.applying.catch(() => undefined);
  }

  /**
   * Ends pause(). With `session` (the cut-over's, holding LOCK TABLES on the ghost, autocommit=0), batches are then
   * applied through it, each committed with COMMIT (never START TRANSACTION, which would release the locks) and
   * never retried there: a failure fails the marker waits (so the attempt fails at once), and the batch is applied
   * again on the pool once the session is withdrawn by resume(null).
   */
  resume(session: Db | null): void {
    this.through = session;
    this.openGate();
  }

  private openGate(): void {
    const g = this.gate;
    this.gate = null;
    g?.open();
  }

  /** Lets replay go on after a held marker. */
  release(): void {
    const r = this.releaseHold;
    this.releaseHold = null;
    r?.();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  private async run(): Promise<void> {
    const { streamer } = this.deps;
    for await (const ev of streamer.events()) {
      if (this.stopped) return;
      this.consumed++;
      if (ev.kind === 'statement') {
        // Everything before the statement is applied, nothing after it: the run fails here.
        await this.flush();
        throw new MigrationError('BINLOG_STATEMENT', statementFailureMessage(ev.verdict, formatPosition(ev.next)));
      }
      if (ev.table === this.deps.plan.changelog) {
        await this.onChangelog(ev);
        this.completed++;
      } else if (ev.table === this.deps.plan.table) {
        this.deps.onReceived?.(ev.kind);
        this.pending.push(ev);
        if (this.pending.length >= this.deps.batchSize()) await this.flush();
        else if (streamer.backlog() === 0 && !(await this.moreSoon())) await this.flush();
      } else {
        this.completed++;
      }
    }
    if (!this.stopped) await this.flush();
  }

  /**
   * Whether more events arrive within a short linger, the pending ones waiting at most MAX_LINGER_MS in all. Under a
   * steady write load events come one at a time, and flushing each as it came cost a commit per event: on a server
   * that syncs its binary log on commit (MySQL's default) replay's commits then queued with the copy's.
   */
  private async moreSoon(): Promise<boolean> {
    const first = this.pending[0];
    if (first === undefined) return false;
    this.pendingSince ??= Date.now();
    const left = MAX_LINGER_MS - (Date.now() - this.pendingSince);
    if (left <= 0) return false;
    await sleep(Math.min(LINGER_MS, left));
    return this.deps.streamer.backlog() > 0;
  }

  private async onChangelog(ev: RowEvent): Promise<void> {
    const entry = readChangelogEvent(ev);
    if (entry === null) return;
    if (entry.kind === 'heartbeat') {
      if (entry.sentAt !== null) this.heartbeat.observe(entry.sentAt);
      // Heartbeats are frequent: apply what is pending at least this often even under a steady stream.
      if (this.pending.length > 0) await this.flush();
      this.appliedTo(ev);
      return;
    }
    await this.flush();
    this.appliedTo(ev);
    for (const w of [...this.waits]) {
      if (this.stopped) return;
      if (w.token !== entry.token) continue;
      if (w.hold) {
        const released = new Promise<void>((r) => (this.releaseHold = r));
        w.resolve();
        await released;
      } else {
        w.resolve();
      }
    }
  }

  private async flush(): Promise<void> {
    while (this.gate !== null) await this.gate.opened;
    if (this.pending.length === 0 || this.stopped) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingSince = null;
    const applying = this.applyBatch(batch);
    this.applying = applying;
    try {
      await applying;
    } finally {
      this.applying = null;
    }
    for (const ev of batch) this.applied[ev.kind]++;
    this.completed += batch.length;
    const last = batch[batch.length - 1];
    if (last) this.appliedTo(last);
  }

  private async applyBatch(batch: readonly RowEvent[]): Promise<void> {
    const apply = this.mode === 'batched' ? this.batchApplier(batch) : this.eventApplier(batch);
    if (await this.appliedThrough(apply)) return;
    const retries = this.deps.retries;
    try {
      await withRetries(
        retries,
        () =>
          this.deps.pool.withSession(async (s) => {
            await s.run(START_TRANSACTION);
            try {
              await apply(s);
              await s.run(COMMIT);
            } catch (err) {
              await s.run(ROLLBACK).catch(() => undefined);
              throw err;
            }
          }),
        (attempt, err) => this.deps.logger.warn('replay_retry', { attempt, retries, errno: sqlErrno(err) }),
      );
    } catch (err) {
      if (sqlErrno(err) === ER_DUP_ENTRY) throw this.conflictError(err);
      throw err instanceof OscError
        ? err
        : new MigrationError(
            'REPLAY_FAILED',
            `replaying binlog events onto the ghost table failed: ${describeSqlError(err)}`,
            { cause: err },
          );
    }
    // Not while the cut-over holds the ghost: the re-copy would wait for its lock (the cut-over fails on moved rows).
    if (this.deps.conflicts.size > 0 && this.through === null)
      await this.deps.conflicts.recopy(this.deps.pool, 'fresh');
  }

  /** True when the batch was applied through the cut-over's session (see resume); false: apply it on the pool. */
  private async appliedThrough(apply: (s: Db) => Promise<void>): Promise<boolean> {
    const via = this.through;
    if (via === null) return false;
    try {
      await apply(via);
      await via.run(COMMIT);
      return true;
    } catch (err) {
      await via.run(ROLLBACK).catch(() => undefined);
      const failure = new MigrationError(
        'CUT_OVER_FAILED',
        `replay under the cut-over lock failed (${err instanceof OscError ? err.message : describeSqlError(err)}); the changes are applied again once the lock is gone`,
        { cause: err },
      );
      for (const w of [...this.waits]) w.reject(failure);
      while (this.through === via && !this.stopped) await sleep(2);
      // Stopped: nothing may be applied now, and the position must not move past this batch.
      if (this.stopped) throw failure;
      return false;
    }
  }

  /** `ev` and everything before it is applied (committed). */
  private appliedTo(ev: RowEvent): void {
    this.position = ev.next;
    this.appliedFrom = ev.resume;
    this.appliedGtid = ev.gtid ?? null;
  }

  private eventApplier(batch: readonly RowEvent[]): (s: Db) => Promise<void> {
    const work = batch.map((ev) => ({
      image: ev.kind === 'insert' ? ev.row : ev.kind === 'update' ? ev.after : null,
      statements: eventToStatements(ev, this.deps.dml),
    }));
    return async (s) => {
      for (const { image, statements } of work) await this.applyResolving(s, image, statements);
    };
  }

  /**
   * The batch as one DELETE of every touched key and one multi-row INSERT of the last images. A duplicate-key error
   * on the INSERT undoes only it (a savepoint after the DELETE); the images are then inserted one by one, each
   * resolving its own collision as per-event replay does.
   */
  private batchApplier(events: readonly RowEvent[]): (s: Db) => Promise<void> {
    const { dml } = this.deps;
    const batch = buildReplayBatch(events, dml);
    return async (s) => {
      for (const st of batch.deletes) await this.exec(s, st);
      if (batch.inserts.length === 0) return;
      await s.run(SAVEPOINT_BATCH);
      try {
        for (const st of batch.inserts) await this.exec(s, st);
      } catch (err) {
        if (sqlErrno(err) !== ER_DUP_ENTRY) throw err;
        await s.run(ROLLBACK_TO_BATCH);
        for (const row of batch.alive) await this.applyResolving(s, row, [dml.insert(row)]);
      }
    };
  }

  private async exec(s: Db, st: Statement): Promise<void> {
    const res = await s.run(st.sql, st.params);
    if (res.warningStatus > 0) await this.checkWarnings(s, st.sql, res.warningStatus);
  }

  /**
   * One event's statements (or one image's INSERT), writing `image`. A duplicate on another unique key may be a
   * copied row that is ahead of replay (see conflicts.ts): it is moved aside and the statements run again. A failed
   * statement undoes only itself, so the transaction goes on.
   */
  private async applyResolving(s: Db, image: Row | null, statements: readonly Statement[]): Promise<void> {
    for (let moves = 0; ; moves++) {
      try {
        for (const st of statements) await this.exec(s, st);
        return;
      } catch (err) {
        if (sqlErrno(err) !== ER_DUP_ENTRY || moves >= MAX_MOVES_PER_EVENT) throw err;
        const keyName = duplicateKey(err, this.deps.plan.key);
        if (keyName === null || image === null || !(await this.deps.conflicts.moveAside(s, image, keyName))) throw err;
      }
    }
  }

  /**
   * The copy's rule, applied to replay: strict mode still lets notes and some warnings through (a DECIMAL
   * rounded to the new scale is note 1265), and each would store something other than the original holds.
   * Read only when the server reports warnings; a statement whose text alone raises some (MySQL's deprecated
   * charset names) is read once, then only when it raises more.
   */
  private async checkWarnings(s: Db, sql: string, count: number): Promise<void> {
    if (this.textWarnings.get(sql) === count) return;
    const rows = await s.rows<{ Level: string; Code: number; Message: string }>(SHOW_WARNINGS);
    const verdict = classifyReplayWarnings(rows, this.deps.dml.harmlessWarnings);
    if (rows.length < count) {
      throw new MigrationError(
        'REPLAY_FAILED',
        `replaying a row change raised ${count} warnings, more than the server lists (${rows.length}); the original table is untouched`,
      );
    }
    if (verdict.problems.length > 0) {
      const what = describeWarningProblem({
        duplicatesOnChunkKey: 0,
        otherDuplicateKeys: [],
        problems: verdict.problems,
      });
      throw new MigrationError(
        'REPLAY_FAILED',
        `replaying a row change would change data: ${what}; nothing was lost, the original table is untouched`,
      );
    }
    if (verdict.textOnly) this.textWarnings.set(sql, count);
  }

  private conflictError(err: unknown): MigrationError {
    const message = err instanceof Error ? err.message : '';
    const verdict = classifyWarnings([{ Level: 'Error', Code: ER_DUP_ENTRY, Message: message }], {
      name: this.deps.plan.key.name,
      ghostName: this.deps.plan.key.ghostName,
    });
    const keyName = verdict.otherDuplicateKeys[0] ?? this.deps.plan.key.ghostName;
    return new MigrationError(
      'DATA_CONFLICT',
      `a row change replayed from the binlog collides on unique key '${keyName}' of the new table: the application wrote values that the ALTER's unique key rejects; the original table is untouched`,
      { cause: err },
    );
  }
}
