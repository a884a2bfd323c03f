import { describe, expect, it } from 'vitest';
import { parseVersion } from '../../src/core/server.js';
import {
  autoIncrementColumn,
  discoverySql,
  foreignKeys,
  getLock,
  globalStatus,
  globalVariables,
  kill,
  lockHolder,
  processPresent,
  processState,
  readChangelog,
  releaseLock,
  showCreateTable,
  tableColumns,
  tableInfo,
  triggers,
  uniqueKeyParts,
} from '../../src/core/sql/server.js';

describe('server statements', () => {
  it('variables and status by name, names as parameters', () => {
    expect(globalVariables(['log_bin', 'read_only'])).toEqual({
      sql: 'SHOW GLOBAL VARIABLES WHERE Variable_name IN (?, ?)',
      params: ['log_bin', 'read_only'],
    });
    expect(globalStatus(['threads_running'])).toEqual({
      sql: 'SHOW GLOBAL STATUS WHERE `Variable_name` IN (?)',
      params: ['threads_running'],
    });
  });
  it('replica discovery per flavour and version', () => {
    expect(discoverySql(parseVersion('10.11.6-MariaDB'))).toBe('SHOW SLAVE HOSTS');
    expect(discoverySql(parseVersion('8.0.21'))).toBe('SHOW SLAVE HOSTS');
    expect(discoverySql(parseVersion('8.0.22'))).toBe('SHOW REPLICAS');
    expect(discoverySql(parseVersion('9.7.0'))).toBe('SHOW REPLICAS');
  });
  it('quotes the table names', () => {
    expect(showCreateTable('sh`op', 'or ders')).toBe('SHOW CREATE TABLE `sh``op`.`or ders`');
    expect(readChangelog('shop', '_orders_ghc', 'heartbeat')).toEqual({
      sql: 'SELECT `value` FROM `shop`.`_orders_ghc` WHERE `hint` = ?',
      params: ['heartbeat'],
    });
  });
});

describe('information_schema reads: names only as parameters', () => {
  it('table facts', () => {
    expect(tableInfo('s', 't')).toEqual({
      sql: 'SELECT ENGINE, TABLE_TYPE, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      params: ['s', 't'],
    });
    expect(tableColumns('s', 't')).toEqual({
      sql: 'SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, EXTRA, GENERATION_EXPRESSION AS GEN, CHARACTER_SET_NAME AS CS, COLLATION_NAME AS COLL FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      params: ['s', 't'],
    });
    expect(uniqueKeyParts('s', 't')).toEqual({
      sql: 'SELECT INDEX_NAME, COLUMN_NAME, SEQ_IN_INDEX, SUB_PART FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX',
      params: ['s', 't'],
    });
    expect(foreignKeys('s', 't')).toEqual({
      sql: "SELECT DISTINCT CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME) AS d FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_NAME IS NOT NULL AND ((TABLE_SCHEMA = ? AND TABLE_NAME = ?) OR (REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?))",
      params: ['s', 't', 's', 't'],
    });
    expect(triggers('s', 't')).toEqual({
      sql: 'SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?',
      params: ['s', 't'],
    });
    expect(autoIncrementColumn('s', 't')).toEqual({
      sql: "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA LIKE '%auto_increment%'",
      params: ['s', 't'],
    });
  });
  it('the run lock', () => {
    expect(getLock('osc.s.t')).toEqual({
      sql: 'SELECT GET_LOCK(?, 0) AS got, IS_USED_LOCK(?) AS holder',
      params: ['osc.s.t', 'osc.s.t'],
    });
    expect(lockHolder('osc.s.t')).toEqual({
      sql: 'SELECT IS_USED_LOCK(?) AS holder, CONNECTION_ID() AS me',
      params: ['osc.s.t'],
    });
    expect(releaseLock('osc.s.t')).toEqual({ sql: 'SELECT RELEASE_LOCK(?) AS r', params: ['osc.s.t'] });
  });
  it('connections the cut-over ends and watches', () => {
    expect(kill(42)).toEqual({ sql: 'KILL ?', params: [42] });
    expect(kill(42, 'query')).toEqual({ sql: 'KILL QUERY ?', params: [42] });
    expect(processPresent(42)).toEqual({
      sql: 'SELECT 1 AS present FROM information_schema.PROCESSLIST WHERE ID = ?',
      params: [42],
    });
    expect(processState(42)).toEqual({
      sql: 'SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = ?',
      params: [42],
    });
  });
});
