// The changelog table `_<t>_ghc`: osc's own rows, read back from the binlog in order with the table's row events.
// A heartbeat (the current time, written every interval) tells how far replay lags behind the primary (and, read
// on a replica, how far the replica lags); a marker (a token) tells that everything written before it is replayed.
import type { Row, RowEvent } from '../../core/binlog/events.js';
import type { Logger } from '../../core/log.js';
import { writeChangelog } from '../../core/sql/ddl.js';
import { errorFields } from '../../io/db/errors.js';
import type { Db } from '../../io/db/pool.js';
import type { TablePlan } from '../../plan.js';

export const HEARTBEAT_HINT = 'heartbeat';
export const MARKER_HINT = 'marker';

/** A changelog row as replay reads it; sentAt is null when the value is not a time. */
export type ChangelogEntry =
  { readonly kind: 'heartbeat'; readonly sentAt: number | null } | { readonly kind: 'marker'; readonly token: string };

/** What a changelog row event says; null for anything else (a delete, a hint osc does not read). */
export function readChangelogEvent(ev: RowEvent): ChangelogEntry | null {
  const row: Row | null = ev.kind === 'insert' ? ev.row : ev.kind === 'update' ? ev.after : null;
  if (!row) return null;
  const hint = String(row['hint']);
  const value = String(row['value']);
  if (hint === HEARTBEAT_HINT) {
    const sent = Number(value);
    return { kind: 'heartbeat', sentAt: Number.isFinite(sent) ? sent : null };
  }
  return hint === MARKER_HINT ? { kind: 'marker', token: value } : null;
}

/** Replay lag from the heartbeats replay has read: when the last one arrived and how old it was then. */
export class HeartbeatLag {
  private lag: number | null = null;
  private last: number | null = null;

  observe(sentAt: number, now = Date.now()): void {
    this.last = now;
    this.lag = Math.max(0, now - sentAt);
  }

  get lagMs(): number | null {
    return this.lag;
  }

  get lastAt(): number | null {
    return this.last;
  }
}

/** Writes marker `token`; the applier resolves waitForMarker(token) once it has replayed everything before it. */
export async function writeMarker(
  db: Db,
  plan: Pick<TablePlan, 'database' | 'changelog'>,
  token: string,
): Promise<void> {
  const st = writeChangelog(plan.database, plan.changelog, MARKER_HINT, token);
  await db.run(st.sql, st.params);
}

export interface Heartbeat {
  stop(): Promise<void>;
}

/** `onWritten(startedAt)` after each write that committed (the binlog reader's watchdog counts on it). */
export function startHeartbeat(
  db: Db,
  database: string,
  changelog: string,
  intervalMs: number,
  logger: Logger,
  onWritten?: (startedAt: number) => void,
): Heartbeat {
  let stopped = false;
  let failing = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  const beat = async (): Promise<void> => {
    const startedAt = Date.now();
    const st = writeChangelog(database, changelog, HEARTBEAT_HINT, String(startedAt));
    try {
      await db.run(st.sql, st.params);
      onWritten?.(startedAt);
      if (failing) logger.info('heartbeat_restored');
      failing = false;
    } catch (err) {
      // Logged once per outage: a missing heartbeat shows as growing lag, it does not stop the migration.
      if (!failing) logger.warn('heartbeat_failed', { errno: errorFields(err).errno });
      failing = true;
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = beat().finally(schedule);
    }, intervalMs);
  };
  inFlight = beat().finally(schedule);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight.catch(() => undefined);
    },
  };
}
