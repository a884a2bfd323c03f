// Server and driver errors, in one place: how to read their number and code, which ones are worth running the
// statement again for, and how to describe one. A server's message can quote row values (`Duplicate entry 'v'`),
// which osc never logs: describeSqlError keeps only the number and code; errorFields adds the message and is
// only for errors that cannot carry row data (connecting, reading server state, the binlog reader).

/** The server's error number (1205, 1213, ...), if any. */
export function sqlErrno(err: unknown): number | undefined {
  const e = err as { errno?: unknown } | null;
  return typeof e?.errno === 'number' ? e.errno : undefined;
}

/** The driver's symbolic code ('ER_LOCK_WAIT_TIMEOUT', 'ECONNREFUSED', ...), if any. */
export function driverCode(err: unknown): string | undefined {
  const e = err as { code?: unknown } | null;
  return typeof e?.code === 'string' ? e.code : undefined;
}

export const ER_LOCK_WAIT_TIMEOUT = 1205;
export const ER_NO_SUCH_TABLE = 1146;

// Errors after which the same statement may simply be run again. Lock wait timeout and deadlock roll back
// the statement (InnoDB); a lost connection loses it; the pool hands out a fresh connection next time.
export const RETRYABLE_ERRNOS: ReadonlySet<number> = new Set([
  ER_LOCK_WAIT_TIMEOUT,
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

const LOST_ERRNOS: ReadonlySet<number> = new Set([2006, 2013, 1927, 4031]); // 4031: MySQL's idle-timeout notice

/**
 * The connection itself is gone (killed, timed out, network), not just the statement: the session cannot go on, a
 * new one can. mysql2 marks every error that ended its connection `fatal`, and a closed connection's next statement
 * fails with one.
 */
export function isConnectionLost(err: unknown): boolean {
  if ((err as { fatal?: unknown } | null)?.fatal === true) return true;
  const n = sqlErrno(err);
  if (n !== undefined && LOST_ERRNOS.has(n)) return true;
  const code = driverCode(err);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** errno and symbolic code only (`server error 1205 ER_LOCK_WAIT_TIMEOUT`): safe in any message or log line. */
export function describeSqlError(err: unknown): string {
  const n = sqlErrno(err);
  const code = driverCode(err);
  if (n !== undefined) return `server error ${n}${code !== undefined ? ` ${code}` : ''}`;
  return code ?? (err instanceof Error ? err.name : 'unknown error');
}

/** One token for a log field: the code, else the errno, else the error's name. */
export function errorLabel(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown';
  return driverCode(err) ?? (sqlErrno(err) !== undefined ? String(sqlErrno(err)) : err.name);
}

/** The error's own message: only for errors that cannot quote row values. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Log fields: errno, code and message (see errorMessage for where the message may go). */
export function errorFields(err: unknown): { errno: number | null; code: string | null; error: string } {
  return { errno: sqlErrno(err) ?? null, code: driverCode(err) ?? null, error: errorMessage(err) };
}
