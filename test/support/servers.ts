// Helpers for integration tests: the servers the global setup found or started
// (test/support/global-setup.ts), admin connections, throwaway schemas, polling,
// and binlog reader ids that never collide.

import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import mysql from 'mysql2/promise';
import { inject } from 'vitest';
import { quoteId } from '../../src/core/sql/quote.js';
import type { Flavor } from '../../src/core/types.js';
import type { ProvidedServer } from './global-setup.js';
import { rememberSchema } from './schema-registry.js';

export interface ServerEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

export interface TestServer {
  readonly primary: ServerEndpoint;
  readonly replica?: ServerEndpoint;
  readonly flavor: Flavor;
  readonly dsn: string;
  readonly replicaDsn?: string;
}

/** mysql://user:password@host:port (port 3306 when absent; user and password URL-decoded). */
export function parseDsn(dsn: string): ServerEndpoint {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch (err) {
    throw new Error('not a DSN of the form mysql://user:password@host:port', { cause: err });
  }
  if (url.protocol !== 'mysql:') throw new Error(`a DSN must start with mysql://, not ${url.protocol}//`);
  return {
    // new URL keeps IPv6 literals in brackets; mysql2 wants them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 3306 : Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

let cached: TestServer | undefined;

/** The primary (and replica, when there is one) the tests run against. */
export function testServer(): TestServer {
  if (cached !== undefined) return cached;
  const provided: ProvidedServer = inject('oscServer');
  const base = { primary: parseDsn(provided.dsn), flavor: provided.flavor, dsn: provided.dsn };
  cached =
    provided.replicaDsn === undefined
      ? base
      : { ...base, replica: parseDsn(provided.replicaDsn), replicaDsn: provided.replicaDsn };
  return cached;
}

export interface AdminConnectionOptions {
  readonly database?: string;
  /** Connect to the replica instead of the primary. */
  readonly replica?: boolean;
}

/**
 * A connection as the admin user, reading values exactly: big integers and DECIMALs
 * as strings, dates as strings, session time zone UTC ('+00:00' needs no zone tables).
 */
export async function adminConnection(opts: AdminConnectionOptions = {}): Promise<mysql.Connection> {
  const server = testServer();
  const target = opts.replica === true ? server.replica : server.primary;
  if (target === undefined) throw new Error('this test needs a replica, and the test servers have none');
  const conn = await mysql.createConnection({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    ...(opts.database === undefined ? {} : { database: opts.database }),
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    timezone: 'Z',
    multipleStatements: true,
  });
  await conn.query("SET time_zone = '+00:00'");
  return conn;
}

const SCHEMA_PREFIX = 'osc_t_';

/** Drops and recreates a database named osc_t_<name> (the prefix is not doubled) and returns its name. */
export async function freshSchema(name: string): Promise<string> {
  const full = name.startsWith(SCHEMA_PREFIX) ? name : SCHEMA_PREFIX + name;
  if (full.length > 64) throw new Error(`schema name '${full}' is longer than 64 characters`);
  const conn = await adminConnection();
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${quoteId(full)}`);
    await conn.query(`CREATE DATABASE ${quoteId(full)}`);
    rememberSchema(full);
  } finally {
    await conn.end();
  }
  return full;
}

export interface WaitForOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Said in the error when the time runs out. */
  readonly message?: string;
  /** What else to say then, read at that moment (the log of the run waited on, say). */
  readonly detail?: () => string | Promise<string>;
}

/**
 * Polls until the predicate returns a truthy value and returns that value; throws
 * after timeoutMs (default 10 s). A predicate that throws is retried until the end,
 * and its last error becomes the timeout error's cause.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 100, message = 'condition', detail }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value !== undefined && value !== null && value !== false && value !== 0 && value !== '') {
        return value;
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      // A detail that fails must not hide the timeout it was to explain.
      const more =
        detail === undefined
          ? ''
          : `\n${await Promise.resolve()
              .then(detail)
              .catch((err: unknown) => `(detail unavailable: ${String(err)})`)}`;
      throw new Error(`waitFor: ${message} not met within ${timeoutMs} ms${more}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// Server ids the sandbox servers (1, 2) and osc's default reader (99999) use.
const RESERVED_SERVER_IDS = new Set([1, 2, 99999]);
let serverIdCounter = 0;

/**
 * A binlog reader id unique to this call: 50000 + a per-process block of 1000
 * (from the pid, so test files in different workers differ) + a counter. A second
 * reader with an id in use would kick the first off the primary.
 */
export function uniqueServerId(): number {
  for (;;) {
    const id = 50_000 + (process.pid % 4_000) * 1_000 + (serverIdCounter++ % 1_000);
    if (!RESERVED_SERVER_IDS.has(id)) return id;
  }
}

/** 'mariadb' when VERSION() says so, else 'mysql'. */
export async function detectFlavor(conn: mysql.Connection): Promise<Flavor> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
  return String(rows[0]?.['v'] ?? '').includes('MariaDB') ? 'mariadb' : 'mysql';
}

/** A port nobody listens on right now (the kernel's choice for port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
