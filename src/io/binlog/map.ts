// zongji rows event -> our RowEvents, one per row. Pure: it sees zongji's events only through the narrow
// structural types below, so it is unit-tested without a server (test/unit/streamer-map.test.ts).
import type { BinlogPosition, Row, RowEvent } from '../../core/binlog/events.js';
import { normalizeValue } from './values.js';

/** What we read of a zongji TableMap cache entry (zongji fills `columns` once the table's metadata is known). */
export interface ZongjiTable {
  readonly parentSchema: string;
  readonly tableName: string;
  readonly columns?: readonly { readonly name: string; readonly type: number }[];
}

type ZongjiRow = Readonly<Record<string, unknown>>;

/** What we read of a zongji writerows / updaterows / deleterows event. */
export interface ZongjiRowsEvent {
  getEventName(): string;
  readonly tableId: number;
  readonly tableMap: Readonly<Record<number, ZongjiTable | undefined>>;
  readonly rows?: readonly unknown[];
  /** End of the event; 0 inside a MariaDB transaction (MariaDB writes end_log_pos=0 there). */
  readonly nextPosition: number;
  /** Its transaction's GTID (`uuid:n` MySQL, `domain-server-seq` MariaDB); undefined when it has none. */
  readonly gtid?: string | undefined;
}

export interface MapContext {
  /** zongji's resume pair read while the event was delivered: the start of the event's transaction. */
  readonly resume: BinlogPosition;
  /** Only these tables of this database reach the consumer. */
  readonly database: string;
  readonly tables: ReadonlySet<string>;
}

const KINDS: Readonly<Record<string, RowEvent['kind']>> = {
  writerows: 'insert',
  updaterows: 'update',
  deleterows: 'delete',
};

/** Maps one zongji event to RowEvents in row order; [] for other events and for other tables or databases. */
export function mapRowsEvent(ev: ZongjiRowsEvent, ctx: MapContext): RowEvent[] {
  const kind = KINDS[ev.getEventName()];
  if (kind === undefined) return [];
  const table = ev.tableMap[ev.tableId];
  if (table === undefined || table.parentSchema !== ctx.database || !ctx.tables.has(table.tableName)) return [];
  const types = new Map<string, number>((table.columns ?? []).map((c) => [c.name, c.type]));
  const base = {
    database: table.parentSchema,
    table: table.tableName,
    resume: ctx.resume,
    // MariaDB leaves end_log_pos at 0 inside a transaction: the transaction's start is the best we know there.
    next: ev.nextPosition > 0 ? { file: ctx.resume.file, position: ev.nextPosition } : ctx.resume,
    gtid: typeof ev.gtid === 'string' && ev.gtid !== '' ? ev.gtid : null,
  };
  const out: RowEvent[] = [];
  for (const raw of ev.rows ?? []) {
    if (kind === 'update') {
      const pair = raw as { readonly before: ZongjiRow; readonly after: ZongjiRow };
      out.push({ ...base, kind, before: normalizeRow(pair.before, types), after: normalizeRow(pair.after, types) });
    } else {
      out.push({ ...base, kind, row: normalizeRow(raw as ZongjiRow, types) });
    }
  }
  return out;
}

function normalizeRow(row: ZongjiRow, types: ReadonlyMap<string, number>): Row {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) out[name] = normalizeValue(types.get(name) ?? -1, value);
  return Object.freeze(out);
}
