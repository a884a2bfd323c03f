// Pure decisions of the preflight: which server settings would make osc lose changes, and which servers it supports.
import type { ServerInfo } from './types.js';
import type { ReadLock } from './sql/copy.js';

/** Global variables the preflight reads (names as SHOW GLOBAL VARIABLES prints them). */
export const PREFLIGHT_VARIABLES = [
  'log_bin',
  'binlog_format',
  'binlog_row_image',
  'binlog_transaction_compression',
  'binlog_row_value_options',
  'log_bin_compress',
  'read_only',
  'server_id',
] as const;

/**
 * Settings under which the binlog reader would miss or garble changes; each entry says what to change.
 * Session-level overrides by the application (SET SESSION binlog_format=...) cannot be seen from here.
 */
export function binlogProblems(vars: ReadonlyMap<string, string>, server: ServerInfo): string[] {
  const problems: string[] = [];
  const v = (name: string) => vars.get(name)?.toUpperCase() ?? '';
  if (v('log_bin') !== 'ON' && v('log_bin') !== '1') problems.push('log_bin is OFF: start the server with --log-bin');
  if (v('binlog_format') !== 'ROW')
    problems.push(
      `binlog_format is ${v('binlog_format') || 'unknown'}, must be ROW: SET GLOBAL binlog_format = 'ROW' (and in my.cnf)`,
    );
  if (v('binlog_row_image') !== 'FULL')
    problems.push(
      `binlog_row_image is ${v('binlog_row_image') || 'unknown'}, must be FULL: SET GLOBAL binlog_row_image = 'FULL' (and in my.cnf)`,
    );
  if (server.flavor === 'mysql') {
    // The binlog library cannot decode TRANSACTION_PAYLOAD events or partial JSON updates: changes would be lost.
    if (v('binlog_transaction_compression') === 'ON' || v('binlog_transaction_compression') === '1') {
      problems.push('binlog_transaction_compression is ON: SET GLOBAL binlog_transaction_compression = OFF');
    }
    if (v('binlog_row_value_options') !== '') {
      problems.push(
        `binlog_row_value_options is ${v('binlog_row_value_options')}: SET GLOBAL binlog_row_value_options = ''`,
      );
    }
  } else if (v('log_bin_compress') === 'ON' || v('log_bin_compress') === '1') {
    problems.push('log_bin_compress is ON: SET GLOBAL log_bin_compress = OFF');
  }
  return problems;
}

/** null when supported, else why not. */
export function unsupportedServer(server: ServerInfo): string | null {
  if (server.major === 0) return `cannot tell the server's version from '${server.version}'`;
  if (server.flavor === 'mysql' && server.major < 8)
    return `MySQL ${server.version} is not supported: osc needs MySQL 8.0 or later`;
  if (server.flavor === 'mariadb' && (server.major < 10 || (server.major === 10 && server.minor < 6))) {
    return `MariaDB ${server.version} is not supported: osc needs MariaDB 10.6 or later`;
  }
  return null;
}

/** The shared-lock clause for the copy's SELECT: MySQL 8.0+ has FOR SHARE; MariaDB keeps LOCK IN SHARE MODE. */
export function shareLockClause(server: ServerInfo): ReadLock {
  return server.flavor === 'mysql' ? 'FOR SHARE' : 'LOCK IN SHARE MODE';
}
