import { describe, expect, it } from 'vitest';
import {
  alterTable,
  createChangelog,
  createGhost,
  createSentry,
  dropSentry,
  sentryComment,
  PREPARE_PROBE,
  probeStatement,
  tablesNamed,
  dropTable,
  lockForCutOver,
  lockGhostAlone,
  lockForSwap,
  renameForCutOver,
  writeChangelog,
} from '../../src/core/sql/ddl.js';

describe('ddl', () => {
  it('creates and alters the ghost', () => {
    expect(createGhost('shop', 'orders', '_orders_gho')).toBe('CREATE TABLE `shop`.`_orders_gho` LIKE `shop`.`orders`');
    expect(alterTable('shop', '_orders_gho', ' ADD COLUMN x INT ')).toBe(
      'ALTER TABLE `shop`.`_orders_gho` ADD COLUMN x INT',
    );
    expect(() => alterTable('shop', '_orders_gho', '  ')).toThrow('the ALTER clauses are empty');
  });
  it('quotes names with backticks', () => {
    expect(createGhost('my`db', 'a b', '_a b_gho')).toBe('CREATE TABLE `my``db`.`_a b_gho` LIKE `my``db`.`a b`');
  });
  it('changelog', () => {
    expect(createChangelog('shop', '_orders_ghc')).toBe(
      'CREATE TABLE `shop`.`_orders_ghc` (`hint` VARCHAR(64) NOT NULL PRIMARY KEY, `value` VARCHAR(4096) NOT NULL, ' +
        '`updated_at` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)) ' +
        "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='osc changelog'",
    );
    expect(writeChangelog('shop', '_orders_ghc', 'heartbeat', '1700000000000')).toEqual({
      sql: 'INSERT INTO `shop`.`_orders_ghc` (`hint`, `value`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `value` = ?',
      params: ['heartbeat', '1700000000000', '1700000000000'],
    });
  });
  it('cut-over statements', () => {
    expect(createSentry('shop', '_orders_del', '0a1b2c3d4e5f-2')).toBe(
      "CREATE TABLE `shop`.`_orders_del` (`id` INT NOT NULL PRIMARY KEY) ENGINE=InnoDB COMMENT='osc cut-over sentry 0a1b2c3d4e5f-2'",
    );
    expect(lockForCutOver('shop', 'orders', '_orders_del')).toBe(
      'LOCK TABLES `shop`.`orders` WRITE, `shop`.`_orders_del` WRITE',
    );
    expect(lockForSwap('shop', 'orders', '_orders_gho')).toBe(
      'LOCK TABLES `shop`.`orders` WRITE, `shop`.`_orders_gho` WRITE',
    );
    expect(lockGhostAlone('shop', '_orders_gho')).toBe('LOCK TABLES `shop`.`_orders_gho` WRITE');
    expect(renameForCutOver('shop', 'orders', '_orders_del', '_orders_gho')).toBe(
      'RENAME TABLE `shop`.`orders` TO `shop`.`_orders_del`, `shop`.`_orders_gho` TO `shop`.`orders`',
    );
    expect(dropSentry('shop', '_orders_del')).toBe('DROP TABLE `shop`.`_orders_del`');
    expect(dropTable('shop', '_orders_gho')).toBe('DROP TABLE IF EXISTS `shop`.`_orders_gho`');
    expect(tablesNamed('shop', ['orders', '_orders_gho', '_orders_del'])).toEqual({
      sql: 'SELECT TABLE_NAME AS `name`, TABLE_COMMENT AS `comment` FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?, ?, ?)',
      params: ['shop', 'orders', '_orders_gho', '_orders_del'],
    });
  });
  it('the probe prepares a SELECT whose text travels in a user variable', () => {
    expect(probeStatement('shop', "or'ders")).toEqual({
      sql: 'SET @osc_probe = ?',
      params: ["SELECT 1 FROM `shop`.`or'ders` LIMIT 0"],
    });
    expect(PREPARE_PROBE).toBe('PREPARE osc_probe FROM @osc_probe');
  });
  it('the sentry comment carries a token of safe characters only', () => {
    expect(sentryComment('0a1b-12')).toBe('osc cut-over sentry 0a1b-12');
    expect(() => sentryComment("x' OR '1")).toThrow("a cut-over token must be 1..64 of [0-9a-z-], not 'x' OR '1'");
    expect(() => sentryComment('')).toThrow('a cut-over token must be 1..64 of [0-9a-z-]');
  });
});
