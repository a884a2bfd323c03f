// mysql2 connections with osc's session settings, behind a narrow interface.
import mysql from 'mysql2/promise';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { ConnectionConfig } from '../core/config.js';
import { PreflightError } from '../core/errors.js';
import { sleep } from '../sleep.js';

/** A plain row as mysql2 returns it with our options: BIGINT/DECIMAL as strings, dates as strings, binary as Buffers. */
export type DbRow = Record<string, unknown>;

/** What osc needs from a connection; pool and dedicated connections both provide it. */
export interface Db {
  rows<T extends DbRow = DbRow>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<ResultSetHeader>;
}

export interface Session extends Db {
  readonly threadId: number;
  close(): Promise<void>;
  /** Closes the socket at once, without waiting for a running statement. */
  destroy(): void;
}

export interface SessionPool extends Db {
  /** A connection of the pool for several statements in a row (a transaction, or a statement and its SHOW WARNINGS). */
  withSession<T>(fn: (s: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// Exact values: BIGINT and DECIMAL stay strings (rounding above 2^53 would skip or duplicate rows), dates stay
// strings (DATETIME(6) keeps its microseconds), and every session is pinned to +00:00 like the binlog reader,
// so TIMESTAMP values read, compared and written never shift.
function baseOptions(c: ConnectionConfig): mysql.ConnectionOptions {
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    charset: 'UTF8MB4_GENERAL_CI',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    timezone: '+00:00',
    connectTimeout: 10_000,
    multipleStatements: false,
  };
}

// STRICT_ALL_TABLES: a value that does not fit is an error, never a silent truncation (IGNORE still turns errors
// into warnings, which the copier reads). NO_AUTO_VALUE_ON_ZERO: an AUTO_INCREMENT key of 0 is copied as 0.
// No NO_ZERO_DATE/NO_ZERO_IN_DATE: rows the original already holds must copy as they are.
export const SESSION_SETUP =
  "SET SESSION time_zone = '+00:00', " +
  "sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'";

// Room for every warning of a chunk, so the copier sees them all. MySQL 9.7 needs SESSION_VARIABLES_ADMIN for
// this (verified), MariaDB 10.11 does not: where it is refused the server's own limit stays (MySQL's default
// 1024), and the copier keeps its chunks within that limit.
export const WARNING_ROOM = 'SET SESSION max_error_count = 65535';

function wrap(conn: mysql.Connection | mysql.PoolConnection | mysql.Pool): Db {
  return {
    async rows<T extends DbRow>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const [rows] = await conn.query<RowDataPacket[]>(sql, params as unknown[]);
      return rows as unknown as T[];
    },
    async run(sql: string, params: readonly unknown[] = []): Promise<ResultSetHeader> {
      const [res] = await conn.query<ResultSetHeader>(sql, params as unknown[]);
      return res;
    },
  };
}

export async function openSession(c: ConnectionConfig): Promise<Session> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection(baseOptions(c));
  } catch (err) {
    throw connectError(c, err);
  }
  await conn.query(SESSION_SETUP);
  await conn.query(WARNING_ROOM).catch(() => undefined);
  const db = wrap(conn);
  return {
    ...db,
    threadId: conn.threadId,
    close: async () => {
      await conn.end().catch(() => conn.destroy());
    },
    destroy: () => conn.destroy(),
  };
}

export function openPool(c: ConnectionConfig, size: number): SessionPool {
  const pool = mysql.createPool({ ...baseOptions(c), connectionLimit: size, waitForConnections: true, maxIdle: size });
  // The callback form: the session settings are queued before the pool hands the connection out.
  pool.pool.on('connection', (conn) => {
    conn.query(SESSION_SETUP);
    conn.query(WARNING_ROOM, () => undefined);
  });
  const db = wrap(pool);
  return {
    ...db,
    async withSession<T>(fn: (s: Db) => Promise<T>): Promise<T> {
      const conn = await pool.getConnection();
      try {
        return await fn(wrap(conn));
      } finally {
        conn.release();
      }
    },
    close: () => pool.end(),
  };
}

/** The server's error number (1205, 1213, ...) or the driver's code ('ECONNREFUSED'), if any. */
export function sqlErrno(err: unknown): number | undefined {
  const e = err as { errno?: unknown } | null;
  return typeof e?.errno === 'number' ? e.errno : undefined;
}

export function driverCode(err: unknown): string | undefined {
  const e = err as { code?: unknown } | null;
  return typeof e?.code === 'string' ? e.code : undefined;
}

// Errors after which the same statement may simply be run again. Lock wait timeout and deadlock roll back
// the statement (InnoDB); a lost connection loses it; the pool hands out a fresh connection next time.
export const RETRYABLE_ERRNOS: ReadonlySet<number> = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  1927, // MariaDB ER_CONNECTION_KILLED
]);
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

export function isRetryable(err: unknown): boolean {
  const n = sqlErrno(err);
  if (n !== undefined && RETRYABLE_ERRNOS.has(n)) return true;
  const code = driverCode(err);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

export const ER_DUP_ENTRY = 1062;

function connectError(c: ConnectionConfig, err: unknown): PreflightError {
  const where = `${c.host}:${c.port}`;
  const n = sqlErrno(err);
  const code = driverCode(err);
  if (n === 1045 || code === 'ER_ACCESS_DENIED_ERROR') {
    return new PreflightError('ACCESS_DENIED', `access denied for user '${c.user}' at ${where}: check --user and --password (or OSC_PASSWORD / --conf)`, { cause: err });
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT' || code === 'EAI_AGAIN') {
    return new PreflightError('CONNECT_FAILED', `cannot connect to ${where} (${code}): check --host and --port, and that the server is running`, { cause: err });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new PreflightError('CONNECT_FAILED', `cannot connect to ${where}: ${msg}`, { cause: err });
}

/** Retries `fn` on retryable errors, up to `retries` times in all, with a short growing pause. */
export async function withRetries<T>(retries: number, fn: () => Promise<T>, onRetry?: (attempt: number, err: unknown) => void, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || attempt >= retries || signal?.aborted) throw err;
      onRetry?.(attempt, err);
      await sleep(Math.min(100 * attempt, 2000), signal);
    }
  }
}
