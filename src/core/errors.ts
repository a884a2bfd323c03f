// Every error osc raises carries a stable code; only the CLI entry maps errors to exit codes.

export type ErrorCode =
  | 'BAD_USAGE'
  | 'CONNECT_FAILED'
  | 'ACCESS_DENIED'
  | 'UNSUPPORTED_SERVER'
  | 'NOT_PRIMARY'
  | 'BINLOG_SETTINGS'
  | 'MISSING_GRANTS'
  | 'TABLE_NOT_FOUND'
  | 'TABLE_UNSUPPORTED'
  | 'NAME_TOO_LONG'
  | 'TABLE_EXISTS'
  | 'ALREADY_RUNNING'
  | 'ALTER_INVALID'
  | 'ALTER_REFUSED'
  | 'RENAME_NOT_APPROVED'
  | 'NO_SHARED_UNIQUE_KEY'
  | 'COPY_FAILED'
  | 'DATA_CONFLICT'
  | 'REPLAY_FAILED'
  | 'BINLOG_STREAM'
  | 'BINLOG_STATEMENT'
  | 'CHECKSUM_FAILED'
  | 'CUT_OVER_FAILED'
  | 'CUT_OVER_UNCERTAIN'
  | 'RUN_LOCK_LOST'
  | 'ABORTED'
  | 'CRITICAL_LOAD'
  | 'HOOK_FAILED'
  | 'NOTHING_TO_RESUME'
  | 'RESUME_REFUSED'
  | 'INTERNAL';

export class OscError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad flags or input: nothing was attempted. Exit 2. */
export class ConfigError extends OscError {}

/** A check before any data moved refused the migration: nothing changed on the server. Exit 2. */
export class PreflightError extends OscError {}

/** The migration started and failed; the original table is untouched. Exit 1. */
export class MigrationError extends OscError {}

/** Cut-over could not complete within its retries; the original table is untouched. Exit 1. */
export class CutOverError extends MigrationError {}

export function isRefusal(err: unknown): boolean {
  return err instanceof ConfigError || err instanceof PreflightError;
}

export function errorCode(err: unknown): ErrorCode {
  return err instanceof OscError ? err.code : 'INTERNAL';
}

/** The same error (class, code, cause) with `note` appended to its message. */
export function withNote(err: OscError, note: string): OscError {
  const Same = err.constructor as new (code: ErrorCode, message: string, options?: { cause?: unknown }) => OscError;
  return new Same(err.code, `${err.message}; ${note}`, { cause: err.cause });
}
