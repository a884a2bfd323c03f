// What osc writes to stderr while it runs: log lines, and on a terminal one live progress line rewritten in place.
// Every stderr write goes through the Terminal, so a log line first clears the live line and then redraws it.
import { renderProgressBar, renderStatusLine, type ProgressSnapshot } from '../core/progress.js';
import type { Logger } from '../core/log.js';

/** Carriage return + erase the whole line (VT100; every terminal emulator osc meets understands it). */
export const CLEAR_LINE = '\r\x1b[2K';

export interface TerminalOptions {
  /** The raw stderr writer. */
  readonly write: (text: string) => void;
  /** Only a terminal gets the live line; a pipe or file gets plain lines for log collectors. */
  readonly isTTY: boolean;
  /** The terminal's width now (it may be resized); undefined or 0 = 80. */
  readonly columns?: () => number | undefined;
}

export interface Terminal {
  readonly isTTY: boolean;
  /** For createLogger's `write`: clears the live line, writes the text, redraws the live line. Unbound-safe. */
  readonly write: (text: string) => void;
  /**
   * Shows or replaces the live line (TTY only; ignored otherwise); null removes it. A function is called afresh at
   * every draw, so the line redrawn under a log line is current, not the one from the last tick.
   */
  readonly setLive: (line: string | (() => string) | null) => void;
  /** Draws the live line again (from its function, if it has one). */
  readonly redraw: () => void;
  readonly columns: () => number;
}

export function createTerminal(opts: TerminalOptions): Terminal {
  let live: (() => string) | null = null;
  // Whether the live line is on screen now (a log text without a trailing newline leaves it off until the next draw).
  let shown = false;
  let rendering = false;
  // The line now; '' when it cannot be rendered, or when rendering logs (which would write through here again).
  const render = (): string => {
    if (live === null || rendering) return '';
    rendering = true;
    try {
      return live();
    } catch {
      return '';
    } finally {
      rendering = false;
    }
  };
  const columns = (): number => {
    const c = opts.columns?.();
    return c !== undefined && c > 0 ? c : 80;
  };
  const write = (text: string): void => {
    if (!shown || live === null) {
      opts.write(text);
      return;
    }
    // One write, so the terminal never shows the log line and the bar interleaved.
    if (text.endsWith('\n')) {
      opts.write(CLEAR_LINE + text + render());
    } else {
      opts.write(CLEAR_LINE + text);
      shown = false;
    }
  };
  const redraw = (): void => {
    if (!opts.isTTY || live === null || rendering) return;
    const line = render();
    shown = true;
    opts.write(CLEAR_LINE + line);
  };
  const setLive = (line: string | (() => string) | null): void => {
    if (!opts.isTTY) return;
    if (line === null) {
      if (shown) opts.write(CLEAR_LINE);
      live = null;
      shown = false;
      return;
    }
    live = typeof line === 'string' ? () => line : line;
    redraw();
  };
  return { isTTY: opts.isTTY, write, setLive, redraw, columns };
}

export interface ProgressOutputOptions {
  readonly terminal: Terminal;
  /** --status-interval: seconds between plain status lines when stderr is not a terminal. */
  readonly intervalSeconds: number;
  /** --quiet: no progress output at all. */
  readonly quiet: boolean;
  readonly snapshot: () => ProgressSnapshot;
  readonly logger: Logger;
  /** How often the live line is redrawn; default 250 ms (about 4 a second). */
  readonly redrawMs?: number;
}

export interface ProgressOutput {
  start(): void;
  /** Stops the timer and removes the live line; safe to call twice or before start(). */
  stop(): void;
}

const DEFAULT_REDRAW_MS = 250;

/**
 * On a terminal, the live bar (renderProgressBar) redrawn every redrawMs; elsewhere the status line
 * (renderStatusLine) logged every intervalSeconds; with --quiet, nothing.
 */
export function createProgressOutput(opts: ProgressOutputOptions): ProgressOutput {
  const { terminal, logger } = opts;
  let timer: NodeJS.Timeout | null = null;

  // One column spare: writing into the last column makes some terminals wrap early. A snapshot that cannot be
  // taken blanks the line (the terminal catches it); it must never take the migration down.
  const bar = (): string => renderProgressBar(opts.snapshot(), terminal.columns() - 1);

  const logStatus = (): void => {
    let snap: ProgressSnapshot;
    try {
      snap = opts.snapshot();
    } catch (err) {
      logger.debug('status_unavailable', { reason: err instanceof Error ? err.message : String(err) });
      return;
    }
    logger.info('status', renderStatusLine(snap));
  };

  return {
    start() {
      if (opts.quiet || timer !== null) return;
      const ms = terminal.isTTY ? (opts.redrawMs ?? DEFAULT_REDRAW_MS) : opts.intervalSeconds * 1000;
      if (!(ms > 0)) return;
      if (terminal.isTTY) {
        terminal.setLive(bar);
        timer = setInterval(terminal.redraw, ms);
      } else {
        timer = setInterval(logStatus, ms);
      }
      timer.unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      terminal.setLive(null);
    },
  };
}
