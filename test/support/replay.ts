// Replay at the applier/streamer level without the orchestrator: read a table's row events with the real
// streamer, then apply them to a ghost table with the real applier, exactly as a migration would.
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { Applier } from '../../src/stages/replay/applier.js';
import { ConflictResolver } from '../../src/stages/replay/conflicts.js';
import type { BinlogPosition, RowEvent } from '../../src/core/binlog/events.js';
import { chooseChunkKey, mapColumns } from '../../src/core/schema.js';
import { createDmlBuilder } from '../../src/core/sql/dml.js';
import { readServerInfo, readTableSchema } from '../../src/io/db/inspector.js';
import type { SessionPool } from '../../src/io/db/pool.js';
import { createStreamer, type BinlogStreamer } from '../../src/io/binlog/streamer.js';
import { silentLogger } from '../../src/core/log.js';
import { createTablePlan, type TablePlan } from '../../src/plan.js';
import { quoteId } from './load.js';
import { testServer, uniqueServerId } from './servers.js';

const POS: BinlogPosition = { file: 'binlog.000001', position: 4 };

/** A streamer that hands out `events` and then waits, as a live one would. */
export function fakeStreamer(events: readonly RowEvent[]): BinlogStreamer {
  let i = 0;
  let stopped = false;
  return {
    start: () => Promise.resolve(),
    events: () => ({
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<RowEvent>> => {
          while (i >= events.length && !stopped) await new Promise((r) => setTimeout(r, 5));
          if (stopped) return { done: true, value: undefined };
          return { done: false, value: events[i++] as RowEvent };
        },
      }),
    }),
    backlog: () => events.length - i,
    position: () => POS,
    heartbeatWritten: () => undefined,
    stop: () => {
      stopped = true;
      return Promise.resolve();
    },
  };
}

/** Takes events until `until` accepts one (included); fails after `timeoutMs`. */
export async function collectEvents(
  s: BinlogStreamer,
  until: (ev: RowEvent) => boolean,
  timeoutMs = 60_000,
): Promise<RowEvent[]> {
  const out: RowEvent[] = [];
  const deadline = setTimeout(() => void s.stop(), timeoutMs);
  try {
    for await (const ev of s.events()) {
      if (ev.kind === 'statement') continue;
      out.push(ev);
      if (until(ev)) return out;
    }
  } finally {
    clearTimeout(deadline);
  }
  throw new Error(`stream ended after ${out.length} events without the expected one`);
}

const MARKERS = '_replay_markers';

/**
 * The row events of `tables` (in `admin`'s current database) that `write` makes, read by the real streamer with
 * exact values, as a migration reads its table.
 */
export async function recordEvents(
  admin: Connection,
  tables: readonly string[],
  write: () => Promise<void>,
): Promise<RowEvent[]> {
  const [[here]] = await admin.query<RowDataPacket[]>('SELECT DATABASE() AS db');
  const database = String(here?.['db']);
  await admin.query(`CREATE TABLE IF NOT EXISTS ${quoteId(MARKERS)} (id INT AUTO_INCREMENT PRIMARY KEY)`);
  const [[status]] = await admin.query<RowDataPacket[]>(
    testServer().flavor === 'mariadb' ? 'SHOW MASTER STATUS' : 'SHOW BINARY LOG STATUS',
  );
  const s = createStreamer({
    ...testServer().primary,
    serverId: uniqueServerId(),
    database,
    tables: [...tables, MARKERS],
    exactValues: tables,
    start: { file: String(status?.['File']), position: Number(status?.['Position']) },
    logger: silentLogger,
  });
  await s.start();
  try {
    await write();
    const [marker] = await admin.query<ResultSetHeader>(`INSERT INTO ${quoteId(MARKERS)} () VALUES ()`);
    const events = await collectEvents(
      s,
      (ev) => ev.table === MARKERS && ev.kind === 'insert' && ev.row['id'] === marker.insertId,
    );
    return events.filter((ev) => ev.table !== MARKERS);
  } finally {
    await s.stop();
  }
}

/**
 * The plan a migration of `table` into `ghost` would use (column mapping, chunk key), read from both tables as they
 * stand; `ghost` may be any table, not only the one osc would name after the original.
 */
export async function planFor(pool: SessionPool, database: string, table: string, ghost: string): Promise<TablePlan> {
  const server = await readServerInfo(pool);
  const original = await readTableSchema(pool, database, table);
  const altered = await readTableSchema(pool, database, ghost);
  const mapping = mapColumns(original, altered, new Map());
  const key = chooseChunkKey(original, altered, mapping);
  if (!key) throw new Error(`no chunk key shared by ${table} and ${ghost}`);
  return {
    ...createTablePlan({ database, table, server, mapping, key, ghostUniqueKeys: altered.uniqueKeys }),
    ghost,
  };
}

export interface ReplayInput {
  readonly pool: SessionPool;
  readonly database: string;
  /** The original table the events belong to. */
  readonly table: string;
  readonly ghost: string;
  readonly events: readonly RowEvent[];
}

/**
 * Replays `events` of `table` onto `ghost` through the applier, with the column mapping and chunk key a
 * migration would choose; rejects with the applier's failure.
 */
export async function replayOnto(r: ReplayInput): Promise<void> {
  const plan = await planFor(r.pool, r.database, r.table, r.ghost);
  const streamer = fakeStreamer(r.events.filter((e) => e.table === r.table));
  const applier = new Applier({
    streamer,
    pool: r.pool,
    plan,
    dml: createDmlBuilder(plan),
    retries: 3,
    batchSize: () => 100,
    logger: silentLogger,
    conflicts: new ConflictResolver(plan, silentLogger),
  });
  void applier.start();
  try {
    await applier.idle();
  } finally {
    applier.stop();
    await streamer.stop();
  }
  await applier.done;
}
