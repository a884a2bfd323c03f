// The replicas whose lag throttles the copy: the listed ones or the primary's own (discovered from it), one
// connection each, kept across reads and dropped when a read shows it broken. Lag is read from osc's heartbeat in
// the changelog as it replicated there: one clock, the primary's (heartbeatLagMillis).
import type { ConnectionConfig, HostPort } from '../../core/config.js';
import type { Logger } from '../../core/log.js';
import { discoverySql, readChangelog } from '../../core/sql/server.js';
import { heartbeatLagMillis, type ReplicaLagReading } from '../../core/throttle/decide.js';
import { driverCode, ER_NO_SUCH_TABLE, errorFields, sqlErrno } from '../../io/db/errors.js';
import { openSession, textOf, type Db, type Session } from '../../io/db/pool.js';
import type { TablePlan } from '../../plan.js';
import { HEARTBEAT_HINT } from '../replay/changelog.js';

export interface ReplicaPoolDeps {
  /** The primary: replica discovery. */
  readonly primary: Db;
  /** Credentials for the replica connections (host and port replaced per replica). */
  readonly connection: ConnectionConfig;
  readonly plan: Pick<TablePlan, 'server' | 'database' | 'changelog'>;
  readonly logger: Logger;
  readonly intervals: {
    /** Re-discover replicas from the primary (only when none are listed). */
    readonly discoveryMs: number;
    /** A replica read (connect included) slower than this counts as unreadable for that round. */
    readonly replicaReadTimeoutMs: number;
  };
  /** Clock for lag (ms since the epoch); the heartbeat is written with Date.now(). */
  readonly now: () => number;
  /** True once the owner stops: a connect finishing after that closes its session at once. */
  readonly stopped: () => boolean;
}

interface ReplicaConn {
  readonly target: HostPort;
  session: Session | null;
  connecting: Promise<Session> | null;
  /** Unreadable since the last success. */
  failing: boolean;
  /** The warning for this outage was logged. */
  warned: boolean;
  /** It has delivered a heartbeat at least once. */
  seen: boolean;
  /** When it began to wait for its first heartbeat (ms, `now()`), or null. */
  awaitingSince: number | null;
}

/**
 * The changelog (and its first heartbeat) reaches a replica through replication, a moment after osc creates it on
 * the primary, or later when the replica lags: until then the replica counts as lagging (it is behind) but is only
 * worth a warning when this lasts longer than this.
 */
const FIRST_HEARTBEAT_GRACE_MS = 10_000;

class NoHeartbeatYet extends Error {}

const replicaKey = (hp: HostPort): string => `${hp.host}:${hp.port}`;

class Timeout extends Error {}

/** Races `p` against a timer; `onTimeout` runs when the timer wins (to destroy what is stuck). */
async function within<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Timeout(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class ReplicaPool {
  private readonly replicas = new Map<string, ReplicaConn>();
  private discovered: readonly HostPort[] = [];
  private lastDiscoveryAt = Number.NEGATIVE_INFINITY;
  private discoveryFailing = false;
  private readonly noReportHost = new Set<string>();

  constructor(private readonly deps: ReplicaPoolDeps) {}

  /**
   * Lag of each replica: the `listed` ones, or when none are, the primary's replicas (discovered again every
   * discoveryMs). Replicas no longer watched are let go. Never rejects: a replica that cannot be read reads null.
   */
  async read(listed: readonly HostPort[]): Promise<ReplicaLagReading[]> {
    let targets: readonly HostPort[];
    if (listed.length > 0) {
      targets = listed;
    } else {
      if (this.deps.now() - this.lastDiscoveryAt >= this.deps.intervals.discoveryMs) await this.discover();
      targets = this.discovered;
    }
    const keys = new Set(targets.map(replicaKey));
    for (const [key, r] of this.replicas) {
      if (!keys.has(key)) {
        this.replicas.delete(key);
        void this.closeReplica(r);
      }
    }
    return Promise.all(targets.map((t) => this.readReplica(t)));
  }

  /** The primary's replicas; on failure the previous list stays (logged once per outage). */
  private async discover(): Promise<void> {
    this.lastDiscoveryAt = this.deps.now();
    let rows: Awaited<ReturnType<Db['rows']>>;
    try {
      rows = await this.deps.primary.rows(discoverySql(this.deps.plan.server));
    } catch (err) {
      if (!this.discoveryFailing) {
        const hint =
          this.deps.plan.server.flavor === 'mariadb'
            ? 'SHOW SLAVE HOSTS needs the REPLICATION MASTER ADMIN privilege'
            : 'SHOW REPLICAS needs the REPLICATION SLAVE privilege';
        this.deps.logger.warn('replica_discovery_failed', { ...errorFields(err), hint });
      }
      this.discoveryFailing = true;
      return;
    }
    this.discoveryFailing = false;
    const found: HostPort[] = [];
    for (const r of rows) {
      const host = textOf(r['Host']);
      const port = Number(r['Port']);
      const id = textOf(r['Server_id'] ?? r['Server_Id']) || '?';
      if (host === '' || !Number.isInteger(port) || port <= 0) {
        // Without report_host a replica cannot be reached by name: it is not watched, and we say so once.
        if (!this.noReportHost.has(id)) this.deps.logger.warn('replica_without_report_host', { server_id: id });
        this.noReportHost.add(id);
        continue;
      }
      found.push({ host, port });
    }
    found.sort((a, b) => replicaKey(a).localeCompare(replicaKey(b)));
    const before = this.discovered.map(replicaKey).join(',');
    const after = found.map(replicaKey).join(',');
    if (before !== after) this.deps.logger.info('throttle_replicas', { replicas: after === '' ? 'none' : after });
    this.discovered = found;
  }

  private async readReplica(target: HostPort): Promise<ReplicaLagReading> {
    const key = replicaKey(target);
    let r = this.replicas.get(key);
    if (r === undefined) {
      r = { target, session: null, connecting: null, failing: false, warned: false, seen: false, awaitingSince: null };
      this.replicas.set(key, r);
    }
    const conn = r;
    const heartbeat = readChangelog(this.deps.plan.database, this.deps.plan.changelog, HEARTBEAT_HINT);
    try {
      const session = await within(this.sessionFor(conn), this.deps.intervals.replicaReadTimeoutMs, () => undefined);
      const rows = await within(
        session.rows(heartbeat.sql, heartbeat.params),
        this.deps.intervals.replicaReadTimeoutMs,
        () => {
          session.destroy();
          if (conn.session === session) conn.session = null;
        },
      );
      const lagMillis = heartbeatLagMillis(rows[0]?.['value'], this.deps.now());
      if (lagMillis === null) throw new NoHeartbeatYet('the replica holds no heartbeat yet');
      if (conn.failing) this.deps.logger.info('replica_readable', { replica: key });
      conn.failing = false;
      conn.warned = false;
      conn.seen = true;
      conn.awaitingSince = null;
      return { replica: key, lagMillis };
    } catch (err) {
      const awaiting = !conn.seen && (err instanceof NoHeartbeatYet || sqlErrno(err) === ER_NO_SUCH_TABLE);
      if (awaiting && conn.awaitingSince === null) {
        conn.awaitingSince = this.deps.now();
        this.deps.logger.info('replica_awaiting_heartbeat', { replica: key, ...errorFields(err) });
      }
      const grace = awaiting && this.deps.now() - (conn.awaitingSince ?? 0) < FIRST_HEARTBEAT_GRACE_MS;
      if (!conn.warned && !grace) {
        this.deps.logger.warn('replica_unreadable', { replica: key, ...errorFields(err) });
        conn.warned = true;
      }
      conn.failing = true;
      // A server error (ER_...) leaves the connection usable; anything else drops it, to reconnect next round.
      if (!(driverCode(err)?.startsWith('ER_') ?? false) && conn.session !== null) {
        conn.session.destroy();
        conn.session = null;
      }
      return { replica: key, lagMillis: null };
    }
  }

  private sessionFor(r: ReplicaConn): Promise<Session> {
    if (r.session !== null) return Promise.resolve(r.session);
    if (r.connecting === null) {
      const connecting = openSession({ ...this.deps.connection, host: r.target.host, port: r.target.port })
        .then(async (s) => {
          if (this.deps.stopped() || this.replicas.get(replicaKey(r.target)) !== r) {
            await s.close();
            throw new Error('the throttler stopped watching this replica');
          }
          r.session = s;
          return s;
        })
        .finally(() => {
          r.connecting = null;
        });
      // A connect that outlives its round's timeout settles with nobody awaiting it.
      connecting.catch(() => undefined);
      r.connecting = connecting;
    }
    return r.connecting;
  }

  private async closeReplica(r: ReplicaConn): Promise<void> {
    const s = r.session;
    r.session = null;
    if (s !== null) await s.close().catch(() => undefined);
    // A connect still under way closes its session itself when it sees the replica is no longer watched.
  }

  /** Closes every replica connection. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.replicas.values()].map((r) => this.closeReplica(r)));
    this.replicas.clear();
  }
}
