// Writes the current time into the changelog every interval. The applier reads it back from the binlog:
// the difference is how far replay lags behind the primary (and, on replicas, how far they lag).
import { writeChangelog } from '../../core/sql/ddl.js';
import type { Db } from '../../io/db/pool.js';
import type { Logger } from '../../core/log.js';
import { HEARTBEAT_HINT } from './applier.js';

export interface Heartbeat {
  stop(): Promise<void>;
}

/** `onWritten(startedAt)` after each write that committed (the binlog reader's watchdog counts on it). */
export function startHeartbeat(db: Db, database: string, changelog: string, intervalMs: number, logger: Logger, onWritten?: (startedAt: number) => void): Heartbeat {
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
      if (!failing) logger.warn('heartbeat_failed', { errno: (err as { errno?: number }).errno ?? null });
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
