// The binlog streamer: @vlasky/zongji -> an ordered, bounded queue of RowEvents for one consumer (the applier),
// with the statements that change a watched table (query events) in their place among them.
// A dropped connection reconnects from zongji's resume pair (a transaction boundary after everything received),
// and so does a silent one (no byte for a while although osc's heartbeat was written: a half-open connection);
// rows of a transaction already queued are not queued again. Any other reader error is fatal and surfaces from
// the iterator.
import ZongJi from '@vlasky/zongji';
import type { BinlogPosition, RowEvent, StatementEvent, StreamEvent } from '../../core/binlog/events.js';
import { classifyStatement, type WatchedTables } from '../../core/binlog/statements.js';
import { noteData, noteWrite, silentFor, type StallClock } from '../../core/binlog/stall.js';
import { OscError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { readExactly, type ZongjiEvent } from './exact.js';
import { mapRowsEvent, type ZongjiRowsEvent } from './map.js';
import { sleep } from '../sleep.js';
import type { Pool as CorePool } from 'mysql2';
import { errorLabel, errorMessage } from '../db/errors.js';
import { destroyReaderControlPool, openReaderControlPool } from '../db/pool.js';
import { identityStream, sslFor } from '../db/tls.js';
import type { TlsConfig } from '../../core/tls.js';

export interface StreamerOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** --ssl-*: the dump connection and the reader's control pool use it (zongji copies the pool's settings). */
  readonly tls?: TlsConfig;
  /** --replica-server-id; must differ from every server's server_id. */
  readonly serverId: number;
  readonly database: string;
  /** The migrated table and the changelog table. */
  readonly tables: readonly string[];
  /**
   * Tables whose values arrive as stored (see exact.ts): CHAR/VARCHAR/TEXT as Buffers of their bytes in
   * the column's charset, spatial values as the server's internal bytes. Others arrive as zongji decodes them.
   */
  readonly exactValues?: readonly string[];
  /** Read (SHOW MASTER STATUS / SHOW BINARY LOG STATUS) before the copy began. */
  readonly start: BinlogPosition;
  readonly logger: Logger;
  /** Consecutive reconnects before giving up; default 60 (gh-ost's --default-retries). */
  readonly maxReconnects?: number;
  /** Queued events above which the reader is paused (backpressure); default 10000. */
  readonly highWaterMark?: number;
  /** Query events that change one of these tables come through as StatementEvents; without it none are read. */
  readonly statements?: WatchedTables;
  /** No byte for this long after a heartbeatWritten() while not paused: the connection is replaced; default 5000. */
  readonly stallTimeoutMs?: number;
}

export interface BinlogStreamer {
  /** Connects and starts reading; resolves once the binlog dump is running, rejects with OscError('BINLOG_STREAM') otherwise. */
  start(): Promise<void>;
  /**
   * The row events in binlog order, one RowEvent per row, and StatementEvents where the statements ran. Ends
   * after stop() (events still queued are dropped); throws OscError('BINLOG_STREAM', with cause) on a fatal
   * reader error. Single consumer.
   */
  events(): AsyncIterable<StreamEvent>;
  /** Events received and not yet taken by the consumer. */
  backlog(): number;
  /** The resume point after the last event received (a transaction boundary), or the start position. */
  position(): BinlogPosition;
  /**
   * A write that this binlog dump will carry (osc's heartbeat) began at `startedAt` and committed: if the
   * connection then brings no byte for the stall timeout, it is half-open and gets replaced.
   */
  heartbeatWritten(startedAt: number): void;
  /** Stops reading and closes connections; idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_MAX_RECONNECTS = 60;
export const DEFAULT_HIGH_WATER_MARK = 10_000;
/** The dump must answer with its first event (the server's artificial rotate) within this time. */
const START_TIMEOUT_MS = 30_000;
/** A connection that stayed up this long resets the reconnect count: only consecutive failures add up. */
const STABLE_CONNECTION_MS = 10_000;
// 'tablemap' reaches onEvent so that readExactly can prepare a table before its rows are decoded.
const INCLUDE_EVENTS = ['rotate', 'tablemap', 'writerows', 'updaterows', 'deleterows'];
const DEFAULT_STALL_TIMEOUT_MS = 5_000;
const STALL_CHECK_MS = 250;

/** Errors meaning "the connection went away" (KILL, restart, network): reconnect rather than fail. */
const CONNECTION_LOSS_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_CON_COUNT_ERROR',
  'BINLOG_START_TIMEOUT',
]);
const CONNECTION_LOSS_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR
  1053, // ER_SERVER_SHUTDOWN
  1152, // ER_ABORTING_CONNECTION
  1158,
  1159,
  1160,
  1161, // ER_NET_READ_ERROR, ER_NET_READ_INTERRUPTED, ER_NET_ERROR_ON_WRITE, ER_NET_WRITE_INTERRUPTED
  1317, // ER_QUERY_INTERRUPTED
  1927, // ER_CONNECTION_KILLED (MariaDB)
  2013, // CR_SERVER_LOST
  4031, // ER_CLIENT_INTERACTION_TIMEOUT (MySQL)
]);

/**
 * True when a reader error is a lost connection. Everything else (1236 purged or unreadable binlog, an event or
 * column type zongji cannot decode, missing privileges) is fatal: skipping it would lose row changes.
 */
export function isConnectionLoss(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  if (typeof code === 'string' && CONNECTION_LOSS_CODES.has(code)) return true;
  if (typeof errno === 'number' && CONNECTION_LOSS_ERRNOS.has(errno)) return true;
  // zongji's own report when its metadata connection died before a table lookup.
  return err.message.startsWith('Control connection unavailable');
}

export function createStreamer(opts: StreamerOptions): BinlogStreamer {
  return new Streamer(opts);
}

/** The parts of a mysql2 connection we touch: its socket, paused for backpressure and watched for bytes. */
interface SocketHolder {
  readonly stream?: { pause(): void; resume(): void; on(event: 'data', listener: () => void): unknown };
}

/** What we read of a zongji query event. */
interface ZongjiQueryEvent {
  readonly query: string;
  /** The session's default database when the statement ran ('' for none). */
  readonly schema: string;
  readonly nextPosition: number;
}

class Streamer implements BinlogStreamer {
  private readonly maxReconnects: number;
  private readonly highWaterMark: number;
  private readonly tables: ReadonlySet<string>;
  private readonly exact: ReadonlySet<string>;
  private readonly stallTimeoutMs: number;
  private queue: StreamEvent[] = [];
  private head = 0;
  private waiter: (() => void) | null = null;
  private failure: OscError | null = null;
  private stopped = false;
  private stopping: Promise<void> | null = null;
  private consuming = false;
  private reader: ZongJi | null = null;
  /** Each reader's control pool (see openReaderControlPool), closed with the reader. */
  private readonly controls = new Map<ZongJi, CorePool>();
  /** Bumped for each reader: events and errors of a replaced reader are ignored. */
  private generation = 0;
  private connectedAt = 0;
  private reconnects = 0;
  private reconnecting = false;
  private paused = false;
  private pos: BinlogPosition;
  private stall: StallClock = { lastDataAt: 0, unseenWriteSince: null };
  private watchdog: NodeJS.Timeout | null = null;
  /** Rows queued from the transaction being received, so that a reconnect into it queues none of them again. */
  private received: { resume: BinlogPosition; rows: number } | null = null;
  /** Rows the current reader will deliver again (its start is inside a transaction already partly queued). */
  private redelivered = 0;

  constructor(private readonly opts: StreamerOptions) {
    this.maxReconnects = opts.maxReconnects ?? DEFAULT_MAX_RECONNECTS;
    this.highWaterMark = Math.max(1, opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK);
    this.tables = new Set(opts.tables);
    this.exact = new Set(opts.exactValues ?? []);
    this.stallTimeoutMs = opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.pos = opts.start;
  }

  async start(): Promise<void> {
    const { serverId, start, logger } = this.opts;
    if (!Number.isInteger(serverId) || serverId < 1 || serverId > 0xffffffff) {
      throw new OscError('BINLOG_STREAM', `binlog reader server id ${serverId} is not an integer in 1..4294967295`);
    }
    if (this.reader !== null || this.stopped) throw new OscError('BINLOG_STREAM', 'binlog streamer already started');
    try {
      await this.connect(start);
    } catch (err) {
      this.generation++;
      if (this.reader) await this.close(this.reader);
      throw new OscError(
        'BINLOG_STREAM',
        `cannot start reading the binlog at ${start.file}:${start.position}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    logger.info('binlog_stream_started', { file: start.file, position: start.position, server_id: serverId });
    this.watchdog = setInterval(() => this.checkStall(), STALL_CHECK_MS);
    this.watchdog.unref();
  }

  events(): AsyncIterable<StreamEvent> {
    return { [Symbol.asyncIterator]: () => this.iterator() };
  }

  backlog(): number {
    return this.queue.length - this.head;
  }

  position(): BinlogPosition {
    this.pos = this.readerPosition() ?? this.pos;
    return this.pos;
  }

  heartbeatWritten(startedAt: number): void {
    this.stall = noteWrite(this.stall, startedAt);
  }

  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopped = true;
    this.stopWatchdog();
    this.generation++;
    this.queue = [];
    this.head = 0;
    this.wake();
    this.stopping = Promise.all([...this.controls.keys()].map((r) => this.close(r))).then(() => undefined);
    return this.stopping;
  }

  private iterator(): AsyncIterator<StreamEvent> {
    if (this.consuming) throw new OscError('INTERNAL', 'the binlog event stream has a single consumer');
    this.consuming = true;
    return {
      next: async (): Promise<IteratorResult<StreamEvent>> => {
        for (;;) {
          if (this.failure) throw this.failure;
          if (this.stopped) return { done: true, value: undefined };
          const ev = this.take();
          if (ev) return { done: false, value: ev };
          await new Promise<void>((resolve) => (this.waiter = resolve));
        }
      },
      return: (): Promise<IteratorResult<StreamEvent>> => {
        this.consuming = false;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private take(): StreamEvent | undefined {
    if (this.head >= this.queue.length) return undefined;
    const ev = this.queue[this.head];
    this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 4096 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.backlog() <= this.highWaterMark / 2) this.setPaused(false);
    return ev;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Starts a reader at `from`; resolves on its first event (the dump is running), rejects on an error before that. */
  private connect(from: BinlogPosition): Promise<void> {
    const gen = ++this.generation;
    const { host, port, user, password, serverId, database, tls } = this.opts;
    const connection = { host, port, user, password, ...(tls === undefined ? {} : { tls }) };
    const ssl = sslFor(connection);
    // zongji opens its dump connection with the control pool's settings, this socket factory included.
    const stream = identityStream(connection);
    // A control pool of its own for each reader: a stalled (half-open) path freezes the pool's connections too, and
    // they go with the reader they served (zongji does not close the pool).
    const control = openReaderControlPool({
      ...(ssl === undefined ? {} : { ssl: { ...ssl } }),
      ...(stream === undefined ? {} : { stream }),
      host,
      port,
      user,
      password,
      // Exact values: JSON as its text, DATETIME/TIMESTAMP as strings with every fractional digit, BIGINT and
      // DECIMAL exact, TIMESTAMP rendered in UTC like the applier's sessions (time_zone '+00:00').
      jsonStrings: true,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      timezone: '+00:00',
    });
    const reader = new ZongJi(control);
    this.controls.set(reader, control);
    this.reader = reader;
    this.paused = false;
    const started = new Promise<void>((resolve, reject) => {
      let running = false;
      const timer = setTimeout(() => {
        if (running) return;
        running = true;
        const err = Object.assign(new Error(`no binlog event within ${START_TIMEOUT_MS} ms of starting the dump`), {
          code: 'BINLOG_START_TIMEOUT',
        });
        reject(err);
      }, START_TIMEOUT_MS);
      timer.unref(); // never keeps the process alive after stop()
      // An 'error' listener stays attached for the reader's whole life: zongji rethrows errors nobody listens to.
      reader.on('error', (err: Error) => {
        if (gen !== this.generation) return;
        if (!running) {
          running = true;
          clearTimeout(timer);
          reject(err);
          return;
        }
        this.onReaderError(err);
      });
      reader.on('binlog', (ev) => {
        if (gen !== this.generation) return;
        if (!running) {
          running = true;
          clearTimeout(timer);
          this.connectedAt = Date.now();
          this.stall = noteData(this.stall, Date.now());
          resolve();
        }
        try {
          if (ev.getEventName() === 'query') this.onQuery(reader, ev as unknown as ZongjiQueryEvent);
          else this.onEvent(reader, ev as unknown as ZongjiRowsEvent & ZongjiEvent);
        } catch (err) {
          this.fail(err); // never let an exception escape into zongji's packet handler
        }
      });
      reader.start({
        serverId,
        filename: from.file,
        position: from.position,
        includeEvents: this.opts.statements ? [...INCLUDE_EVENTS, 'query'] : INCLUDE_EVENTS,
        includeSchema: { [database]: [...this.opts.tables] },
      });
    });
    // Any byte on the dump connection shows it alive (an event can take long to arrive whole).
    (reader.connection as SocketHolder | null | undefined)?.stream?.on('data', () => {
      if (gen === this.generation) this.stall = noteData(this.stall, Date.now());
    });
    return started;
  }

  private onEvent(reader: ZongJi, ev: ZongjiRowsEvent & ZongjiEvent): void {
    const resume = this.readerPosition(reader) ?? this.pos;
    this.pos = resume;
    readExactly(ev, this.opts.database, this.exact);
    const rows = this.skipRedelivered(
      mapRowsEvent(ev, { resume, database: this.opts.database, tables: this.tables }),
      resume,
    );
    if (rows.length === 0) return;
    for (const r of rows) this.queue.push(r);
    if (!this.paused && this.backlog() > this.highWaterMark) this.setPaused(true);
    else if (this.paused) this.setPaused(true); // zongji's own pause/resume around a metadata lookup may have resumed it
    this.wake();
  }

  /**
   * A reader started inside a transaction (a reconnect before its commit arrived) delivers the rows of it that
   * are already queued once more: drop them, so that every row is queued exactly once.
   */
  private skipRedelivered(rows: RowEvent[], resume: BinlogPosition): RowEvent[] {
    if (this.received === null || !samePosition(this.received.resume, resume)) {
      this.received = { resume, rows: 0 };
      this.redelivered = 0;
    }
    const skip = Math.min(this.redelivered, rows.length);
    this.redelivered -= skip;
    this.received.rows += rows.length - skip;
    return skip === 0 ? rows : rows.slice(skip);
  }

  /** A query event: queued in its place when it changes a watched table (core/binlog/statements.ts decides). */
  private onQuery(reader: ZongJi, ev: ZongjiQueryEvent): void {
    const watched = this.opts.statements;
    if (!watched) return;
    const verdict = classifyStatement(ev.query, ev.schema, watched);
    if (verdict === null) return;
    const at = this.readerPosition(reader) ?? this.pos;
    const event: StatementEvent = {
      kind: 'statement',
      verdict,
      next: ev.nextPosition > 0 ? { file: at.file, position: ev.nextPosition } : at,
    };
    this.queue.push(event);
    this.wake();
  }

  /** zongji's resume pair: it advances only at transaction boundaries, past everything delivered so far. */
  private readerPosition(reader: ZongJi | null = this.reader): BinlogPosition | null {
    const file = reader?.options.filename;
    const position = reader?.options.position;
    return typeof file === 'string' && file !== '' && typeof position === 'number' ? { file, position } : null;
  }

  private setPaused(paused: boolean): void {
    // Pause the socket, not the mysql2 connection: zongji pauses and resumes the connection itself around
    // metadata lookups, and resuming it early would let row events through before their table's metadata.
    const socket = (this.reader?.connection as SocketHolder | null | undefined)?.stream;
    if (!socket) return;
    if (paused) socket.pause();
    else socket.resume();
    if (paused !== this.paused)
      this.opts.logger.debug(paused ? 'binlog_paused' : 'binlog_resumed', { backlog: this.backlog() });
    // Silence while paused is ours: the stall clock starts again on resume.
    if (!paused && this.paused) this.stall = noteData(this.stall, Date.now());
    this.paused = paused;
  }

  /** The watchdog: a connection that brings nothing although a heartbeat was written is replaced. */
  private checkStall(): void {
    if (this.stopped || this.failure || this.reconnecting || this.paused) return;
    const silent = silentFor(this.stall, Date.now());
    if (silent === null || silent < this.stallTimeoutMs) return;
    const from = this.position();
    this.opts.logger.warn('binlog_stalled', { silent_ms: silent, file: from.file, position: from.position });
    void this.reconnect(
      Object.assign(new Error(`no binlog data for ${silent} ms after a heartbeat write`), { code: 'BINLOG_STALLED' }),
    );
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private onReaderError(err: Error): void {
    if (this.stopped || this.failure) return;
    if (isConnectionLoss(err)) {
      void this.reconnect(err);
      return;
    }
    this.fail(err);
  }

  private async reconnect(cause: Error): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    const from = this.position();
    const old = this.reader;
    this.generation++; // ignore whatever the old reader still emits
    this.redelivered = this.received !== null && samePosition(this.received.resume, from) ? this.received.rows : 0;
    if (old) void this.close(old);
    if (Date.now() - this.connectedAt >= STABLE_CONNECTION_MS) this.reconnects = 0;
    let last: unknown = cause;
    try {
      for (;;) {
        if (this.stopped) return;
        this.reconnects++;
        if (this.reconnects > this.maxReconnects) {
          this.fail(last, `binlog connection lost; ${this.maxReconnects} reconnects failed`);
          return;
        }
        this.opts.logger.warn('binlog_reconnect', {
          attempt: this.reconnects,
          max: this.maxReconnects,
          file: from.file,
          position: from.position,
          reason: errorLabel(last),
        });
        await sleep(Math.min(100 * 2 ** (this.reconnects - 1), 2000));
        if (this.stopped) return;
        try {
          await this.connect(from);
          return;
        } catch (err) {
          last = err;
          if (this.reader) void this.close(this.reader);
          if (!isConnectionLoss(err)) {
            this.fail(err);
            return;
          }
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  /** Stops `reader`, then drops its control pool without waiting on it (a frozen connection answers nothing). */
  private async close(reader: ZongJi): Promise<void> {
    await stopReader(reader);
    const control = this.controls.get(reader);
    this.controls.delete(reader);
    if (control) await destroyReaderControlPool(control);
  }

  private fail(err: unknown, message?: string): void {
    if (this.stopped || this.failure) return;
    this.failure = new OscError('BINLOG_STREAM', message ?? `binlog reader failed: ${errorMessage(err)}`, {
      cause: err,
    });
    this.opts.logger.error('binlog_stream_failed', {
      reason: errorLabel(err),
      file: this.pos.file,
      position: this.pos.position,
    });
    this.stopWatchdog();
    this.generation++;
    if (this.reader) void this.close(this.reader);
    this.wake();
  }
}

/** Stops a reader and waits for its connections to close (zongji gives up KILLing its dump thread after 1 s). */
function stopReader(reader: ZongJi): Promise<void> {
  return new Promise<void>((resolve) => {
    if (reader.stopped) {
      resolve();
      return;
    }
    const timer = setTimeout(resolve, 2000);
    reader.once('stopped', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      reader.stop();
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

function samePosition(a: BinlogPosition, b: BinlogPosition): boolean {
  return a.file === b.file && a.position === b.position;
}
