import { describe, expect, test } from 'vitest';
import { carriesCounter, counterRaise, parseAutoIncrement, setAutoIncrement } from '../../src/core/auto-increment.js';
import type { ColumnMapping } from '../../src/core/types.js';
import { col } from '../support/columns.js';

describe('parseAutoIncrement', () => {
  test('reads the counter from the table options as both servers print them', () => {
    // MariaDB 10.11
    expect(
      parseAutoIncrement(
        "CREATE TABLE `t2` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `c` varchar(10) DEFAULT NULL COMMENT 'AUTO_INCREMENT=99',\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci COMMENT='x AUTO_INCREMENT=77'",
      ),
    ).toBe(5n);
    // MySQL 9.7
    expect(
      parseAutoIncrement(
        'CREATE TABLE `t` (\n  `id` bigint unsigned NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=18446744073709551615 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci',
      ),
    ).toBe(18446744073709551615n);
  });

  test('null without a counter, whatever comments and defaults say', () => {
    expect(
      parseAutoIncrement(
        'CREATE TABLE `t` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
      ),
    ).toBeNull();
    expect(
      parseAutoIncrement(
        "CREATE TABLE `t(` (\n  `a)` varchar(9) DEFAULT ') AUTO_INCREMENT=3',\n  `b` int DEFAULT (2)\n) ENGINE=InnoDB COMMENT='it''s AUTO_INCREMENT=4 \\' AUTO_INCREMENT=6'",
      ),
    ).toBeNull();
    expect(parseAutoIncrement('')).toBeNull();
  });

  test('a partitioned table: the options line, not the partition clauses', () => {
    expect(
      parseAutoIncrement(
        'CREATE TABLE `t` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4\n/*!50100 PARTITION BY RANGE (`id`)\n(PARTITION p0 VALUES LESS THAN (10) ENGINE = InnoDB,\n PARTITION p1 VALUES LESS THAN MAXVALUE ENGINE = InnoDB) */',
      ),
    ).toBe(42n);
  });
});

const map = (from: string, to: string): ColumnMapping => ({ source: col(from), target: col(to) });

describe('carriesCounter', () => {
  test('only from the original AUTO_INCREMENT column to the ghost one, copied', () => {
    expect(carriesCounter('id', 'id', [map('id', 'id')])).toBe(true);
    expect(carriesCounter('id', 'ID', [map('Id', 'id')])).toBe(true);
    expect(carriesCounter('id', 'order_id', [map('id', 'order_id')])).toBe(true);
    expect(carriesCounter(null, 'id', [map('id', 'id')])).toBe(false);
    expect(carriesCounter('id', null, [map('id', 'id')])).toBe(false);
    expect(carriesCounter('id', 'seq', [map('id', 'id')])).toBe(false);
    expect(carriesCounter('id', 'id', [])).toBe(false);
  });
});

describe('counterRaise', () => {
  test('raises only', () => {
    expect(counterRaise(8n, null)).toBe(8n);
    expect(counterRaise(8n, 5n)).toBe(8n);
    expect(counterRaise(8n, 8n)).toBeNull();
    expect(counterRaise(8n, 1000n)).toBeNull();
    expect(counterRaise(null, 5n)).toBeNull();
    expect(counterRaise(1n, null)).toBeNull();
  });
});

describe('setAutoIncrement', () => {
  test('the one DDL form the binlog reader lets through on the ghost', () => {
    expect(setAutoIncrement('shop', '_orders_gho', 8n)).toBe('ALTER TABLE `shop`.`_orders_gho` AUTO_INCREMENT = 8');
    expect(setAutoIncrement('s`p', '_a b_gho', 18446744073709551615n)).toBe(
      'ALTER TABLE `s``p`.`_a b_gho` AUTO_INCREMENT = 18446744073709551615',
    );
  });
});
