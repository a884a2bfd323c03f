import { describe, expect, it } from 'vitest';
import { parseVersion } from '../../src/core/server.js';
import { discoverySql, globalStatus, globalVariables, readChangelog, showCreateTable } from '../../src/core/sql/server.js';

describe('server statements', () => {
  it('variables and status by name, names as parameters', () => {
    expect(globalVariables(['log_bin', 'read_only'])).toEqual({ sql: 'SHOW GLOBAL VARIABLES WHERE Variable_name IN (?, ?)', params: ['log_bin', 'read_only'] });
    expect(globalStatus(['threads_running'])).toEqual({ sql: 'SHOW GLOBAL STATUS WHERE `Variable_name` IN (?)', params: ['threads_running'] });
  });
  it('replica discovery per flavour and version', () => {
    expect(discoverySql(parseVersion('10.11.6-MariaDB'))).toBe('SHOW SLAVE HOSTS');
    expect(discoverySql(parseVersion('8.0.21'))).toBe('SHOW SLAVE HOSTS');
    expect(discoverySql(parseVersion('8.0.22'))).toBe('SHOW REPLICAS');
    expect(discoverySql(parseVersion('9.7.0'))).toBe('SHOW REPLICAS');
  });
  it('quotes the table names', () => {
    expect(showCreateTable('sh`op', 'or ders')).toBe('SHOW CREATE TABLE `sh``op`.`or ders`');
    expect(readChangelog('shop', '_orders_ghc', 'heartbeat')).toEqual({ sql: 'SELECT `value` FROM `shop`.`_orders_ghc` WHERE `hint` = ?', params: ['heartbeat'] });
  });
});
