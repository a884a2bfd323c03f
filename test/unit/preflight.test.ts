import { describe, expect, it } from 'vitest';
import { binlogProblems, shareLockClause, unsupportedServer } from '../../src/core/preflight.js';
import { parseVersion } from '../../src/core/server.js';
import { binlogStatusSql, replicaStatusSql } from '../../src/core/sql/server.js';

const maria = parseVersion('10.11.6-MariaDB-0+deb12u1-log');
const mysql97 = parseVersion('9.7.4');
const mysql80 = parseVersion('8.0.21');

const good = new Map([
  ['log_bin', 'ON'],
  ['binlog_format', 'ROW'],
  ['binlog_row_image', 'FULL'],
  ['binlog_transaction_compression', 'OFF'],
  ['binlog_row_value_options', ''],
  ['log_bin_compress', 'OFF'],
]);

describe('server versions', () => {
  it('detects the flavour and version', () => {
    expect(maria).toEqual({
      flavor: 'mariadb',
      version: '10.11.6-MariaDB-0+deb12u1-log',
      major: 10,
      minor: 11,
      patch: 6,
    });
    expect(mysql97).toMatchObject({ flavor: 'mysql', major: 9, minor: 7, patch: 4 });
  });
  it('branches statements on flavour and version', () => {
    expect(replicaStatusSql(maria)).toBe('SHOW SLAVE STATUS');
    expect(replicaStatusSql(mysql97)).toBe('SHOW REPLICA STATUS');
    expect(replicaStatusSql(mysql80)).toBe('SHOW SLAVE STATUS');
    expect(binlogStatusSql(maria)).toBe('SHOW MASTER STATUS');
    expect(binlogStatusSql(mysql97)).toBe('SHOW BINARY LOG STATUS');
    expect(binlogStatusSql(parseVersion('8.0.36'))).toBe('SHOW MASTER STATUS');
    expect(binlogStatusSql(parseVersion('8.4.0'))).toBe('SHOW BINARY LOG STATUS');
    expect(shareLockClause(maria)).toBe('LOCK IN SHARE MODE');
    expect(shareLockClause(mysql97)).toBe('FOR SHARE');
  });
  it('refuses old servers', () => {
    expect(unsupportedServer(maria)).toBeNull();
    expect(unsupportedServer(parseVersion('5.7.44-log'))).toBe(
      'MySQL 5.7.44-log is not supported: osc needs MySQL 8.0 or later',
    );
    expect(unsupportedServer(parseVersion('10.5.2-MariaDB'))).toBe(
      'MariaDB 10.5.2-MariaDB is not supported: osc needs MariaDB 10.6 or later',
    );
  });
});

describe('binlogProblems', () => {
  it('accepts ROW/FULL', () => {
    expect(binlogProblems(good, maria)).toEqual([]);
    expect(binlogProblems(good, mysql97)).toEqual([]);
  });
  it('names every setting that would lose changes', () => {
    const bad = new Map(good);
    bad.set('binlog_format', 'MIXED');
    bad.set('binlog_row_image', 'MINIMAL');
    bad.set('binlog_transaction_compression', 'ON');
    bad.set('binlog_row_value_options', 'PARTIAL_JSON');
    bad.set('log_bin_compress', 'ON');
    expect(binlogProblems(bad, mysql97)).toEqual([
      "binlog_format is MIXED, must be ROW: SET GLOBAL binlog_format = 'ROW' (and in my.cnf)",
      "binlog_row_image is MINIMAL, must be FULL: SET GLOBAL binlog_row_image = 'FULL' (and in my.cnf)",
      'binlog_transaction_compression is ON: SET GLOBAL binlog_transaction_compression = OFF',
      "binlog_row_value_options is PARTIAL_JSON: SET GLOBAL binlog_row_value_options = ''",
    ]);
    expect(binlogProblems(bad, maria)).toEqual([
      "binlog_format is MIXED, must be ROW: SET GLOBAL binlog_format = 'ROW' (and in my.cnf)",
      "binlog_row_image is MINIMAL, must be FULL: SET GLOBAL binlog_row_image = 'FULL' (and in my.cnf)",
      'log_bin_compress is ON: SET GLOBAL log_bin_compress = OFF',
    ]);
  });
  it('needs log_bin', () => {
    const off = new Map(good);
    off.set('log_bin', 'OFF');
    expect(binlogProblems(off, maria)).toEqual(['log_bin is OFF: start the server with --log-bin']);
  });
});
