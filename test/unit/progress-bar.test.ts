import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderProgressBar, renderStatusLine } from '../../src/core/progress.js';
import type { ProgressSnapshot } from '../../src/core/progress.js';
import { renderSummary } from '../../src/core/report.js';
import { CLEAR_LINE, createProgressOutput, createTerminal } from '../../src/operator/terminal.js';
import { createLogger } from '../../src/core/log.js';
import type { Logger } from '../../src/core/log.js';
import { COPYING } from '../support/snapshots.js';

const base: ProgressSnapshot = COPYING;

/** One snapshot per phase, as a 200,000-row migration shows them; `throttled` is the copy held back by lag. */
const idle: ProgressSnapshot = {
  ...base,
  rowsCopied: 0,
  rowsEstimated: 0,
  copySeconds: 0,
  eventsApplied: 0,
  backlog: 0,
  binlogPosition: null,
  heartbeatLagSeconds: null,
};
const copied: ProgressSnapshot = { ...base, rowsCopied: 200000, copySeconds: 80, backlog: 0 };
const PHASE_SNAPSHOTS: readonly (readonly [string, ProgressSnapshot])[] = [
  ['init', { ...idle, phase: 'init' }],
  ['preflight', { ...idle, phase: 'preflight' }],
  ['setup', { ...idle, phase: 'setup', rowsEstimated: 200000 }],
  ['copy', base],
  ['throttled', { ...base, throttleReason: 'lag=2.3s on 127.0.0.1:3317' }],
  ['postponed', { ...copied, phase: 'postponed' }],
  ['cutover', { ...copied, phase: 'cutover', cutOverAttempts: 1 }],
  ['cleanup', { ...copied, phase: 'cleanup', cutOverAttempts: 1 }],
  ['done', { ...copied, phase: 'done', cutOverAttempts: 1 }],
  ['failed', { ...base, phase: 'failed' }],
];

describe('renderProgressBar', () => {
  it('on an 80-column terminal: the same width and the same columns in every phase', () => {
    expect(PHASE_SNAPSHOTS.map(([, s]) => renderProgressBar(s, 79))).toEqual([
      'starting  [...........]   0.0% 0/0 0/s eta - backlog 0 lag -                   ',
      'preflight [...........]   0.0% 0/0 0/s eta - backlog 0 lag -                   ',
      'setup     [...........]   0.0% 0/200000 0/s eta - backlog 0 lag -              ',
      'copy      [#..........]   6.0% 12000/200000 2400/s eta 1m18s backlog 3 lag 0.2s',
      'copy      [#..........]   6.0% eta 1m18s throttled: lag=2.3s on 127.0.0.1:3317 ',
      'postponed [###########] 100.0% 200000/200000 2500/s eta 0s backlog 0 lag 0.2s  ',
      'cut-over  [###########] 100.0% 200000/200000 2500/s eta 0s backlog 0 lag 0.2s  ',
      'cleanup   [###########] 100.0% 200000/200000 2500/s eta 0s backlog 0 lag 0.2s  ',
      'done      [###########] 100.0% 200000/200000 2500/s eta 0s backlog 0 lag 0.2s  ',
      'failed    [#..........]   6.0% 12000/200000 2400/s eta 1m18s backlog 3 lag 0.2s',
    ]);
  });
  it('on a 120-column terminal: a 40-cell bar, padded to the width in every phase', () => {
    expect(PHASE_SNAPSHOTS.map(([, s]) => renderProgressBar(s, 119).trimEnd())).toEqual([
      'starting  [........................................]   0.0% 0/0 0/s eta - backlog 0 lag -',
      'preflight [........................................]   0.0% 0/0 0/s eta - backlog 0 lag -',
      'setup     [........................................]   0.0% 0/200000 0/s eta - backlog 0 lag -',
      'copy      [##......................................]   6.0% 12000/200000 2400/s eta 1m18s backlog 3 lag 0.2s',
      'copy      [##......................................]   6.0% 2400/s eta 1m18s throttled: lag=2.3s on 127.0.0.1:3317',
      'postponed [########################################] 100.0% 200000/200000 2500/s eta 0s backlog 0 lag 0.2s',
      'cut-over  [########################################] 100.0% 200000/200000 2500/s eta 0s backlog 0 lag 0.2s',
      'cleanup   [########################################] 100.0% 200000/200000 2500/s eta 0s backlog 0 lag 0.2s',
      'done      [########################################] 100.0% 200000/200000 2500/s eta 0s backlog 0 lag 0.2s',
      'failed    [##......................................]   6.0% 12000/200000 2400/s eta 1m18s backlog 3 lag 0.2s',
    ]);
  });
  it('is exactly as wide as asked, with the bar in the same place, at every width and in every phase', () => {
    for (let w = 1; w <= 200; w++) {
      const lines = PHASE_SNAPSHOTS.map(([, s]) => renderProgressBar(s, w));
      for (const line of lines) expect(line.length, `${w}: ${line}`).toBe(w);
      expect(new Set(lines.map((l) => l.indexOf('['))).size, `${w}: ${lines.join(' | ')}`).toBe(1);
      expect(new Set(lines.map((l) => l.indexOf(']'))).size, `${w}: ${lines.join(' | ')}`).toBe(1);
    }
  });
  it('without room for a bar drops rows, backlog, lag and rate, in that order, as the width shrinks', () => {
    expect(renderProgressBar(base, 70)).toBe('copy        6.0% 12000/200000 2400/s eta 1m18s backlog 3 lag 0.2s     ');
    expect(renderProgressBar(base, 55)).toBe('copy        6.0% 2400/s eta 1m18s backlog 3 lag 0.2s   ');
    expect(renderProgressBar(base, 45)).toBe('copy        6.0% 2400/s eta 1m18s lag 0.2s   ');
    expect(renderProgressBar(base, 35)).toBe('copy        6.0% 2400/s eta 1m18s  ');
  });
  it('cuts what still does not fit with an ellipsis; nothing for no width', () => {
    expect(renderProgressBar(base, 25)).toBe('copy        6.0% eta 1m1…');
    expect(renderProgressBar(base, 20)).toBe('copy        6.0% et…');
    expect(renderProgressBar(base, 5)).toBe('copy…');
    expect(renderProgressBar(base, 1)).toBe('…');
    expect(renderProgressBar(base, 0)).toBe('');
  });
  it('keeps the throttle reason longest', () => {
    const t: ProgressSnapshot = { ...base, rowsCopied: 100000, throttleReason: 'lag=2.3s on 127.0.0.1:3317' };
    expect(renderProgressBar(t, 60)).toBe('copy       50.0% eta 5s throttled: lag=2.3s on 127.0.0.1:33…');
    expect(renderProgressBar(t, 40)).toBe('copy       50.0% eta 5s throttled: lag=…');
  });
  it('leaves the status line as it was', () => {
    expect(renderStatusLine(base)).toBe(
      'phase=copy copied=12000/200000 pct=6.0% rate=2400/s eta=1m18s backlog=3 applied=512 lag=0.2s binlog=binlog.000003:1234',
    );
  });
});

describe('terminal', () => {
  it('passes text through untouched when there is no live line', () => {
    const out: string[] = [];
    const t = createTerminal({ write: (s) => out.push(s), isTTY: false });
    t.setLive('ignored: not a terminal');
    t.write('line 1\n');
    expect(out).toEqual(['line 1\n']);
  });
  it('clears the live line before a log line and redraws it after, in one write', () => {
    const out: string[] = [];
    const t = createTerminal({ write: (s) => out.push(s), isTTY: true, columns: () => 100 });
    t.setLive('copy 10%');
    t.write('INFO phase\n');
    t.setLive('copy 20%');
    t.setLive(null);
    t.write('INFO done\n');
    expect(out).toEqual([
      `${CLEAR_LINE}copy 10%`,
      `${CLEAR_LINE}INFO phase\ncopy 10%`,
      `${CLEAR_LINE}copy 20%`,
      CLEAR_LINE,
      'INFO done\n',
    ]);
    expect(t.columns()).toBe(100);
  });
  it('renders a function afresh at every draw, and blanks a line that cannot be rendered', () => {
    const out: string[] = [];
    const t = createTerminal({ write: (s) => out.push(s), isTTY: true });
    let n = 0;
    t.setLive(() => {
      n += 1;
      if (n === 3) throw new Error('no snapshot');
      return `frame ${n}`;
    });
    t.write('log\n');
    t.redraw();
    t.redraw();
    expect(out).toEqual([`${CLEAR_LINE}frame 1`, `${CLEAR_LINE}log\nframe 2`, CLEAR_LINE, `${CLEAR_LINE}frame 4`]);
  });
  it('does not redraw after text without a newline; columns default to 80', () => {
    const out: string[] = [];
    const t = createTerminal({ write: (s) => out.push(s), isTTY: true, columns: () => undefined });
    t.setLive('bar');
    t.write('partial');
    t.write(' rest\n');
    expect(out).toEqual([`${CLEAR_LINE}bar`, `${CLEAR_LINE}partial`, ' rest\n']);
    expect(t.columns()).toBe(80);
  });
});

describe('progress output', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const fixedTime = () => new Date('2026-01-02T03:04:05.000Z');

  it('on a terminal redraws the bar about 4 times a second, a log line in between, and clears it on stop', () => {
    vi.useFakeTimers();
    const out: string[] = [];
    const terminal = createTerminal({ write: (s) => out.push(s), isTTY: true, columns: () => 81 });
    const logger = createLogger({ format: 'text', verbose: false, write: terminal.write, now: fixedTime });
    let copied = 12000;
    const p = createProgressOutput({
      terminal,
      intervalSeconds: 5,
      quiet: false,
      snapshot: () => ({ ...base, rowsCopied: copied }),
      logger,
    });
    p.start();
    copied = 100000;
    vi.advanceTimersByTime(250);
    copied = 200000;
    logger.info('phase', { from: 'copy', to: 'cutover' });
    p.stop();
    vi.advanceTimersByTime(1000);
    expect(out).toEqual([
      `${CLEAR_LINE}copy      [#...........]   6.0% 12000/200000 2400/s eta 1m18s backlog 3 lag 0.2s`,
      `${CLEAR_LINE}copy      [######......]  50.0% 100000/200000 20000/s eta 5s backlog 3 lag 0.2s `,
      // Redrawn under the log line from a fresh snapshot, not the last tick's.
      `${CLEAR_LINE}2026-01-02T03:04:05.000Z INFO  phase from=copy to=cutover\ncopy      [############] 100.0% 200000/200000 40000/s eta 0s backlog 3 lag 0.2s `,
      CLEAR_LINE,
    ]);
  });
  it('elsewhere logs the plain status line every interval', () => {
    vi.useFakeTimers();
    const out: string[] = [];
    const terminal = createTerminal({ write: (s) => out.push(s), isTTY: false });
    const logger = createLogger({ format: 'text', verbose: false, write: terminal.write, now: fixedTime });
    const p = createProgressOutput({ terminal, intervalSeconds: 5, quiet: false, snapshot: () => base, logger });
    p.start();
    vi.advanceTimersByTime(4999);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(1);
    p.stop();
    vi.advanceTimersByTime(10_000);
    expect(out).toEqual([
      '2026-01-02T03:04:05.000Z INFO  status phase=copy copied=12000/200000 pct=6.0% rate=2400/s eta=1m18s backlog=3 applied=512 lag=0.2s binlog=binlog.000003:1234\n',
    ]);
  });
  it('prints nothing with --quiet, on a terminal or not', () => {
    vi.useFakeTimers();
    for (const isTTY of [true, false]) {
      const out: string[] = [];
      const terminal = createTerminal({ write: (s) => out.push(s), isTTY });
      const logger = createLogger({ format: 'text', verbose: false, write: terminal.write });
      const p = createProgressOutput({ terminal, intervalSeconds: 1, quiet: true, snapshot: () => base, logger });
      p.start();
      vi.advanceTimersByTime(10_000);
      p.stop();
      expect(out).toEqual([]);
    }
  });
  it('skips a frame when the snapshot cannot be taken', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const logger: Logger = {
      debug: (e) => lines.push(`debug ${e}`),
      info: (e) => lines.push(`info ${e}`),
      warn() {},
      error() {},
    };
    const terminal = createTerminal({ write: () => {}, isTTY: false });
    const p = createProgressOutput({
      terminal,
      intervalSeconds: 1,
      quiet: false,
      snapshot: () => {
        throw new Error('not yet');
      },
      logger,
    });
    p.start();
    vi.advanceTimersByTime(1000);
    p.stop();
    expect(lines).toEqual(['debug status_unavailable']);
  });
});

describe('--quiet logger', () => {
  it('keeps only warnings and errors, even with --verbose', () => {
    const out: string[] = [];
    const logger = createLogger({
      format: 'text',
      verbose: true,
      quiet: true,
      write: (s) => out.push(s),
      now: () => new Date(0),
    });
    logger.debug('d');
    logger.info('i');
    logger.warn('w', { a: 1 });
    logger.error('e');
    expect(out).toEqual(['1970-01-01T00:00:00.000Z WARN  w a=1\n', '1970-01-01T00:00:00.000Z ERROR e\n']);
  });
});

describe('renderSummary', () => {
  it('states what changed, rows, events, phase times, lock time and where the old table is', () => {
    const text = renderSummary({
      database: 'shop',
      table: 'orders',
      alter: 'ADD COLUMN note VARCHAR(20)',
      rowsCopied: 200000,
      events: { insert: 40, update: 12, delete: 3 },
      cutOverAttempts: 2,
      lockMs: 37,
      old: '_orders_del',
      oldDropped: false,
      verified: { rows: 200040, chunks: 12, repaired: 1, lockMs: 4 },
      phaseSeconds: { cutover: 0.42, setup: 0.31, copy: 95.2, checksum: 9.6, preflight: 0.12 },
      totalSeconds: 96.5,
    });
    expect(text).toBe(
      [
        'migrated shop.orders: ADD COLUMN note VARCHAR(20)',
        '  rows copied:      200000',
        '  binlog replayed:  55 row events (40 inserts, 12 updates, 3 deletes)',
        '  verified:         200040 rows in 12 chunks, 1 repaired; writes blocked 4 ms for its snapshot',
        '  cut-over:         attempt 2, writes blocked 37 ms',
        '  old table:        shop._orders_del (drop it once you no longer need it)',
        '  time:             preflight 0.1s, setup 0.3s, copy 1m35s, checksum 9.6s, cutover 0.4s; total 1m36s',
        '',
      ].join('\n'),
    );
  });
  it('says when the old table was dropped', () => {
    const text = renderSummary({
      database: 'd',
      table: 't',
      alter: 'ENGINE=InnoDB',
      rowsCopied: 0,
      events: { insert: 0, update: 0, delete: 0 },
      cutOverAttempts: 1,
      lockMs: 5,
      old: '_t_del',
      oldDropped: true,
      verified: null,
      phaseSeconds: {},
      totalSeconds: 1,
    });
    expect(text).toContain('  old table:        dropped (--ok-to-drop-table)\n');
    expect(text).toContain(
      '  verified:         no: --skip-checksum, the new table was not compared with the original\n',
    );
  });
});
