// Whether the row copy should pause now, and why: a pure function of the throttler's latest readings.
//
// Checked in this fixed order; the first that holds gives the reason (the others are not evaluated):
//   1. user        `throttle` from the control socket            -> `commanded by user`
//   2. flag-file   a throttle flag file exists                    -> `flag-file /tmp/osc.throttle`
//   3. lag         a control replica could not be read (fail closed)
//                                                                 -> `replica 127.0.0.1:3308 unreadable`
//                  else the worst replica lag exceeds max-lag     -> `lag=2.3s on 127.0.0.1:3308`
//   4. max-load    a status variable is at or over its limit      -> `max-load Threads_running=31>=25`
//                  (a variable the server did not report, or load that could not be read, throttles too)
//   5. throttle-query  returned a value > 0                       -> `throttle-query returned 3`
//                  (a failing query throttles: `throttle-query failed`)
// The operator's own commands come first so the reason shown is the one they can act on directly.
import type { LoadThreshold } from '../config.js';

export type ThrottleSource = 'user' | 'flag-file' | 'lag' | 'max-load' | 'throttle-query';

export interface ReplicaLagReading {
  /** `host:port` */
  readonly replica: string;
  /** now − the heartbeat the replica holds, at the time it was read; null: it could not be read. */
  readonly lagMillis: number | null;
}

export type ThrottleQueryReading = { readonly value: number } | { readonly error: true };

export interface ThrottleReadings {
  readonly commandedByUser: boolean;
  /** The throttle flag files that exist, in the order they are configured. */
  readonly flagFiles: readonly string[];
  /** One per control replica; empty when there are none (or none read yet). */
  readonly replicaLags: readonly ReplicaLagReading[];
  /** GLOBAL STATUS values by lower-case variable name; null: never read, or the last read failed. */
  readonly status: ReadonlyMap<string, number> | null;
  /** Latest result of the throttle query; null when none is configured or it has not run yet. */
  readonly throttleQuery: ThrottleQueryReading | null;
}

export interface ThrottleThresholds {
  readonly maxLagMillis: number;
  readonly maxLoad: readonly LoadThreshold[];
  readonly throttleQueryEnabled: boolean;
}

export interface ThrottleDecision {
  readonly throttled: boolean;
  readonly reason: string | null;
  /** Which check throttled; the throttler logs a change only when this changes (the lag value moves every read). */
  readonly source: ThrottleSource | null;
}

export const NOT_THROTTLED: ThrottleDecision = Object.freeze({ throttled: false, reason: null, source: null });

function throttled(source: ThrottleSource, reason: string): ThrottleDecision {
  return { throttled: true, reason, source };
}

/** 2300 -> '2.3s' */
export function formatSeconds(millis: number): string {
  return `${(millis / 1000).toFixed(1)}s`;
}

export function decideThrottle(r: ThrottleReadings, t: ThrottleThresholds): ThrottleDecision {
  if (r.commandedByUser) return throttled('user', 'commanded by user');

  const flag = r.flagFiles[0];
  if (flag !== undefined) return throttled('flag-file', `flag-file ${flag}`);

  const unreadable = r.replicaLags.find((l) => l.lagMillis === null);
  if (unreadable !== undefined) return throttled('lag', `replica ${unreadable.replica} unreadable`);
  let worst: ReplicaLagReading | undefined;
  for (const l of r.replicaLags) {
    if (worst === undefined || (l.lagMillis ?? 0) > (worst.lagMillis ?? 0)) worst = l;
  }
  if (worst?.lagMillis != null && worst.lagMillis > t.maxLagMillis) {
    return throttled('lag', `lag=${formatSeconds(worst.lagMillis)} on ${worst.replica}`);
  }

  if (t.maxLoad.length > 0) {
    if (r.status === null) return throttled('max-load', 'max-load unreadable');
    for (const { variable, limit } of t.maxLoad) {
      const value = r.status.get(variable.toLowerCase());
      if (value === undefined) return throttled('max-load', `max-load ${variable} unknown`);
      if (value >= limit) return throttled('max-load', `max-load ${variable}=${value}>=${limit}`);
    }
  }

  if (t.throttleQueryEnabled && r.throttleQuery !== null) {
    if ('error' in r.throttleQuery) return throttled('throttle-query', 'throttle-query failed');
    if (r.throttleQuery.value > 0)
      return throttled('throttle-query', `throttle-query returned ${r.throttleQuery.value}`);
  }
  return NOT_THROTTLED;
}

export interface CriticalHit {
  readonly variable: string;
  readonly value: number;
  readonly limit: number;
}

/**
 * The first critical-load threshold met (value at or over its limit), or null. A variable the server did not
 * report does not abort the migration (the throttler warns about it once): aborting on a typo helps nobody.
 */
export function decideCritical(
  status: ReadonlyMap<string, number>,
  criticalLoad: readonly LoadThreshold[],
): CriticalHit | null {
  for (const { variable, limit } of criticalLoad) {
    const value = status.get(variable.toLowerCase());
    if (value !== undefined && value >= limit) return { variable, value, limit };
  }
  return null;
}

/** `critical-load Threads_running=85>=80` */
export function criticalReason(hit: CriticalHit): string {
  return `critical-load ${hit.variable}=${hit.value}>=${hit.limit}`;
}

/** Parses SHOW GLOBAL STATUS rows into the map the decisions read; values that are not numbers are left out. */
export function statusMap(rows: readonly { readonly name: string; readonly value: string }[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const { name, value } of rows) {
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n)) m.set(name.toLowerCase(), n);
  }
  return m;
}

/** The heartbeat value a replica holds (String(Date.now()) when written) -> lag in ms; null when it is not a time. */
export function heartbeatLagMillis(value: unknown, now: number): number | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const sent = Number(value);
  if (!Number.isFinite(sent) || sent <= 0) return null;
  // A clock step backwards on this host must not show as negative lag.
  return Math.max(0, now - sent);
}
