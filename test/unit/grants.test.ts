import { describe, expect, it } from 'vitest';
import {
  DATABASE_PRIVILEGES,
  grantAdvice,
  missingPrivileges,
  parseGrants,
  requiredGlobalPrivileges,
} from '../../src/core/grants.js';
import type { ServerInfo } from '../../src/core/types.js';

const MYSQL: ServerInfo = { flavor: 'mysql', version: '9.7.0', major: 9, minor: 7, patch: 0 };
const MARIADB: ServerInfo = { flavor: 'mariadb', version: '10.11.6-MariaDB-0+deb12u1', major: 10, minor: 11, patch: 6 };
const MARIADB_1055: ServerInfo = { flavor: 'mariadb', version: '10.5.5-MariaDB', major: 10, minor: 5, patch: 5 };
const MARIADB_104: ServerInfo = { flavor: 'mariadb', version: '10.4.30-MariaDB', major: 10, minor: 4, patch: 30 };

const DB_LINE =
  'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, LOCK TABLES, TRIGGER ON `shop`.* TO `osc`@`%`';

describe('parseGrants', () => {
  it('reads global, database, dynamic and wildcard grants; ignores roles, tables and proxies', () => {
    const g = parseGrants([
      "GRANT USAGE ON *.* TO `osc`@`%` IDENTIFIED BY PASSWORD '*ABC'",
      'GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `osc`@`%`',
      'GRANT REPLICATION_SLAVE_ADMIN,BACKUP_ADMIN ON *.* TO `osc`@`%`',
      'GRANT ALL PRIVILEGES ON `shop`.* TO `osc`@`%` WITH GRANT OPTION',
      'GRANT SELECT, INSERT ON `shop\\_%`.* TO `osc`@`%`',
      'GRANT SELECT (`a`, `b`), UPDATE ON `shop`.`orders` TO `osc`@`%`',
      'GRANT `app_role`@`%` TO `osc`@`%`',
      "GRANT PROXY ON ''@'' TO 'root'@'localhost' WITH GRANT OPTION",
      'GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `osc`@`%`',
      'grant select on other.* to osc@localhost',
    ]);
    expect([...g.global]).toEqual([
      'USAGE',
      'REPLICATION SLAVE',
      'REPLICATION CLIENT',
      'REPLICATION_SLAVE_ADMIN',
      'BACKUP_ADMIN',
    ]);
    expect(g.databases.map((d) => [d.pattern, [...d.privileges]])).toEqual([
      ['shop', ['ALL']],
      ['shop\\_%', ['SELECT', 'INSERT']],
      ['other', ['SELECT']],
    ]);
  });

  it('reads names with backticks and keywords inside', () => {
    const g = parseGrants(['GRANT SELECT ON `we``ird ON db`.* TO `o n`@`%`']);
    expect(g.databases.map((d) => d.pattern)).toEqual(['we`ird ON db']);
  });
});

describe('requiredGlobalPrivileges', () => {
  it('depends on flavour and version', () => {
    expect(requiredGlobalPrivileges(MYSQL)).toEqual(['REPLICATION SLAVE', 'REPLICATION CLIENT']);
    expect(requiredGlobalPrivileges(MARIADB)).toEqual(['REPLICATION SLAVE', 'BINLOG MONITOR', 'SLAVE MONITOR']);
    expect(requiredGlobalPrivileges({ ...MARIADB, version: '11.4.2', major: 11, minor: 4, patch: 2 })).toEqual([
      'REPLICATION SLAVE',
      'BINLOG MONITOR',
      'SLAVE MONITOR',
    ]);
    expect(requiredGlobalPrivileges(MARIADB_1055)).toEqual(['REPLICATION SLAVE', 'BINLOG MONITOR']);
    expect(requiredGlobalPrivileges(MARIADB_104)).toEqual(['REPLICATION SLAVE', 'REPLICATION CLIENT']);
  });
});

describe('missingPrivileges', () => {
  it('is empty for ALL PRIVILEGES on *.*', () => {
    const g = parseGrants(["GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' WITH GRANT OPTION"]);
    expect(missingPrivileges(g, 'shop', MYSQL)).toEqual([]);
    expect(missingPrivileges(g, 'shop', MARIADB)).toEqual([]);
  });

  it('is empty for the documented grants on MySQL', () => {
    const g = parseGrants([DB_LINE, 'GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `osc`@`%`']);
    expect(missingPrivileges(g, 'shop', MYSQL)).toEqual([]);
  });

  it('accepts BINLOG MONITOR printed as REPLICATION CLIENT and REPLICA MONITOR on MariaDB', () => {
    const a = parseGrants([DB_LINE, 'GRANT REPLICATION SLAVE, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `osc`@`%`']);
    const b = parseGrants([
      DB_LINE,
      'GRANT REPLICATION REPLICA, REPLICATION CLIENT, REPLICA MONITOR ON *.* TO `osc`@`%`',
    ]);
    expect(missingPrivileges(a, 'shop', MARIADB)).toEqual([]);
    expect(missingPrivileges(b, 'shop', MARIADB)).toEqual([]);
    expect(
      missingPrivileges(parseGrants([DB_LINE, 'GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO x']), 'shop', MARIADB),
    ).toEqual(['SLAVE MONITOR']);
  });

  it('lists everything for USAGE only, database privileges first', () => {
    const g = parseGrants(['GRANT USAGE ON *.* TO `osc`@`%`']);
    expect(missingPrivileges(g, 'shop', MYSQL)).toEqual([
      ...DATABASE_PRIVILEGES,
      'REPLICATION SLAVE',
      'REPLICATION CLIENT',
    ]);
  });

  it('takes database privileges from global grants, wildcard patterns and ALL on the database', () => {
    const global = parseGrants([
      'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, LOCK TABLES, TRIGGER, REPLICATION SLAVE ON *.* TO x',
    ]);
    expect(missingPrivileges(global, 'shop', MYSQL)).toEqual(['REPLICATION CLIENT']);
    const wildcard = parseGrants([
      'GRANT ALL PRIVILEGES ON `shop\\_%`.* TO x',
      'GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO x',
    ]);
    expect(missingPrivileges(wildcard, 'shop_eu', MYSQL)).toEqual([]);
    expect(missingPrivileges(wildcard, 'shopxeu', MYSQL)).toEqual(DATABASE_PRIVILEGES);
    const split = parseGrants([
      'GRANT SELECT, INSERT ON `sh_p`.* TO x',
      'GRANT UPDATE, DELETE, CREATE, DROP, INDEX, ALTER ON `%`.* TO x',
    ]);
    expect(missingPrivileges(split, 'shop', MYSQL)).toEqual([
      'LOCK TABLES',
      'TRIGGER',
      'REPLICATION SLAVE',
      'REPLICATION CLIENT',
    ]);
  });

  it('ignores grants on another database or on single tables', () => {
    const g = parseGrants([
      'GRANT ALL PRIVILEGES ON `shop2`.* TO x',
      'GRANT ALL PRIVILEGES ON `shop`.`orders` TO x',
      'GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO x',
    ]);
    expect(missingPrivileges(g, 'shop', MYSQL)).toEqual(DATABASE_PRIVILEGES);
  });
});

describe('grantAdvice', () => {
  it('gives one statement per level', () => {
    expect(grantAdvice(['ALTER', 'LOCK TABLES', 'REPLICATION SLAVE', 'SLAVE MONITOR'], 'shop', 'osc', MARIADB)).toBe(
      "GRANT ALTER, LOCK TABLES ON `shop`.* TO 'osc'@'%'; GRANT REPLICATION SLAVE, SLAVE MONITOR ON *.* TO 'osc'@'%';",
    );
    expect(grantAdvice(['REPLICATION CLIENT'], 'shop', 'osc', MYSQL)).toBe(
      "GRANT REPLICATION CLIENT ON *.* TO 'osc'@'%';",
    );
    expect(grantAdvice(['SELECT'], 'shop', 'osc', MYSQL)).toBe("GRANT SELECT ON `shop`.* TO 'osc'@'%';");
    expect(grantAdvice([], 'shop', 'osc', MYSQL)).toBe('');
  });

  it('keeps a given host and escapes names', () => {
    expect(grantAdvice(['SELECT'], 'my_db%', 'osc@10.0.%', MYSQL)).toBe(
      "GRANT SELECT ON `my\\_db\\%`.* TO 'osc'@'10.0.%';",
    );
    expect(grantAdvice(['SELECT'], 'we`ird', "'o''sc'@'localhost'", MYSQL)).toBe(
      "GRANT SELECT ON `we``ird`.* TO 'o''sc'@'localhost';",
    );
  });
});

describe('replica discovery grants', () => {
  const maria = { flavor: 'mariadb' as const, version: '10.11.6-MariaDB', major: 10, minor: 11, patch: 6 };
  const mysql = { flavor: 'mysql' as const, version: '9.7.4', major: 9, minor: 7, patch: 4 };
  const grants = parseGrants([
    'GRANT ALL PRIVILEGES ON `shop`.* TO x',
    'GRANT REPLICATION SLAVE, BINLOG MONITOR, SLAVE MONITOR, REPLICATION CLIENT ON *.* TO x',
  ]);
  it('needs REPLICATION MASTER ADMIN on MariaDB only when osc discovers the replicas', () => {
    expect(missingPrivileges(grants, 'shop', maria)).toEqual([]);
    expect(missingPrivileges(grants, 'shop', maria, { discoverReplicas: true })).toEqual(['REPLICATION MASTER ADMIN']);
    expect(grantAdvice(['REPLICATION MASTER ADMIN'], 'shop', 'osc', maria, { discoverReplicas: true })).toBe(
      "GRANT REPLICATION MASTER ADMIN ON *.* TO 'osc'@'%';",
    );
    expect(missingPrivileges(grants, 'shop', mysql, { discoverReplicas: true })).toEqual([]);
  });
});
