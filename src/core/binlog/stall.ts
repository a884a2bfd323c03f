// A half-open binlog connection (a dead network path that never closes) brings nothing, and without a check it
// would stall replay for good. osc writes a heartbeat every 100 ms, so the binlog always has something new: a
// connection that has shown no byte since a heartbeat write began is silent, and after a few seconds of that,
// dead. Measured from the write's start, so a byte that raced ahead of the write's reply still counts.

export interface StallClock {
  /** When the connection last brought a byte (or started, or was resumed after a backpressure pause). */
  readonly lastDataAt: number;
  /** Start of the earliest write since lastDataAt that the connection has shown nothing after; null: none. */
  readonly unseenWriteSince: number | null;
}

export function noteData(_clock: StallClock, now: number): StallClock {
  return { lastDataAt: now, unseenWriteSince: null };
}

/** A write that the binlog dump will carry began at `startedAt` and committed. */
export function noteWrite(clock: StallClock, startedAt: number): StallClock {
  if (startedAt <= clock.lastDataAt || clock.unseenWriteSince !== null) return clock;
  return { ...clock, unseenWriteSince: startedAt };
}

/** How long the connection has been silent although it had something to bring; null while it has not. */
export function silentFor(clock: StallClock, now: number): number | null {
  return clock.unseenWriteSince === null ? null : Math.max(0, now - clock.unseenWriteSince);
}
