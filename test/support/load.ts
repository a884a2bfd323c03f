// A write load for end-to-end tests: several writer connections, each running a seeded random mix of inserts,
// key-changing updates, other updates and deletes, in transactions of one statement (autocommit) to a few, some
// rolled back on purpose. Each writer owns its rows: ids are never shared between writers and unique values derive
// from the id and a version, so transactions of different writers commute and the log of committed transactions,
// in the order their COMMITs returned, replays offline to exactly the live table (verify.ts).
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
  /**
   * Value columns the server stamps on an UPDATE that leaves them out (ON UPDATE CURRENT_TIMESTAMP): key moves set
   * them too, so an offline replay gives the same values.
   */
  readonly onUpdateColumns?: readonly string[];
}

export type WriteKind = 'insert' | 'update-key' | 'update' | 'delete';

/** One committed write. `sql` names the table as TABLE_TOKEN; render() points it at a real table. */
export interface LoggedWrite {
  /** 'statement': run between the load's transactions by interject() (a scenario's mid-run step). */
  readonly kind: WriteKind | 'statement';
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
  // wait_timeout too: a scenario may lower the GLOBAL value for a while (wait-timeout-5), and a test connection
  // opened then would be cut after a few idle seconds.
  await conn.query("SET SESSION time_zone = '+00:00', SESSION wait_timeout = 28800");
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
export async function seedRows(
  conn: Connection,
  database: string,
  table: string,
  model: RowModel,
  count: number,
  batch = 1000,
): Promise<void> {
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
  /** Statements per second, all writers together (default 300). */
  readonly rate?: number;
  /** Hard bounds: the load stops by itself after this many writes or milliseconds. */
  readonly maxWrites?: number;
  readonly maxMs?: number;
  /** Value columns the load must not write (dropped or renamed by the ALTER). */
  readonly omitColumns?: readonly string[];
  /** Relative weights of the operations (default insert 3, update-key 2, update 3, delete 2). */
  readonly weights?: Partial<Record<WriteKind, number>>;
  /** Writer connections (default 4), each with its own share of the rows. */
  readonly writers?: number;
  /** Statements per transaction, drawn from 1..this (default 4); a one-statement transaction is autocommit. */
  readonly maxTransactionWrites?: number;
  /** Share of multi-statement transactions that end in ROLLBACK on purpose (default 0.1). */
  readonly rollbackRatio?: number;
}

export interface LoadResult {
  /** Every committed write, in commit order. */
  readonly writes: readonly LoggedWrite[];
  readonly counts: Readonly<Record<LoggedWrite['kind'], number>>;
  /** Transactions that failed with a retryable error and were retried, or dropped after 5 attempts (never logged). */
  readonly retried: number;
  readonly dropped: number;
  /** Transactions committed, and rolled back on purpose (never logged). */
  readonly transactions: number;
  readonly rolledBack: number;
  readonly elapsedMs: number;
}

/** A statement run between the load's transactions, while no writer has one open. */
export interface Interjection {
  /** Statements run first on the same connection and not logged (session settings). */
  readonly session?: readonly string[];
  /** TABLE_TOKEN names the load's table; the statement is logged (kind 'statement') only when it names it. */
  readonly sql: string;
  /** What it does to the load's rows: 'truncate' removes them all; absent, it leaves which rows exist alone. */
  readonly effect?: 'truncate';
}

// Errors after which the transaction surely did not commit; it is rolled back and run again.
const RETRYABLE = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT (only the statement is undone: the writer rolls back the rest)
  1213, // ER_LOCK_DEADLOCK
  1146, // ER_NO_SUCH_TABLE: only in a rename window, if ever
  1412, // ER_TABLE_DEF_CHANGED
]);
const ATTEMPTS = 5;

function errno(err: unknown): number | undefined {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One writer: its rows (ids no other writer touches), its random stream, its schedule. */
interface Writer {
  readonly rnd: () => number;
  live: number[];
  /** Statements sent so far, committed or not: the rate schedule counts them. */
  sent: number;
}

export class LoadGenerator {
  private readonly opts: LoadOptions;
  private readonly writers: Writer[] = [];
  private nextId: number;
  private version = 0;
  private stopAt: number | null = null;
  private runner: Promise<LoadResult> | null = null;
  private failed = false;
  private readonly writes: LoggedWrite[] = [];
  private readonly counts: Record<LoggedWrite['kind'], number> = {
    insert: 0,
    'update-key': 0,
    update: 0,
    delete: 0,
    statement: 0,
  };
  private retried = 0;
  private dropped = 0;
  private transactions = 0;
  private rolledBack = 0;
  /** Writers start no transaction while an interjection holds the gate; inFlight counts those open. */
  private gate: Promise<void> | null = null;
  private inFlight = 0;
  private readonly writeCols: readonly string[];
  private readonly writeColIdx: readonly number[];
  private readonly keyMoveColIdx: readonly number[];

  constructor(opts: LoadOptions) {
    this.opts = opts;
    const count = Math.max(1, opts.writers ?? 4);
    for (let i = 0; i < count; i++) this.writers.push({ rnd: prng((opts.seed ?? 42) + 7919 * i), live: [], sent: 0 });
    for (let id = 1; id <= opts.seededRows; id++) (this.writers[(id - 1) % count] as Writer).live.push(id);
    this.nextId = opts.seededRows + 1;
    const omit = new Set(opts.omitColumns ?? []);
    const index = (cols: readonly string[]) =>
      opts.model.valueColumns.map((c, i) => (cols.includes(c) && !omit.has(c) ? i : -1)).filter((i) => i >= 0);
    this.writeColIdx = index(opts.model.valueColumns);
    this.writeCols = this.writeColIdx.map((i) => opts.model.valueColumns[i] as string);
    this.keyMoveColIdx = index(opts.model.onUpdateColumns ?? []);
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

  /**
   * Runs `step` while no writer has a transaction open (they wait), logs it in its place among the committed
   * writes, and applies its effect to the rows the writers know.
   */
  async interject(step: Interjection): Promise<void> {
    if (!this.runner) throw new Error('load not started');
    while (this.gate) await this.gate;
    let open = () => {};
    this.gate = new Promise<void>((r) => (open = r));
    try {
      while (this.inFlight > 0) await sleep(5);
      const conn = await exactConnection(this.opts.endpoint);
      try {
        for (const s of step.session ?? []) await conn.query(s);
        await conn.query(
          renderWrite({ kind: 'statement', sql: step.sql, params: [] }, qualified(this.opts.database, this.opts.table)),
        );
      } finally {
        await conn.end().catch(() => undefined);
      }
      if (step.sql.includes(TABLE_TOKEN)) {
        this.writes.push({ kind: 'statement', sql: step.sql, params: [] });
        this.counts.statement++;
      }
      if (step.effect === 'truncate') for (const w of this.writers) w.live = [];
    } finally {
      this.gate = null;
      open();
    }
  }

  /** Logs a write the caller committed itself, just now, on rows the load never touches. */
  record(write: LoggedWrite): void {
    this.writes.push(write);
    this.counts[write.kind]++;
  }

  private pickKind(w: Writer, live: readonly number[]): WriteKind {
    if (live.length === 0) return 'insert';
    const weights = { insert: 3, 'update-key': 2, update: 3, delete: 2, ...this.opts.weights };
    const total = weights.insert + weights['update-key'] + weights.update + weights.delete;
    let r = w.rnd() * total;
    for (const k of ['insert', 'update-key', 'update', 'delete'] as const) {
      r -= weights[k];
      if (r < 0) return k;
    }
    return 'update';
  }

  private keyWhere(): string {
    return this.opts.model.keyColumns.map((c) => `${quoteId(c)} = ?`).join(' AND ');
  }

  private valuesAt(id: number, idx: readonly number[]): unknown[] {
    const all = this.opts.model.values(id, ++this.version);
    return idx.map((i) => all[i]);
  }

  /** The next write of writer `w`; `live` (the writer's rows as its open transaction sees them) follows it. */
  private next(w: Writer, live: number[]): LoggedWrite {
    const m = this.opts.model;
    const kind = this.pickKind(w, live);
    const t = TABLE_TOKEN;
    if (kind === 'insert') {
      const id = this.nextId++;
      const cols = [...m.keyColumns, ...this.writeCols];
      live.push(id);
      return {
        kind,
        sql: `INSERT INTO ${t} (${cols.map(quoteId).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
        params: [...m.key(id), ...this.valuesAt(id, this.writeColIdx)],
      };
    }
    const slot = Math.floor(w.rnd() * live.length);
    const id = live[slot] as number;
    if (kind === 'delete') {
      live[slot] = live[live.length - 1] as number;
      live.pop();
      return { kind, sql: `DELETE FROM ${t} WHERE ${this.keyWhere()}`, params: [...m.key(id)] };
    }
    if (kind === 'update-key') {
      // The chunking key moves: to a fresh id, so it may jump past the copy's current range or its end.
      const to = this.nextId++;
      live[slot] = to;
      const stamped = this.keyMoveColIdx.map((i) => m.valueColumns[i] as string);
      const set = [...m.keyColumns, ...stamped].map((c) => `${quoteId(c)} = ?`).join(', ');
      const params = [...m.key(to), ...(stamped.length > 0 ? this.valuesAt(to, this.keyMoveColIdx) : []), ...m.key(id)];
      return { kind, sql: `UPDATE ${t} SET ${set} WHERE ${this.keyWhere()}`, params };
    }
    if (this.writeCols.length === 0) {
      // Nothing but the key to write: a no-op update still makes a row event.
      const c = quoteId(m.keyColumns[0] as string);
      return { kind, sql: `UPDATE ${t} SET ${c} = ${c} WHERE ${this.keyWhere()}`, params: [...m.key(id)] };
    }
    const set = this.writeCols.map((c) => `${quoteId(c)} = ?`).join(', ');
    return {
      kind,
      sql: `UPDATE ${t} SET ${set} WHERE ${this.keyWhere()}`,
      params: [...this.valuesAt(id, this.writeColIdx), ...m.key(id)],
    };
  }

  private stopping(started: number, maxWrites: number, maxMs: number): boolean {
    const now = Date.now();
    return (
      this.failed ||
      this.writes.length >= maxWrites ||
      now - started >= maxMs ||
      (this.stopAt !== null && now >= this.stopAt)
    );
  }

  private async run(): Promise<LoadResult> {
    const started = Date.now();
    try {
      await Promise.all(this.writers.map((w) => this.runWriter(w, started)));
    } catch (err) {
      this.failed = true;
      throw err;
    }
    return {
      writes: this.writes,
      counts: { ...this.counts },
      retried: this.retried,
      dropped: this.dropped,
      transactions: this.transactions,
      rolledBack: this.rolledBack,
      elapsedMs: Date.now() - started,
    };
  }

  private async runWriter(w: Writer, started: number): Promise<void> {
    const o = this.opts;
    // Each writer keeps its share of the rate, against its own schedule, so a blocked statement (cut-over) is
    // followed by a short burst.
    const msPerStatement = (1000 * this.writers.length) / (o.rate ?? 300);
    const maxWrites = o.maxWrites ?? 50_000;
    const maxMs = o.maxMs ?? 120_000;
    const maxSize = Math.max(1, o.maxTransactionWrites ?? 4);
    const rollbackRatio = o.rollbackRatio ?? 0.1;
    const target = qualified(o.database, o.table);
    const conn = await exactConnection(o.endpoint);
    try {
      for (;;) {
        if (this.stopping(started, maxWrites, maxMs)) break;
        const due = started + w.sent * msPerStatement;
        if (due > Date.now()) {
          await sleep(Math.min(due - Date.now(), 50));
          continue;
        }
        while (this.gate) await this.gate;
        if (this.stopping(started, maxWrites, maxMs)) break;
        this.inFlight++;
        try {
          await this.transaction(w, conn, target, maxSize, rollbackRatio);
        } catch (err) {
          this.failed = true;
          throw err;
        } finally {
          this.inFlight--;
        }
      }
    } finally {
      await conn.end().catch(() => undefined);
    }
  }

  /** Plans one transaction on a copy of the writer's rows, runs it (retrying it whole), and keeps its effect if it committed. */
  private async transaction(
    w: Writer,
    conn: Connection,
    target: string,
    maxSize: number,
    rollbackRatio: number,
  ): Promise<void> {
    const size = 1 + Math.floor(w.rnd() * maxSize);
    const live = w.live.slice();
    const writes: LoggedWrite[] = [];
    for (let i = 0; i < size; i++) writes.push(this.next(w, live));
    const rollback = size > 1 && w.rnd() < rollbackRatio;
    w.sent += size;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        if (size > 1) await conn.query('START TRANSACTION');
        for (const write of writes) {
          const [res] = await conn.query<ResultSetHeader>(renderWrite(write, target), [...write.params]);
          if ((write.kind === 'delete' || write.kind === 'update-key') && res.affectedRows !== 1) {
            throw new Error(
              `load: ${write.kind} affected ${res.affectedRows} rows; the load's view of the table is wrong`,
            );
          }
        }
        if (rollback) {
          await conn.query('ROLLBACK');
          this.rolledBack++;
          return;
        }
        if (size > 1) await conn.query('COMMIT');
        for (const write of writes) {
          this.writes.push(write);
          this.counts[write.kind]++;
        }
        this.transactions++;
        w.live = live;
        return;
      } catch (err) {
        if (size > 1) await conn.query('ROLLBACK').catch(() => undefined);
        const n = errno(err);
        if (n === undefined || !RETRYABLE.has(n)) throw err;
        this.retried++;
        await sleep(20 * attempt);
      }
    }
    // A transaction that never committed leaves its fresh ids unused: harmless.
    this.dropped++;
  }
}
