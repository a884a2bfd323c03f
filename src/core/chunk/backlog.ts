// Copy and replay run side by side: the copy does not wait for replay to catch up before each chunk. Correctness
// does not need that wait: the copy only inserts rows the ghost lacks (INSERT IGNORE) and replay writes whole row
// images, so once replay has caught up the last event has won, whichever of the two wrote a row first. What needs a
// bound is the backlog: how much replay has left, i.e. how long the cut-over will wait for it, and what it holds in
// memory. So the copy pauses only while the backlog is over a bound and resumes once it is well under it
// (hysteresis: a backlog hovering at the bound would otherwise start and stop the copy every chunk). The cut-over
// still waits for full catch-up; this only decides when the copy may run.
import { OscError } from '../errors.js';

export interface BacklogBounds {
  /** Pause the copy when replay has more events than this received and not applied... */
  readonly pauseEvents: number;
  /** ...or is this many seconds behind the binlog's head. */
  readonly pauseSeconds: number;
  /** Resume only when both are at or under these. */
  readonly resumeEvents: number;
  readonly resumeSeconds: number;
}

// Events: the binlog reader stops reading at 10,000 queued events (io/streamer.ts highWaterMark), so a bound on
// received events must sit under it to ever be seen; 8,000 events are well under a second of batched replay.
// Seconds: what the cut-over waits for at the end of the copy; a few seconds keeps that wait short while letting a
// write burst pass without stopping the copy. Resume at a quarter of the events and 2 s, so that one pause lets
// replay gain real ground.
export const DEFAULT_BACKLOG_BOUNDS: BacklogBounds = Object.freeze({
  pauseEvents: 8000,
  pauseSeconds: 5,
  resumeEvents: 2000,
  resumeSeconds: 2,
});

export interface BacklogReading {
  /** Row events received from the binlog and not yet applied. */
  readonly events: number;
  /** How far replay is behind (see replaySecondsBehind); null when unknown (then events alone decide). */
  readonly secondsBehind: number | null;
}

export interface BacklogDecision {
  readonly paused: boolean;
  /** Why the copy waits, for the status line: `replay backlog 9123 events` or `replay 6.2s behind`. */
  readonly reason: string | null;
}

export function checkBacklogBounds(b: BacklogBounds): BacklogBounds {
  const ok = (n: number) => Number.isFinite(n) && n >= 0;
  if (!ok(b.pauseEvents) || !ok(b.pauseSeconds) || !ok(b.resumeEvents) || !ok(b.resumeSeconds)) {
    throw new OscError('INTERNAL', 'backlog bounds must be non-negative numbers');
  }
  if (b.resumeEvents > b.pauseEvents || b.resumeSeconds > b.pauseSeconds) {
    throw new OscError('INTERNAL', 'a backlog resume bound must not exceed its pause bound');
  }
  return b;
}

/** Whether the copy waits for replay now; `paused` is the previous decision. */
export function backlogDecision(r: BacklogReading, b: BacklogBounds, paused: boolean): BacklogDecision {
  const seconds = r.secondsBehind ?? 0;
  const over = r.events > b.pauseEvents || seconds > b.pauseSeconds;
  const under = r.events <= b.resumeEvents && seconds <= b.resumeSeconds;
  if (!(over || (paused && !under))) return { paused: false, reason: null };
  // The figure that keeps the copy waiting: events first, as they are what memory holds.
  const reason =
    r.events > (paused ? b.resumeEvents : b.pauseEvents)
      ? `replay backlog ${r.events} events`
      : `replay ${seconds.toFixed(1)}s behind`;
  return { paused: true, reason };
}

/**
 * Seconds replay is behind, from the changelog heartbeats it has replayed: the lag the last one showed (written at
 * lastHeartbeatAt - lag), or more once the next one is overdue: that one was written an interval later and is not
 * applied yet, so replay is at least that far behind now. A stuck replay thus shows a growing figure, not the last
 * one. Null before the first heartbeat.
 */
export function replaySecondsBehind(
  heartbeatLagMs: number | null,
  lastHeartbeatAt: number | null,
  now: number,
  intervalMs: number,
): number | null {
  if (heartbeatLagMs === null || lastHeartbeatAt === null) return null;
  const nextWritten = lastHeartbeatAt - heartbeatLagMs + intervalMs;
  return Math.max(heartbeatLagMs, now - nextWritten, 0) / 1000;
}
