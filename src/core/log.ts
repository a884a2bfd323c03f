// One line per event on stderr: `ts level event key=value ...` or JSON. Never row values or passwords.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, string | number | boolean | bigint | null | undefined>>;

/** Fields, or a line already rendered as `key=value ...` (the status line). */
export type LogBody = LogFields | string;

export interface Logger {
  debug(event: string, fields?: LogBody): void;
  info(event: string, fields?: LogBody): void;
  warn(event: string, fields?: LogBody): void;
  error(event: string, fields?: LogBody): void;
}

export interface LoggerOptions {
  readonly format: 'text' | 'json';
  readonly verbose: boolean;
  /** --quiet: only warnings and errors (the final summary goes to stdout regardless). Wins over verbose. */
  readonly quiet?: boolean;
  readonly write: (line: string) => void;
  readonly now?: () => Date;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function textValue(v: string | number | boolean | bigint | null): string {
  const s = String(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

export function formatLine(format: 'text' | 'json', time: Date, level: LogLevel, event: string, body: LogBody): string {
  if (typeof body === 'string') {
    if (format === 'json') return JSON.stringify({ ts: time.toISOString(), level, event, line: body });
    return `${time.toISOString()} ${level.toUpperCase().padEnd(5)} ${event}${body ? ' ' + body : ''}`;
  }
  const fields = body;
  const entries = Object.entries(fields).filter(
    (e): e is [string, string | number | boolean | bigint | null] => e[1] !== undefined,
  );
  if (format === 'json') {
    const obj: Record<string, unknown> = { ts: time.toISOString(), level, event };
    for (const [k, v] of entries) obj[k] = typeof v === 'bigint' ? v.toString() : v;
    return JSON.stringify(obj);
  }
  const tail = entries.map(([k, v]) => `${k}=${textValue(v)}`).join(' ');
  return `${time.toISOString()} ${level.toUpperCase().padEnd(5)} ${event}${tail ? ' ' + tail : ''}`;
}

export function createLogger(opts: LoggerOptions): Logger {
  const min = opts.quiet === true ? ORDER.warn : opts.verbose ? ORDER.debug : ORDER.info;
  const now = opts.now ?? (() => new Date());
  const emit =
    (level: LogLevel) =>
    (event: string, fields: LogBody = {}) => {
      if (ORDER[level] < min) return;
      opts.write(formatLine(opts.format, now(), level, event, fields) + '\n');
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
