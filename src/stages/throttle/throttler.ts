// The throttler's decision loop: background collectors read replica lag (replicas.ts), server load, flag files
// and the throttle query, each on its own timer (never overlapping with itself); check() turns their latest
// readings into a decision with no I/O, so the copy loop can ask before every chunk. Critical load calls
// onCritical; what to do then is the caller's.
import { existsSync } from 'node:fs';
import type { ConnectionConfig, MigrationConfig } from '../../core/config.js';
import type { Logger } from '../../core/log.js';
import { globalStatus } from '../../core/sql/server.js';
import {
  criticalReason,
  decideCritical,
  decideThrottle,
  formatSeconds,
  statusMap,
} from '../../core/throttle/decide.js';
import type {
  ReplicaLagReading,
  ThrottleDecision,
  ThrottleQueryReading,
  ThrottleSource,
} from '../../core/throttle/decide.js';
import type { Tunables } from '../../core/tunables.js';
import { errorFields } from '../../io/db/errors.js';
import { textOf, type Db } from '../../io/db/pool.js';
import { sleep } from '../../io/sleep.js';
import type { TablePlan } from '../../plan.js';
import { ReplicaPool } from './replicas.js';

export interface ThrottlerIntervals {
  /** Flag files: a stat each, cheap. */
  readonly flagsMs: number;
  /** Replica heartbeats; the heartbeat itself is written every 100 ms by default. */
  readonly lagMs: number;
  /** SHOW GLOBAL STATUS for max-load and critical-load. */
  readonly loadMs: number;
  readonly throttleQueryMs: number;
  /** Re-discover replicas from the primary (only when --throttle-control-replicas is empty). */
  readonly discoveryMs: number;
  /** A replica read (connect included) slower than this counts as unreadable for that round. */
  readonly replicaReadTimeoutMs: number;
}

export const DEFAULT_THROTTLER_INTERVALS: ThrottlerIntervals = Object.freeze({
  flagsMs: 100,
  lagMs: 250,
  loadMs: 250,
  throttleQueryMs: 500,
  discoveryMs: 10_000,
  replicaReadTimeoutMs: 2_000,
});

export interface ThrottlerDeps {
  /** The primary (a pool): SHOW GLOBAL STATUS, the throttle query, replica discovery. Up to 3 statements at once. */
  readonly primary: Db;
  /** Credentials for the replica connections (host and port replaced per replica). */
  readonly connection: ConnectionConfig;
  /** The server (which statement finds its replicas), and the changelog table the heartbeat is written to. */
  readonly plan: Pick<TablePlan, 'server' | 'database' | 'changelog'>;
  readonly tunables: Tunables;
  readonly config: Pick<
    MigrationConfig,
    'throttleFlagFile' | 'throttleAdditionalFlagFile' | 'criticalLoadIntervalMillis'
  >;
  readonly logger: Logger;
  /** Critical load met (after the re-check when an interval is set). Called at most once. */
  readonly onCritical: (reason: string) => void;
  readonly intervals?: Partial<ThrottlerIntervals>;
  /** Clock for lag (ms since the epoch); the heartbeat is written with Date.now(). */
  readonly now?: () => number;
}

export interface ThrottleState {
  readonly throttled: boolean;
  readonly reason: string | null;
}

export interface ReplicaLag {
  readonly replica: string;
  readonly seconds: number | null;
}

export class Throttler {
  private readonly deps: ThrottlerDeps;
  private readonly iv: ThrottlerIntervals;
  private readonly now: () => number;

  private started = false;
  /** Every collector has read once: from now on a collector's reading may log a throttle change. */
  private ready = false;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();

  // Latest readings.
  private flags: readonly string[] = [];
  private lags: readonly ReplicaLagReading[] = [];
  private status: ReadonlyMap<string, number> | null = null;
  /** Lower-case variable names the last status read asked for (a max-load just set waits for its first read). */
  private statusAsked: ReadonlySet<string> = new Set();
  private query: { readonly text: string; readonly reading: ThrottleQueryReading } | null = null;

  private readonly replicas: ReplicaPool;

  // Logged-once state.
  private statusFailing = false;
  private readonly unknownVariables = new Set<string>();
  private queryFailingFor: string | null = null;

  // Critical load.
  private criticalFired = false;
  private recheckPending = false;

  // Throttle transitions.
  private lastSource: ThrottleSource | null = null;
  private throttledSince = 0;

  constructor(deps: ThrottlerDeps) {
    this.deps = deps;
    this.iv = { ...DEFAULT_THROTTLER_INTERVALS, ...deps.intervals };
    this.now = deps.now ?? Date.now;
    this.replicas = new ReplicaPool({
      primary: deps.primary,
      connection: deps.connection,
      plan: deps.plan,
      logger: deps.logger,
      intervals: this.iv,
      now: this.now,
      stopped: () => this.stopped,
    });
  }

  /**
   * Starts the collectors. Resolves once each has taken its first reading, so check() reflects the servers from
   * then on; it never rejects (a collector's failure is a reading: fail closed where it matters).
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('the throttler was already started');
    this.started = true;
    await Promise.all([
      this.collector(this.iv.flagsMs, () => this.collectFlags()),
      this.collector(this.iv.lagMs, async () => {
        this.lags = await this.replicas.read(this.deps.tunables.current().throttleControlReplicas);
      }),
      this.collector(this.iv.loadMs, () => this.collectLoad()),
      this.collector(this.iv.throttleQueryMs, () => this.collectThrottleQuery()),
    ]);
    this.ready = true;
    this.check();
  }

  /** Stops every collector, waits for running reads, closes the replica connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.replicas.close();
  }

  /** Cheap, no I/O: the latest readings through decideThrottle. Logs a throttle change when it happens. */
  check(): ThrottleState {
    const d = this.decide();
    this.track(d);
    return { throttled: d.throttled, reason: d.reason };
  }

  /** Lag of each control replica at its latest read; seconds is null when it could not be read. */
  replicaLags(): ReplicaLag[] {
    return this.lags.map((l) => ({ replica: l.replica, seconds: l.lagMillis === null ? null : l.lagMillis / 1000 }));
  }

  /** Returns when check() says not throttled, or when `signal` aborts (the caller then looks at the signal). */
  async waitWhileThrottled(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && this.check().throttled) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 50);
        function done() {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /**
   * As waitWhileThrottled, but replica lag does not count: for work that writes nothing to the binlog (the
   * checksum's reads). Not logged as a throttle change: the copy's state is what the log follows.
   */
  async waitWhileLoaded(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && this.decide(true).throttled) await sleep(50, signal);
  }

  // ------------------------------------------------------------------ decision

  private decide(ignoreLag = false): ThrottleDecision {
    const tv = this.deps.tunables.current();
    // A threshold set by a command since the last status read is judged from the next read, not called unknown.
    const maxLoad =
      this.status === null ? tv.maxLoad : tv.maxLoad.filter((l) => this.statusAsked.has(l.variable.toLowerCase()));
    const query = tv.throttleQuery !== null && this.query?.text === tv.throttleQuery ? this.query.reading : null;
    return decideThrottle(
      {
        commandedByUser: tv.throttledByUser,
        flagFiles: this.flags,
        replicaLags: ignoreLag ? [] : this.lags,
        status: this.status,
        throttleQuery: query,
      },
      { maxLagMillis: tv.maxLagMillis, maxLoad, throttleQueryEnabled: tv.throttleQuery !== null },
    );
  }

  // The lag value moves with every read: a change is logged when the source of the throttle changes.
  private track(d: ThrottleDecision): void {
    if (d.source === this.lastSource) return;
    const now = this.now();
    if (d.throttled) {
      if (this.lastSource === null) this.throttledSince = now;
      this.deps.logger.info('throttled', { reason: d.reason });
    } else {
      this.deps.logger.info('throttle_released', { after: formatSeconds(now - this.throttledSince) });
    }
    this.lastSource = d.source;
  }

  // ------------------------------------------------------------------ collectors

  /** Runs `fn` now and then `intervalMs` after each run ends; resolves after the first run. */
  private collector(intervalMs: number, fn: () => Promise<void>): Promise<void> {
    const tick = (): Promise<void> => {
      const run: Promise<void> = fn()
        .catch((err: unknown) => this.deps.logger.warn('throttle_collector_failed', errorFields(err)))
        .finally(() => {
          this.inFlight.delete(run);
          if (this.stopped) return;
          if (this.ready) this.check();
          const t = setTimeout(() => {
            this.timers.delete(t);
            void tick();
          }, intervalMs);
          this.timers.add(t);
        });
      this.inFlight.add(run);
      return run;
    };
    return tick();
  }

  private collectFlags(): Promise<void> {
    const { throttleFlagFile, throttleAdditionalFlagFile } = this.deps.config;
    const paths = [throttleFlagFile, throttleAdditionalFlagFile].filter((p): p is string => p !== null && p !== '');
    this.flags = paths.filter((p) => existsSync(p));
    return Promise.resolve();
  }

  private async collectLoad(): Promise<void> {
    const tv = this.deps.tunables.current();
    const names = [...new Set([...tv.maxLoad, ...tv.criticalLoad].map((l) => l.variable.toLowerCase()))];
    if (names.length === 0) {
      this.status = new Map();
      this.statusAsked = new Set();
      return;
    }
    const status = await this.readStatus(names);
    this.statusAsked = new Set(names);
    this.status = status;
    if (status === null) return;
    for (const l of [...tv.maxLoad, ...tv.criticalLoad]) {
      const key = l.variable.toLowerCase();
      if (!status.has(key) && !this.unknownVariables.has(key)) {
        this.unknownVariables.add(key);
        this.deps.logger.warn('status_variable_unknown', { variable: l.variable });
      }
    }
    if (this.criticalFired || this.recheckPending) return;
    const hit = decideCritical(status, tv.criticalLoad);
    if (hit === null) return;
    const interval = this.deps.config.criticalLoadIntervalMillis;
    if (interval <= 0) {
      this.fireCritical(criticalReason(hit));
      return;
    }
    // gh-ost: a spike may pass; read once more after the interval and abort only if it still holds.
    this.deps.logger.warn('critical_load_met', { reason: criticalReason(hit), recheck_in_ms: interval });
    this.recheckPending = true;
    const t = setTimeout(() => {
      this.timers.delete(t);
      const run: Promise<void> = this.recheckCritical().finally(() => {
        this.inFlight.delete(run);
        this.recheckPending = false;
      });
      this.inFlight.add(run);
    }, interval);
    this.timers.add(t);
  }

  private async recheckCritical(): Promise<void> {
    const criticalLoad = this.deps.tunables.current().criticalLoad;
    const status = await this.readStatus([...new Set(criticalLoad.map((l) => l.variable.toLowerCase()))]);
    if (this.stopped || status === null) return;
    const hit = decideCritical(status, criticalLoad);
    if (hit === null) this.deps.logger.info('critical_load_cleared');
    else this.fireCritical(criticalReason(hit));
  }

  private fireCritical(reason: string): void {
    if (this.criticalFired || this.stopped) return;
    this.criticalFired = true;
    this.deps.logger.error('critical_load', { reason });
    try {
      this.deps.onCritical(reason);
    } catch (err) {
      this.deps.logger.error('critical_load_handler_failed', errorFields(err));
    }
  }

  /** GLOBAL STATUS for the lower-case names; null (logged once per outage) when it cannot be read. */
  private async readStatus(names: readonly string[]): Promise<Map<string, number> | null> {
    try {
      const st = globalStatus(names);
      const rows = await this.deps.primary.rows(st.sql, st.params);
      if (this.statusFailing) this.deps.logger.info('status_readable');
      this.statusFailing = false;
      return statusMap(rows.map((r) => ({ name: textOf(r['Variable_name']), value: textOf(r['Value']) })));
    } catch (err) {
      if (!this.statusFailing) this.deps.logger.warn('status_unreadable', errorFields(err));
      this.statusFailing = true;
      return null;
    }
  }

  private async collectThrottleQuery(): Promise<void> {
    const text = this.deps.tunables.current().throttleQuery;
    if (text === null) {
      this.query = null;
      this.queryFailingFor = null;
      return;
    }
    let reading: ThrottleQueryReading;
    try {
      // The operator's own query (gh-ost's --throttle-query), run as given: it is configuration, not data.
      const rows = await this.deps.primary.rows(text);
      const first = rows[0] === undefined ? 0 : Object.values(rows[0])[0];
      const value = first === null || first === undefined ? 0 : Number(first);
      if (!Number.isFinite(value)) throw new Error('the throttle query did not return a number');
      reading = { value };
      if (this.queryFailingFor === text) this.deps.logger.info('throttle_query_ok');
      this.queryFailingFor = null;
    } catch (err) {
      reading = { error: true };
      if (this.queryFailingFor !== text) this.deps.logger.warn('throttle_query_failed', errorFields(err));
      this.queryFailingFor = text;
    }
    this.query = { text, reading };
  }
}
