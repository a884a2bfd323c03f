import { describe, expect, it } from 'vitest';
import {
  criticalReason,
  decideCritical,
  decideThrottle,
  formatSeconds,
  heartbeatLagMillis,
  statusMap,
} from '../../src/core/throttle/decide.js';
import type { ThrottleReadings, ThrottleThresholds } from '../../src/core/throttle/decide.js';

const calm: ThrottleReadings = {
  commandedByUser: false,
  flagFiles: [],
  replicaLags: [],
  status: new Map(),
  throttleQuery: null,
};
const limits: ThrottleThresholds = { maxLagMillis: 1500, maxLoad: [], throttleQueryEnabled: false };

describe('decideThrottle', () => {
  it('does not throttle when nothing holds', () => {
    expect(decideThrottle(calm, limits)).toEqual({ throttled: false, reason: null, source: null });
  });

  it('user command comes first', () => {
    const r: ThrottleReadings = {
      commandedByUser: true,
      flagFiles: ['/tmp/f'],
      replicaLags: [{ replica: 'r:1', lagMillis: 9000 }],
      status: new Map([['threads_running', 99]]),
      throttleQuery: { value: 1 },
    };
    const t: ThrottleThresholds = {
      maxLagMillis: 1,
      maxLoad: [{ variable: 'Threads_running', limit: 1 }],
      throttleQueryEnabled: true,
    };
    expect(decideThrottle(r, t)).toEqual({ throttled: true, reason: 'commanded by user', source: 'user' });
  });

  it('flag files next, the first existing one named', () => {
    const r: ThrottleReadings = {
      ...calm,
      flagFiles: ['/tmp/a.flag', '/tmp/osc.throttle'],
      replicaLags: [{ replica: 'r:1', lagMillis: null }],
    };
    expect(decideThrottle(r, limits)).toEqual({
      throttled: true,
      reason: 'flag-file /tmp/a.flag',
      source: 'flag-file',
    });
  });

  it('an unreadable replica throttles (fail closed), before any lag value', () => {
    const r: ThrottleReadings = {
      ...calm,
      replicaLags: [
        { replica: '127.0.0.1:3307', lagMillis: 9000 },
        { replica: '127.0.0.1:3308', lagMillis: null },
      ],
    };
    expect(decideThrottle(r, limits)).toEqual({
      throttled: true,
      reason: 'replica 127.0.0.1:3308 unreadable',
      source: 'lag',
    });
  });

  it('names the worst replica when its lag exceeds max-lag', () => {
    const r: ThrottleReadings = {
      ...calm,
      replicaLags: [
        { replica: '127.0.0.1:3307', lagMillis: 1600 },
        { replica: '127.0.0.1:3308', lagMillis: 2345 },
        { replica: '127.0.0.1:3309', lagMillis: 10 },
      ],
    };
    expect(decideThrottle(r, limits)).toEqual({ throttled: true, reason: 'lag=2.3s on 127.0.0.1:3308', source: 'lag' });
  });

  it('lag equal to max-lag does not throttle (it must exceed)', () => {
    const r: ThrottleReadings = { ...calm, replicaLags: [{ replica: 'r:1', lagMillis: 1500 }] };
    expect(decideThrottle(r, limits).throttled).toBe(false);
    expect(decideThrottle({ ...r, replicaLags: [{ replica: 'r:1', lagMillis: 1501 }] }, limits).reason).toBe(
      'lag=1.5s on r:1',
    );
  });

  it('max-load: at or over the limit, first threshold met named, case-insensitive variable lookup', () => {
    const t: ThrottleThresholds = {
      ...limits,
      maxLoad: [
        { variable: 'Threads_connected', limit: 500 },
        { variable: 'Threads_running', limit: 25 },
      ],
    };
    const status = new Map([
      ['threads_connected', 12],
      ['threads_running', 31],
    ]);
    expect(decideThrottle({ ...calm, status }, t)).toEqual({
      throttled: true,
      reason: 'max-load Threads_running=31>=25',
      source: 'max-load',
    });
    const atLimit = new Map([
      ['threads_connected', 12],
      ['threads_running', 25],
    ]);
    expect(decideThrottle({ ...calm, status: atLimit }, t).reason).toBe('max-load Threads_running=25>=25');
    const below = new Map([
      ['threads_connected', 12],
      ['threads_running', 24],
    ]);
    expect(decideThrottle({ ...calm, status: below }, t)).toEqual({ throttled: false, reason: null, source: null });
  });

  it('max-load: unreadable status or an unknown variable throttles', () => {
    const t: ThrottleThresholds = { ...limits, maxLoad: [{ variable: 'Threads_runing', limit: 25 }] };
    expect(decideThrottle({ ...calm, status: null }, t).reason).toBe('max-load unreadable');
    expect(decideThrottle({ ...calm, status: new Map([['threads_running', 1]]) }, t).reason).toBe(
      'max-load Threads_runing unknown',
    );
    // No max-load configured: status is irrelevant.
    expect(decideThrottle({ ...calm, status: null }, limits).throttled).toBe(false);
  });

  it('lag outranks max-load', () => {
    const r: ThrottleReadings = {
      ...calm,
      replicaLags: [{ replica: 'r:1', lagMillis: 3000 }],
      status: new Map([['threads_running', 99]]),
    };
    const t: ThrottleThresholds = { ...limits, maxLoad: [{ variable: 'Threads_running', limit: 1 }] };
    expect(decideThrottle(r, t).reason).toBe('lag=3.0s on r:1');
  });

  it('throttle-query: > 0 throttles, 0 does not, a failure throttles, ignored when disabled', () => {
    const on: ThrottleThresholds = { ...limits, throttleQueryEnabled: true };
    expect(decideThrottle({ ...calm, throttleQuery: { value: 3 } }, on)).toEqual({
      throttled: true,
      reason: 'throttle-query returned 3',
      source: 'throttle-query',
    });
    expect(decideThrottle({ ...calm, throttleQuery: { value: 0 } }, on).throttled).toBe(false);
    expect(decideThrottle({ ...calm, throttleQuery: { value: -1 } }, on).throttled).toBe(false);
    expect(decideThrottle({ ...calm, throttleQuery: { error: true } }, on).reason).toBe('throttle-query failed');
    expect(decideThrottle({ ...calm, throttleQuery: { value: 3 } }, limits).throttled).toBe(false);
    expect(decideThrottle({ ...calm, throttleQuery: null }, on).throttled).toBe(false);
  });

  it('max-load outranks throttle-query', () => {
    const t: ThrottleThresholds = {
      maxLagMillis: 1500,
      maxLoad: [{ variable: 'Threads_running', limit: 1 }],
      throttleQueryEnabled: true,
    };
    expect(
      decideThrottle({ ...calm, status: new Map([['threads_running', 2]]), throttleQuery: { value: 1 } }, t).reason,
    ).toBe('max-load Threads_running=2>=1');
  });
});

describe('decideCritical', () => {
  const status = new Map([
    ['threads_running', 80],
    ['threads_connected', 10],
  ]);

  it('returns the first threshold at or over its limit', () => {
    expect(
      decideCritical(status, [
        { variable: 'Threads_connected', limit: 500 },
        { variable: 'Threads_running', limit: 80 },
      ]),
    ).toEqual({ variable: 'Threads_running', value: 80, limit: 80 });
  });

  it('returns null below the limits, with no thresholds, and for variables the server did not report', () => {
    expect(decideCritical(status, [{ variable: 'Threads_running', limit: 81 }])).toBeNull();
    expect(decideCritical(status, [])).toBeNull();
    expect(decideCritical(status, [{ variable: 'No_such_var', limit: 0 }])).toBeNull();
  });

  it('renders the reason', () => {
    expect(criticalReason({ variable: 'Threads_running', value: 85, limit: 80 })).toBe(
      'critical-load Threads_running=85>=80',
    );
  });
});

describe('helpers', () => {
  it('statusMap lower-cases names and drops non-numeric values', () => {
    const m = statusMap([
      { name: 'Threads_running', value: '7' },
      { name: 'Uptime', value: '12345' },
      { name: 'Rpl_status', value: 'AUTH_MASTER' },
      { name: 'Empty', value: '' },
    ]);
    expect([...m.entries()]).toEqual([
      ['threads_running', 7],
      ['uptime', 12345],
    ]);
  });

  it('heartbeatLagMillis', () => {
    expect(heartbeatLagMillis('1000', 3300)).toBe(2300);
    expect(heartbeatLagMillis(1000, 3300)).toBe(2300);
    expect(heartbeatLagMillis('5000', 3300)).toBe(0);
    expect(heartbeatLagMillis('x', 3300)).toBeNull();
    expect(heartbeatLagMillis(null, 3300)).toBeNull();
    expect(heartbeatLagMillis('', 3300)).toBeNull();
  });

  it('formatSeconds', () => {
    expect(formatSeconds(2345)).toBe('2.3s');
    expect(formatSeconds(0)).toBe('0.0s');
    expect(formatSeconds(61_000)).toBe('61.0s');
  });
});
