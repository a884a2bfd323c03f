// mysql2 connections with osc's session settings, behind a narrow interface.
import mysql from 'mysql2/promise';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Pool as CorePool } from 'mysql2';
import type { ConnectionConfig } from '../../core/config.js';
import { PreflightError } from '../../core/errors.js';
import { driverCode, errorMessage, sqlErrno } from './errors.js';
import { fallBackToPlain, identityStream, sslFor } from './tls.js';
import {
  SERVER_SQL_MODE_QUERY,
  SESSION_WAIT_TIMEOUT_SECONDS,
  WARNING_ROOM,
  sessionSetup,
  sessionSqlMode,
  setSqlMode,
  setWaitTimeout,
} from '../../core/sql/session.js';

/** A plain row as mysql2 returns it with our options: BIGINT/DECIMAL as strings, dates as strings, binary as Buffers. */
export type DbRow = Record<string, unknown>;

/** A column read back as text (SHOW output: strings, numbers); anything else is ''. */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return '';
}

/** What osc needs from a connection; pool and dedicated connections both provide it. */
export interface Db {
  rows<T extends DbRow = DbRow>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<ResultSetHeader>;
}

export interface Session extends Db {
  readonly threadId: number;
  /**
   * Runs one statement under the server's own sql_mode rather than osc's: the user's ALTER text, so that the ghost
   * accepts exactly what a native ALTER would (a zero date default under NO_ZERO_DATE, ...).
   */
  runUnderServerMode(sql: string): Promise<ResultSetHeader>;
  /** The error that ended the connection by itself (killed, timed out, network), or null while it is up. */
  lostWith(): Error | null;
  close(): Promise<void>;
  /** Closes the socket at once, without waiting for a running statement (which the server may still finish). */
  destroy(): void;
}

export interface SessionOptions {
  /** Pings the server while the session is idle, so that it outlives any wait_timeout however long the run. */
  readonly keepAlive?: boolean;
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
  const ssl = sslFor(c);
  const stream = identityStream(c);
  return {
    ...(ssl === undefined ? {} : { ssl: { ...ssl } }),
    ...(stream === undefined ? {} : { stream }),
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

/** Well under SESSION_WAIT_TIMEOUT_SECONDS: an idle admin session pings this often. */
const KEEP_ALIVE_MS = 60_000;
const CLOSE_WAIT_MS = 2_000;
/** Pool connections idle this long are closed by the pool (checked every second), never by the server. */
const POOL_IDLE_MS = 60_000;

function wrap(conn: mysql.Connection | mysql.PoolConnection): Db {
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

/** True when `p` resolves within `ms` (false when it rejects or takes longer); never keeps the process alive. */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      () => {
        clearTimeout(t);
        resolve(false);
      },
    );
  });
}

/** Reads the server's mode and sets osc's session up; returns the server's mode. */
async function setUp(conn: mysql.Connection | mysql.PoolConnection): Promise<string> {
  const [rows] = await conn.query<RowDataPacket[]>(SERVER_SQL_MODE_QUERY);
  const serverMode = String(rows[0]?.['mode'] ?? '');
  const st = sessionSetup(sessionSqlMode(serverMode));
  await conn.query(st.sql, st.params as unknown[]);
  await conn.query(WARNING_ROOM).catch(() => undefined);
  return serverMode;
}

export async function openSession(c: ConnectionConfig, opts: SessionOptions = {}): Promise<Session> {
  const options = baseOptions(c);
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection(options).catch((err: unknown) => {
      // --ssl-mode preferred: a server without TLS gets a plain connection.
      if (fallBackToPlain(c, err)) return mysql.createConnection(baseOptions(c));
      throw err;
    });
  } catch (err) {
    throw connectError(c, err);
  }
  // A connection that ends while idle reports it here; without a listener the event would crash the process.
  let lost: Error | null = null;
  conn.on('error', (err: Error) => {
    lost ??= err;
  });
  let serverMode: string;
  try {
    serverMode = await setUp(conn);
  } catch (err) {
    conn.destroy();
    throw err;
  }
  const oscMode = setSqlMode(sessionSqlMode(serverMode));
  const db = wrap(conn);
  let keepAlive: NodeJS.Timeout | null = null;
  if (opts.keepAlive === true) {
    keepAlive = setInterval(() => {
      if (lost === null) conn.ping().catch(() => undefined);
    }, KEEP_ALIVE_MS);
    keepAlive.unref();
  }
  const stop = () => {
    if (keepAlive !== null) clearInterval(keepAlive);
  };
  return {
    ...db,
    threadId: conn.threadId,
    async runUnderServerMode(sql: string): Promise<ResultSetHeader> {
      const server = setSqlMode(serverMode);
      await db.run(server.sql, server.params);
      try {
        return await db.run(sql);
      } finally {
        await db.run(oscMode.sql, oscMode.params);
      }
    },
    lostWith: () => lost,
    close: async () => {
      stop();
      // A half-open connection may never answer the goodbye: bounded, then the socket is closed anyway.
      if (!(await settlesWithin(conn.end(), CLOSE_WAIT_MS))) conn.destroy();
    },
    destroy: () => {
      stop();
      conn.destroy();
    },
  };
}

/**
 * A plain (callback) mysql2 pool for the binlog reader's own queries (zongji's "control connection": table
 * metadata, binlog checksum, version). A single control connection sits idle between table lookups and dies at a
 * short wait_timeout, taking the reader down with it (seen on MySQL 9.7); the pool's connections set the servers'
 * default idle timeout, are replaced when lost and closed by the pool after a minute of idleness. The dump
 * connection itself never idles out: the server keeps sending on it.
 */
export function openReaderControlPool(options: mysql.PoolOptions): CorePool {
  const pool = mysql.createPool({ ...options, connectionLimit: 2, maxIdle: 1, idleTimeout: POOL_IDLE_MS }).pool;
  const open = new Set<PoolConnectionLike>();
  controlConnections.set(pool, open);
  // Queued before the pool hands the new connection out, so before any query of the reader's.
  pool.on('connection', (conn) => {
    open.add(conn);
    conn.once('end', () => open.delete(conn));
    const st = setWaitTimeout(SESSION_WAIT_TIMEOUT_SECONDS);
    conn.query(st.sql, st.params as unknown[], () => undefined);
  });
  return pool;
}

interface PoolConnectionLike {
  destroy(): void;
}

const controlConnections = new WeakMap<CorePool, Set<PoolConnectionLike>>();
const CONTROL_END_MS = 1000;

/**
 * Closes a reader's control pool at once: its connections are destroyed, not asked to QUIT, since on a half-open
 * path (the reason a reader is replaced) a QUIT is never answered and pool.end() would wait forever.
 */
export function destroyReaderControlPool(pool: CorePool): Promise<void> {
  for (const conn of controlConnections.get(pool) ?? []) conn.destroy();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CONTROL_END_MS);
    pool.end(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function openPool(c: ConnectionConfig, size: number): SessionPool {
  // maxIdle below the limit turns on mysql2's eviction of connections idle longer than idleTimeout.
  const pool = mysql.createPool({
    ...baseOptions(c),
    connectionLimit: size,
    waitForConnections: true,
    maxIdle: Math.max(1, size - 1),
    idleTimeout: POOL_IDLE_MS,
  });
  // Each connection is set up before its first use (the pool opens them lazily).
  const ready = new WeakSet<object>();
  async function acquire(): Promise<mysql.PoolConnection> {
    const conn = await pool.getConnection();
    if (!ready.has(conn.connection)) {
      try {
        await setUp(conn);
      } catch (err) {
        conn.destroy();
        throw err;
      }
      ready.add(conn.connection);
    }
    return conn;
  }
  async function withSession<T>(fn: (s: Db) => Promise<T>): Promise<T> {
    const conn = await acquire();
    try {
      return await fn(wrap(conn));
    } finally {
      conn.release();
    }
  }
  return {
    rows: <T extends DbRow>(sql: string, params?: readonly unknown[]) => withSession((s) => s.rows<T>(sql, params)),
    run: (sql: string, params?: readonly unknown[]) => withSession((s) => s.run(sql, params)),
    withSession,
    close: () => pool.end(),
  };
}

/** Node's certificate errors (UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID, ...). */
function isTlsError(err: unknown): boolean {
  const code = driverCode(err);
  return /CERT|SELF_SIGNED|ERR_TLS|ERR_SSL|UNABLE_TO_(GET|VERIFY)/.test(code ?? '');
}

function connectError(c: ConnectionConfig, err: unknown): PreflightError {
  const where = `${c.host}:${c.port}`;
  const n = sqlErrno(err);
  const code = driverCode(err);
  if (n === 1045 || code === 'ER_ACCESS_DENIED_ERROR') {
    return new PreflightError(
      'ACCESS_DENIED',
      `access denied for user '${c.user}' at ${where}: check --user and --password (or OSC_PASSWORD / --conf)`,
      { cause: err },
    );
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EHOSTUNREACH' ||
    code === 'ETIMEDOUT' ||
    code === 'EAI_AGAIN'
  ) {
    return new PreflightError(
      'CONNECT_FAILED',
      `cannot connect to ${where} (${code}): check --host and --port, and that the server is running`,
      { cause: err },
    );
  }
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return new PreflightError(
      'CONNECT_FAILED',
      `cannot connect to ${where}: the server does not offer TLS, which --ssl-mode ${c.tls?.mode ?? ''} requires: ` +
        'enable TLS on the server, or choose --ssl-mode preferred or disabled',
      { cause: err },
    );
  }
  if (code === 'HANDSHAKE_SSL_ERROR' || isTlsError(err)) {
    return new PreflightError(
      'CONNECT_FAILED',
      `cannot connect to ${where}: TLS failed (${errorMessage(err)}): check --ssl-ca (the CA that signed the server's ` +
        'certificate), --ssl-mode, and for verify-identity that --host is a name or IP the certificate was issued for',
      { cause: err },
    );
  }
  return new PreflightError('CONNECT_FAILED', `cannot connect to ${where}: ${errorMessage(err)}`, { cause: err });
}
