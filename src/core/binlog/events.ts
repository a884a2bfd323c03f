// Our own row-event type, independent of the binlog library (io/binlog/streamer.ts maps zongji's events to it).
import type { StatementVerdict } from './statements.js';

/** A point in the binlog. A RowEvent's `resume` position is a transaction boundary that is safe to restart from. */
export interface BinlogPosition {
  readonly file: string;
  readonly position: number;
}

/**
 * Column name -> value, as decoded: numbers, strings (BIGINT beyond 2^53, DECIMAL, dates, JSON text, ENUM/SET
 * members), Buffers (binaries; with the streamer's exactValues also CHAR/VARCHAR/TEXT in the column's charset and
 * spatial values in the server's internal format), null.
 */
export type Row = Readonly<Record<string, unknown>>;

interface EventBase {
  readonly database: string;
  readonly table: string;
  /** Restart here (transaction boundary) to see this event again. */
  readonly resume: BinlogPosition;
  /** End of this event in the binlog. */
  readonly next: BinlogPosition;
  /** The GTID of the event's transaction (core/binlog/gtid.ts); absent or null when it has none. */
  readonly gtid?: string | null;
}

export interface InsertEvent extends EventBase {
  readonly kind: 'insert';
  readonly row: Row;
}

export interface UpdateEvent extends EventBase {
  readonly kind: 'update';
  readonly before: Row;
  readonly after: Row;
}

export interface DeleteEvent extends EventBase {
  readonly kind: 'delete';
  readonly row: Row;
}

export type RowEvent = InsertEvent | UpdateEvent | DeleteEvent;
export type RowEventKind = RowEvent['kind'];

/** A statement (query event) that changed a watched table outside row events: replay cannot follow it. */
export interface StatementEvent {
  readonly kind: 'statement';
  readonly verdict: StatementVerdict;
  /** End of the statement in the binlog. */
  readonly next: BinlogPosition;
}

/** What the streamer delivers, in binlog order. */
export type StreamEvent = RowEvent | StatementEvent;

export function formatPosition(p: BinlogPosition): string {
  return `${p.file}:${p.position}`;
}
