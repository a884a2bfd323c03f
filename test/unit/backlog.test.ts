import { describe, expect, it } from 'vitest';
import {
  backlogDecision,
  checkBacklogBounds,
  DEFAULT_BACKLOG_BOUNDS,
  replaySecondsBehind,
  type BacklogBounds,
} from '../../src/core/chunk/backlog.js';

const b: BacklogBounds = DEFAULT_BACKLOG_BOUNDS;

describe('copy beside replay: the backlog decision', () => {
  it('defaults: pause over 8000 events or 5 s, resume at 2000 events and 2 s', () => {
    expect(b).toEqual({ pauseEvents: 8000, pauseSeconds: 5, resumeEvents: 2000, resumeSeconds: 2 });
  });
  it('runs while the backlog is under both pause bounds', () => {
    expect(backlogDecision({ events: 8000, secondsBehind: 5 }, b, false)).toEqual({ paused: false, reason: null });
    expect(backlogDecision({ events: 0, secondsBehind: null }, b, false)).toEqual({ paused: false, reason: null });
  });
  it('pauses over either bound', () => {
    expect(backlogDecision({ events: 8001, secondsBehind: 0 }, b, false)).toEqual({
      paused: true,
      reason: 'replay backlog 8001 events',
    });
    expect(backlogDecision({ events: 10, secondsBehind: 5.04 }, b, false)).toEqual({
      paused: true,
      reason: 'replay 5.0s behind',
    });
    expect(backlogDecision({ events: 9000, secondsBehind: 7 }, b, false)).toEqual({
      paused: true,
      reason: 'replay backlog 9000 events',
    });
  });
  it('with unknown seconds, events alone decide', () => {
    expect(backlogDecision({ events: 8001, secondsBehind: null }, b, false).paused).toBe(true);
    expect(backlogDecision({ events: 100, secondsBehind: null }, b, true).paused).toBe(false);
  });
  it('stays paused until both are at or under the resume bounds (hysteresis)', () => {
    expect(backlogDecision({ events: 5000, secondsBehind: 1 }, b, true)).toEqual({
      paused: true,
      reason: 'replay backlog 5000 events',
    });
    expect(backlogDecision({ events: 2000, secondsBehind: 3 }, b, true)).toEqual({
      paused: true,
      reason: 'replay 3.0s behind',
    });
    expect(backlogDecision({ events: 2000, secondsBehind: 2 }, b, true)).toEqual({ paused: false, reason: null });
    // The same reading between the bounds keeps whatever was decided before.
    expect(backlogDecision({ events: 5000, secondsBehind: 1 }, b, false)).toEqual({ paused: false, reason: null });
  });
  it('a backlog rising and falling through the band pauses once and resumes once', () => {
    const events = [0, 4000, 7999, 8500, 7000, 3000, 2001, 2000, 5000, 7999];
    let paused = false;
    const trace = events.map((e) => (paused = backlogDecision({ events: e, secondsBehind: 0 }, b, paused).paused));
    expect(trace).toEqual([false, false, false, true, true, true, true, false, false, false]);
  });
  it('checks its bounds', () => {
    expect(checkBacklogBounds(b)).toBe(b);
    expect(() => checkBacklogBounds({ ...b, resumeEvents: 9000 })).toThrow(
      'a backlog resume bound must not exceed its pause bound',
    );
    expect(() => checkBacklogBounds({ ...b, resumeSeconds: 6 })).toThrow(
      'a backlog resume bound must not exceed its pause bound',
    );
    expect(() => checkBacklogBounds({ ...b, pauseSeconds: Number.NaN })).toThrow(
      'backlog bounds must be non-negative numbers',
    );
  });
});

describe('replaySecondsBehind', () => {
  it('is unknown before the first heartbeat', () => {
    expect(replaySecondsBehind(null, null, 10_000, 500)).toBeNull();
  });
  it('is the last heartbeat lag while the next one is not overdue', () => {
    // Heartbeat written at 9,700, replayed at 10,000 (lag 300); the next one was written at 10,200.
    expect(replaySecondsBehind(300, 10_000, 10_100, 500)).toBe(0.3);
    expect(replaySecondsBehind(300, 10_000, 10_500, 500)).toBe(0.3);
  });
  it('grows while replay shows no new heartbeat: the next one is not applied', () => {
    expect(replaySecondsBehind(300, 10_000, 13_200, 500)).toBe(3);
    expect(replaySecondsBehind(0, 10_000, 20_500, 500)).toBe(10);
  });
});
