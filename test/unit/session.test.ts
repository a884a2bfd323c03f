import { describe, expect, it } from 'vitest';
import {
  SERVER_SQL_MODE_QUERY,
  sessionSetup,
  sessionSqlMode,
  setLockWaitTimeout,
  setSqlMode,
  setWaitTimeout,
} from '../../src/core/sql/session.js';

describe('session sql_mode', () => {
  it("keeps MySQL 9.7's default mode but the zero-date modes, and adds osc's", () => {
    expect(
      sessionSqlMode(
        'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
      ),
    ).toBe(
      'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO',
    );
  });
  it("keeps MariaDB 10.11's default mode and adds osc's", () => {
    expect(
      sessionSqlMode('STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION'),
    ).toBe(
      'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION,STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO',
    );
  });
  it('from an empty mode: only what osc needs', () => {
    expect(sessionSqlMode('')).toBe('STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION');
  });
  it('drops what changes how osc’s SQL parses, and composite names (whose members the server lists too)', () => {
    // SET sql_mode = 'ANSI,TRADITIONAL' reads back like this on MySQL 9.7.
    expect(
      sessionSqlMode(
        'REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ONLY_FULL_GROUP_BY,ANSI,STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,TRADITIONAL,NO_ENGINE_SUBSTITUTION',
      ),
    ).toBe(
      'REAL_AS_FLOAT,ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO',
    );
  });
  it("drops MariaDB's ORACLE mode and its members that change parsing, values or SHOW CREATE TABLE", () => {
    // SET sql_mode = 'ORACLE' reads back like this on MariaDB 10.11.
    expect(
      sessionSqlMode(
        'PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ORACLE,NO_KEY_OPTIONS,NO_TABLE_OPTIONS,NO_FIELD_OPTIONS,NO_AUTO_CREATE_USER,SIMULTANEOUS_ASSIGNMENT',
      ),
    ).toBe('NO_AUTO_CREATE_USER,STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION');
    expect(sessionSqlMode('MSSQL,MAXDB,DB2,POSTGRESQL,MYSQL323,MYSQL40,EMPTY_STRING_IS_NULL,HIGH_NOT_PRECEDENCE')).toBe(
      'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION',
    );
  });
  it('drops the modes that change values written or read back', () => {
    expect(sessionSqlMode('NO_BACKSLASH_ESCAPES,PAD_CHAR_TO_FULL_LENGTH,EMPTY_STRING_IS_NULL')).toBe(
      'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION',
    );
  });
  it('keeps the modes that decide how values convert, as a native ALTER would convert them, and unknown ones', () => {
    expect(
      sessionSqlMode(
        'TIME_TRUNCATE_FRACTIONAL,ALLOW_INVALID_DATES,NO_UNSIGNED_SUBTRACTION,TIME_ROUND_FRACTIONAL,NO_DIR_IN_CREATE,SOME_FUTURE_MODE',
      ),
    ).toBe(
      'TIME_TRUNCATE_FRACTIONAL,ALLOW_INVALID_DATES,NO_UNSIGNED_SUBTRACTION,TIME_ROUND_FRACTIONAL,NO_DIR_IN_CREATE,SOME_FUTURE_MODE,STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION',
    );
  });
  it('reads spaces, lower case and repeats as the server does', () => {
    expect(sessionSqlMode(' strict_trans_tables , no_auto_value_on_zero,STRICT_TRANS_TABLES,')).toBe(
      'STRICT_TRANS_TABLES,NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION',
    );
  });
  it('statements', () => {
    expect(SERVER_SQL_MODE_QUERY).toBe('SELECT @@GLOBAL.sql_mode AS mode');
    expect(sessionSetup('STRICT_ALL_TABLES')).toEqual({
      sql: "SET SESSION time_zone = '+00:00', sql_mode = ?, wait_timeout = ?",
      params: ['STRICT_ALL_TABLES', 28800],
    });
    expect(setSqlMode('ANSI_QUOTES')).toEqual({ sql: 'SET SESSION sql_mode = ?', params: ['ANSI_QUOTES'] });
  });
});

describe('session timeouts', () => {
  it('as parameters', () => {
    expect(setWaitTimeout(28800)).toEqual({ sql: 'SET SESSION wait_timeout = ?', params: [28800] });
    expect(setLockWaitTimeout(3)).toEqual({ sql: 'SET SESSION lock_wait_timeout = ?', params: [3] });
    expect(setLockWaitTimeout(3, 8)).toEqual({
      sql: 'SET SESSION lock_wait_timeout = ?, wait_timeout = ?',
      params: [3, 8],
    });
  });
});
