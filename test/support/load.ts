// A write load for end-to-end tests: a seeded random mix of inserts, key-changing updates, other updates
// and deletes, committed one at a time (autocommit) on its own connection. Every committed write is logged
// in commit order with its SQL and params, so verify.ts can replay exactly the same writes offline.
import mysql from 'mysql2/promise';
import type { Connection, ResultSetHeader } from 'mysql2/promise';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

/**
 * How the load writes one table. Rows are named by an integer id; key(id) and values(id, version) must be
 * deterministic and injective enough that unique keys stay unique (ids are never reused).
 */
export interface RowModel {
  /** Chunking-key columns (same names in the old and the new schema). */
  readonly keyColumns: readonly string[];
  /** Every other column the seed fills (never generated columns). */
  readonly valueColumns: readonly string[];
  key(id: number): readonly unknown[];
  /** version 0 is the seed; the load passes a fresh positive version for each write. */
  values(id: number, version: number): readonly unknown[];
}

/** One committed write. `sql` names the table as TABLE_TOKEN; render() points it at a real table. */
export interface LoggedWrite {
  readonly kind: 'insert' | 'update-key' | 'update' | 'delete';
  readonly sql: string;
  readonly params: readonly unknown[];
}

export const TABLE_TOKEN = '{{table}}';

export function renderWrite(w: LoggedWrite, qualifiedTable: string): string {
  return w.sql.split(TABLE_TOKEN).join(qualifiedTable);
}

export function quoteId(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

export function qualified(database: string, table: string): string {
  return `${quoteId(database)}.${quoteId(table)}`;
}

/** Connection options that keep values exact: big integers as strings, dates as text, UTC sessions. */
export async function exactConnection(e: Endpoint, database?: string): Promise<Connection> {
  const conn = await mysql.createConnection({
    host: e.host,
    port: e.port,
    user: e.user,
    password: e.password,
    ...(database === undefined ? {} : { database }),
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    timezone: 'Z',
    charset: 'utf8mb4',
    multipleStatements: true,
  });
  // TIMESTAMP values are written and read as text in the session zone: pin it (+00:00 needs no zone tables).
  await conn.query("SET SESSION time_zone = '+00:00'");
  return conn;
}

/** mulberry32: small, fast, seedable; good enough for choosing operations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Multi-row INSERTs of ids first..last (inclusive) with version-0 values. */
export async function seedRows(conn: Connection, database: string, table: string, model: RowModel, count: number, batch = 1000): Promise<void> {
  const cols = [...model.keyColumns, ...model.valueColumns];
  const rowPlaceholder = `(${cols.map(() => '?').join(', ')})`;
  for (let start = 1; start <= count; start += batch) {
    const end = Math.min(count, start + batch - 1);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (let id = start; id <= end; id++) {
      params.push(...model.key(id), ...model.values(id, 0));
      tuples.push(rowPlaceholder);
    }
    await conn.query(
      `INSERT INTO ${qualified(database, table)} (${cols.map(quoteId).join(', ')}) VALUES ${tuples.join(', ')}`,
      params,
    );
  }
}

export interface LoadOptions {
  readonly endpoint: Endpoint;
  readonly database: string;
  readonly table: string;
  readonly model: RowModel;
  /** Ids 1..seededRows exist when the load starts. */
  readonly seededRows: number;
  readonly seed?: number;
  /** Writes per second (default 300). */
  readonly rate?: number;
  /** Hard bounds: the load stops by itself after this many writes or milliseconds. */
  readonly maxWrites?: number;
  readonly maxMs?: number;
  /** Value columns the load must not write (dropped or renamed by the ALTER). */
  readonly omitColumns?: readonly string[];
  /** Relative weights of the operations (default insert 3, update-key 2, update 3, delete 2). */
  readonly weights?: Partial<Record<LoggedWrite['kind'], number>>;
}

export interface LoadResult {
  readonly writes: readonly LoggedWrite[];
  readonly counts: Readonly<Record<LoggedWrite['kind'], number>>;
  /** Statements that failed with a retryable error and were retried or dropped (never logged). */
  readonly retried: number;
  readonly dropped: number;
  readonly elapsedMs: number;
}

// Errors after which the statement surely did not commit (autocommit: the statement is the transaction).
const RETRYABLE = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1146, // ER_NO_SUCH_TABLE: only in a rename window, if ever
  1412, // ER_TABLE_DEF_CHANGED
]);

function errno(err: unknown): number | undefined {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class LoadGenerator {
  private readonly opts: LoadOptions;
  private readonly rnd: () => number;
  private readonly live: number[] = [];
  private nextId: number;
  private version = 0;
  private stopAt: number | null = null;
  private runner: Promise<LoadResult> | null = null;
  private readonly writes: LoggedWrite[] = [];
  private readonly counts: Record<LoggedWrite['kind'], number> = { insert: 0, 'update-key': 0, update: 0, delete: 0 };
  private retried = 0;
  private dropped = 0;
  private readonly writeCols: readonly string[];
  private readonly writeColIdx: readonly number[];

  constructor(opts: LoadOptions) {
    this.opts = opts;
    this.rnd = prng(opts.seed ?? 42);
    for (let id = 1; id <= opts.seededRows; id++) this.live.push(id);
    this.nextId = opts.seededRows + 1;
    const omit = new Set(opts.omitColumns ?? []);
    this.writeColIdx = opts.model.valueColumns.map((c, i) => (omit.has(c) ? -1 : i)).filter((i) => i >= 0);
    this.writeCols = this.writeColIdx.map((i) => opts.model.valueColumns[i] as string);
  }

  /** Starts writing in the background; stop() ends it and returns the log. */
  start(): this {
    if (this.runner) throw new Error('load already started');
    this.runner = this.run();
    // Surface a crash at stop(), not as an unhandled rejection.
    this.runner.catch(() => undefined);
    return this;
  }

  /** Number of writes committed so far. */
  get committed(): number {
    return this.writes.length;
  }

  /** Keeps writing for afterMs more, then stops and returns every committed write in commit order. */
  async stop(afterMs = 0): Promise<LoadResult> {
    if (!this.runner) throw new Error('load not started');
    const at = Date.now() + afterMs;
    this.stopAt = this.stopAt === null ? at : Math.min(this.stopAt, at);
    return this.runner;
  }

  private pickKind(): LoggedWrite['kind'] {
    if (this.live.length === 0) return 'insert';
    const w = { insert: 3, 'update-key': 2, update: 3, delete: 2, ...this.opts.weights };
    const total = w.insert + w['update-key'] + w.update + w.delete;
    let r = this.rnd() * total;
    for (const k of ['insert', 'update-key', 'update', 'delete'] as const) {
      r -= w[k];
      if (r < 0) return k;
    }
    return 'update';
  }

  private keyWhere(): string {
    return this.opts.model.keyColumns.map((c) => `${quoteId(c)} = ?`).join(' AND ');
  }

  private writeValues(id: number): unknown[] {
    const all = this.opts.model.values(id, ++this.version);
    return this.writeColIdx.map((i) => all[i]);
  }

  /** Builds the next write and what to do to the live set once it commits. */
  private next(): { write: LoggedWrite; commit: () => void } {
    const m = this.opts.model;
    const kind = this.pickKind();
    const t = TABLE_TOKEN;
    if (kind === 'insert') {
      const id = this.nextId++;
      const cols = [...m.keyColumns, ...this.writeCols];
      const sql = `INSERT INTO ${t} (${cols.map(quoteId).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
      return { write: { kind, sql, params: [...m.key(id), ...this.writeValues(id)] }, commit: () => this.live.push(id) };
    }
    const slot = Math.floor(this.rnd() * this.live.length);
    const id = this.live[slot] as number;
    const removeSlot = () => {
      this.live[slot] = this.live[this.live.length - 1] as number;
      this.live.pop();
    };
    if (kind === 'delete') {
      return { write: { kind, sql: `DELETE FROM ${t} WHERE ${this.keyWhere()}`, params: [...m.key(id)] }, commit: removeSlot };
    }
    if (kind === 'update-key') {
      // The chunking key moves: to a fresh id, so it may jump past the copy's current range or its end.
      const to = this.nextId++;
      const set = m.keyColumns.map((c) => `${quoteId(c)} = ?`).join(', ');
      return {
        write: { kind, sql: `UPDATE ${t} SET ${set} WHERE ${this.keyWhere()}`, params: [...m.key(to), ...m.key(id)] },
        commit: () => {
          this.live[slot] = to;
        },
      };
    }
    if (this.writeCols.length === 0) {
      // Nothing but the key to write: a no-op update still makes a row event.
      const c = quoteId(m.keyColumns[0] as string);
      return { write: { kind, sql: `UPDATE ${t} SET ${c} = ${c} WHERE ${this.keyWhere()}`, params: [...m.key(id)] }, commit: () => {} };
    }
    const set = this.writeCols.map((c) => `${quoteId(c)} = ?`).join(', ');
    return {
      write: { kind, sql: `UPDATE ${t} SET ${set} WHERE ${this.keyWhere()}`, params: [...this.writeValues(id), ...m.key(id)] },
      commit: () => {},
    };
  }

  private async run(): Promise<LoadResult> {
    const o = this.opts;
    const started = Date.now();
    const rate = o.rate ?? 300;
    const maxWrites = o.maxWrites ?? 50_000;
    const maxMs = o.maxMs ?? 120_000;
    const target = qualified(o.database, o.table);
    const conn = await exactConnection(o.endpoint);
    try {
      while (this.writes.length < maxWrites) {
        const now = Date.now();
        if (now - started >= maxMs) break;
        if (this.stopAt !== null && now >= this.stopAt) break;
        // Rate limit against the schedule, so a blocked statement (cut-over) is followed by a short burst.
        const due = started + (this.writes.length * 1000) / rate;
        if (due > now) await sleep(Math.min(due - now, 50));
        if (due > Date.now()) continue;
        const { write, commit } = this.next();
        const sql = renderWrite(write, target);
        let done = false;
        for (let attempt = 1; attempt <= 5 && !done; attempt++) {
          try {
            const [res] = await conn.query<ResultSetHeader>(sql, [...write.params]);
            if (write.kind !== 'insert' && write.kind !== 'update' && res.affectedRows !== 1) {
              throw new Error(`load: ${write.kind} affected ${res.affectedRows} rows; the load's view of the table is wrong`);
            }
            this.writes.push(write);
            this.counts[write.kind]++;
            commit();
            done = true;
          } catch (err) {
            const n = errno(err);
            if (n === undefined || !RETRYABLE.has(n)) throw err;
            this.retried++;
            await sleep(20 * attempt);
          }
        }
        if (!done) {
          this.dropped++;
          // An insert or key move that never committed leaves its fresh id unused: harmless.
        }
      }
    } finally {
      await conn.end().catch(() => undefined);
    }
    return { writes: this.writes, counts: { ...this.counts }, retried: this.retried, dropped: this.dropped, elapsedMs: Date.now() - started };
  }
}
