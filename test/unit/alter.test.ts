import { describe, expect, it } from 'vitest';
import { analyzeAlter } from '../../src/core/alter.js';
import { ConfigError } from '../../src/core/errors.js';

function caught(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

function summary(input: string, table = 'orders') {
  const a = analyzeAlter(input, table);
  return { clauses: a.clauses, renames: [...a.renames], dropped: [...a.droppedColumns] };
}

describe('analyzeAlter: clauses', () => {
  it('passes plain clauses through, trimmed', () => {
    expect(summary("  ADD COLUMN shipping_status VARCHAR(50) NOT NULL DEFAULT 'pending'  ")).toEqual({
      clauses: "ADD COLUMN shipping_status VARCHAR(50) NOT NULL DEFAULT 'pending'",
      renames: [],
      dropped: [],
    });
  });

  it('strips ALTER TABLE name, with or without database and quotes', () => {
    expect(analyzeAlter('ALTER TABLE orders ADD COLUMN x INT', 'orders').clauses).toBe('ADD COLUMN x INT');
    expect(analyzeAlter('alter table `shop`.`Orders` add x int', 'orders').clauses).toBe('add x int');
    expect(analyzeAlter('ALTER TABLE shop.orders\n  DROP COLUMN y;', 'orders').clauses).toBe('DROP COLUMN y');
    expect(analyzeAlter('ALTER ONLINE TABLE orders ADD x INT', 'orders').clauses).toBe('ADD x INT');
    expect(analyzeAlter('ALTER TABLE `we``ird` ADD x INT', 'we`ird').clauses).toBe('ADD x INT');
  });

  it('does not take ALTER COLUMN for a statement prefix', () => {
    expect(summary('ALTER COLUMN x SET DEFAULT 3')).toEqual({
      clauses: 'ALTER COLUMN x SET DEFAULT 3',
      renames: [],
      dropped: [],
    });
    expect(summary('alter x drop default')).toEqual({ clauses: 'alter x drop default', renames: [], dropped: [] });
  });

  it('refuses an ALTER naming another table', () => {
    const err = caught(() => analyzeAlter('ALTER TABLE customers ADD x INT', 'orders'));
    expect(err.code).toBe('BAD_USAGE');
    expect(err.message).toBe(
      'the --alter names another table (customers) than --table (orders); give only the clauses, or name the same table',
    );
    expect(caught(() => analyzeAlter('ALTER TABLE orders.customers ADD x INT', 'orders')).code).toBe('BAD_USAGE');
  });

  it('refuses an empty ALTER', () => {
    for (const input of ['', '   ', ';', '-- nothing\n', 'ALTER TABLE orders', 'ALTER TABLE orders;']) {
      const err = caught(() => analyzeAlter(input, 'orders'));
      expect(err.code).toBe('BAD_USAGE');
    }
    expect(caught(() => analyzeAlter('', 'orders')).message).toBe(
      'the --alter is empty: give the clauses to apply, e.g. "ADD COLUMN x INT"',
    );
  });

  it('drops a trailing semicolon and trailing comments', () => {
    expect(analyzeAlter('ADD x INT;', 'orders').clauses).toBe('ADD x INT');
    expect(analyzeAlter('ADD x INT ; -- done', 'orders').clauses).toBe('ADD x INT');
    expect(analyzeAlter('ADD x INT -- why\n', 'orders').clauses).toBe('ADD x INT');
    expect(analyzeAlter('/* lead */ ADD x INT # tail', 'orders').clauses).toBe('ADD x INT');
  });

  it('keeps comments inside the clauses', () => {
    expect(analyzeAlter('ADD x INT, -- then\n DROP y', 'orders').clauses).toBe('ADD x INT, -- then\n DROP y');
  });

  it('keeps executable comments whole', () => {
    expect(analyzeAlter('ADD x INT /*!80000 INVISIBLE */', 'orders').clauses).toBe('ADD x INT /*!80000 INVISIBLE */');
  });

  it('rejects unterminated quotes, comments and parentheses', () => {
    expect(caught(() => analyzeAlter("ADD x INT DEFAULT 'a", 'orders')).code).toBe('ALTER_INVALID');
    expect(caught(() => analyzeAlter('ADD `x INT', 'orders')).code).toBe('ALTER_INVALID');
    expect(caught(() => analyzeAlter('ADD x INT /* c', 'orders')).code).toBe('ALTER_INVALID');
    expect(caught(() => analyzeAlter('ADD x DECIMAL(10,2', 'orders')).code).toBe('ALTER_INVALID');
    expect(caught(() => analyzeAlter('ADD x INT)', 'orders')).message).toBe(
      'the --alter is not valid: a ) has no matching (',
    );
    expect(caught(() => analyzeAlter('ADD x INT,, DROP y', 'orders')).code).toBe('ALTER_INVALID');
  });
});

describe('analyzeAlter: renames', () => {
  it('finds CHANGE COLUMN and CHANGE', () => {
    expect(summary('CHANGE COLUMN name full_name VARCHAR(100) NOT NULL').renames).toEqual([['name', 'full_name']]);
    expect(summary('CHANGE name full_name VARCHAR(100)').renames).toEqual([['name', 'full_name']]);
    expect(summary('change column IF EXISTS a b INT').renames).toEqual([['a', 'b']]);
  });

  it('is not a rename when CHANGE keeps the name (case-insensitively)', () => {
    expect(summary('CHANGE COLUMN qty qty BIGINT').renames).toEqual([]);
    expect(summary('CHANGE qty QTY BIGINT').renames).toEqual([]);
    expect(summary('CHANGE `qty` qty BIGINT').renames).toEqual([]);
  });

  it('finds RENAME COLUMN', () => {
    expect(summary('RENAME COLUMN a TO b').renames).toEqual([['a', 'b']]);
    expect(summary('rename column `old name` to `New``Name`').renames).toEqual([['old name', 'New`Name']]);
    expect(summary('RENAME COLUMN a TO A').renames).toEqual([]);
  });

  it('unquotes names with backticks inside and keeps case', () => {
    expect(summary('CHANGE `a``b` `C,d` INT').renames).toEqual([['a`b', 'C,d']]);
  });

  it('handles several clauses', () => {
    expect(
      summary('CHANGE a b INT, MODIFY c BIGINT, RENAME COLUMN d TO e, ADD f INT DEFAULT 1, DROP COLUMN g, DROP h'),
    ).toEqual({
      clauses: 'CHANGE a b INT, MODIFY c BIGINT, RENAME COLUMN d TO e, ADD f INT DEFAULT 1, DROP COLUMN g, DROP h',
      renames: [
        ['a', 'b'],
        ['d', 'e'],
      ],
      dropped: ['g', 'h'],
    });
  });

  it('MODIFY is not a rename', () => {
    expect(summary('MODIFY COLUMN a BIGINT NOT NULL')).toEqual({
      clauses: 'MODIFY COLUMN a BIGINT NOT NULL',
      renames: [],
      dropped: [],
    });
  });

  it('RENAME INDEX and RENAME KEY are not column renames and are allowed', () => {
    expect(summary('RENAME INDEX a TO b, RENAME KEY c TO d')).toEqual({
      clauses: 'RENAME INDEX a TO b, RENAME KEY c TO d',
      renames: [],
      dropped: [],
    });
  });

  it('never reads clauses out of strings, comments or parentheses', () => {
    expect(
      summary("ADD note VARCHAR(20) DEFAULT 'x, CHANGE a b INT' COMMENT 'change column x y, drop column z'"),
    ).toEqual({
      clauses: "ADD note VARCHAR(20) DEFAULT 'x, CHANGE a b INT' COMMENT 'change column x y, drop column z'",
      renames: [],
      dropped: [],
    });
    expect(summary('ADD s VARCHAR(9) DEFAULT "it\\"s, drop q" /* , CHANGE a b INT */').dropped).toEqual([]);
    expect(summary("ADD s VARCHAR(9) DEFAULT 'it''s, drop q', ADD t INT").dropped).toEqual([]);
    expect(summary("ADD s ENUM('a','b', 'drop c') # , DROP d\n, ADD e INT").dropped).toEqual([]);
    expect(summary('ADD INDEX ix (a, b), ADD c INT -- , CHANGE a b INT').renames).toEqual([]);
  });
});

describe('analyzeAlter: dropped columns', () => {
  it('collects DROP [COLUMN] [IF EXISTS] names, quoted or not', () => {
    expect(summary('DROP COLUMN a, DROP `b``c`, DROP COLUMN IF EXISTS d, drop e').dropped).toEqual([
      'a',
      'b`c',
      'd',
      'e',
    ]);
  });

  it('ignores dropped indexes and constraints', () => {
    expect(
      summary(
        'DROP INDEX a, DROP KEY b, DROP PRIMARY KEY, DROP FOREIGN KEY fk, DROP CHECK c, DROP CONSTRAINT d, DROP SYSTEM VERSIONING',
      ).dropped,
    ).toEqual([]);
  });

  it('still treats columns named system or period as columns', () => {
    expect(summary('DROP system, DROP COLUMN period').dropped).toEqual(['system', 'period']);
  });

  it('keeps a dropped name that the ALTER adds again or renames another column to', () => {
    const a = summary(
      'DROP COLUMN c1, ADD COLUMN C1 INT NOT NULL DEFAULT 47, DROP COLUMN a, RENAME COLUMN b TO a, DROP p, CHANGE COLUMN q p INT NULL',
    );
    expect(a.dropped).toEqual(['c1', 'a', 'p']);
    expect(a.renames).toEqual([
      ['b', 'a'],
      ['q', 'p'],
    ]);
  });
});

describe('analyzeAlter: refusals', () => {
  it('refuses a table rename', () => {
    for (const input of ['RENAME TO orders2', 'RENAME AS orders2', 'RENAME orders2', 'ADD x INT, RENAME TO `o`']) {
      const err = caught(() => analyzeAlter(input, 'orders'));
      expect(err.code).toBe('ALTER_REFUSED');
      expect(err.message).toBe(
        'the --alter renames the table; osc changes a table in place under its own name: remove the RENAME from the --alter and run RENAME TABLE after the migration',
      );
    }
  });

  it('refuses more than one statement', () => {
    const err = caught(() => analyzeAlter('ADD x INT; DROP TABLE orders', 'orders'));
    expect(err.code).toBe('ALTER_REFUSED');
    expect(err.message).toBe(
      'the --alter holds more than one statement; osc applies the clauses of one ALTER TABLE (separate clauses with commas) and runs nothing else: run other statements separately',
    );
    expect(caught(() => analyzeAlter('ADD x INT;;', 'orders')).code).toBe('ALTER_REFUSED');
    expect(analyzeAlter("ADD x VARCHAR(3) DEFAULT ';'", 'orders').clauses).toBe("ADD x VARCHAR(3) DEFAULT ';'");
  });

  it('refuses foreign keys', () => {
    const expected =
      'the --alter adds a foreign key; osc refuses foreign keys (the constraint would point at or stay with the old table after the swap): remove the foreign key from the --alter and add it with a plain ALTER TABLE after the migration';
    for (const input of [
      'ADD FOREIGN KEY (customer_id) REFERENCES customers (id)',
      'ADD CONSTRAINT fk_c FOREIGN KEY (customer_id) REFERENCES customers (id)',
      'add constraint `fk` foreign key fk_i (customer_id) references customers (id) on delete cascade',
      'ADD COLUMN customer_id INT REFERENCES customers (id)',
    ]) {
      const err = caught(() => analyzeAlter(input, 'orders'));
      expect(err.code).toBe('ALTER_REFUSED');
      expect(err.message).toBe(expected);
    }
    expect(summary("ADD note TEXT COMMENT 'foreign key references'").clauses).toBe(
      "ADD note TEXT COMMENT 'foreign key references'",
    );
    expect(summary('ADD `foreign` INT, ADD INDEX foreign_ix (`foreign`)').clauses).toBe(
      'ADD `foreign` INT, ADD INDEX foreign_ix (`foreign`)',
    );
  });

  it('refuses DISCARD and IMPORT TABLESPACE', () => {
    const err = caught(() => analyzeAlter('DISCARD TABLESPACE', 'orders'));
    expect(err.code).toBe('ALTER_REFUSED');
    expect(err.message).toBe(
      "the --alter has DISCARD TABLESPACE, which acts on the table's data files, not its schema; run it directly on the server, not through osc",
    );
    expect(caught(() => analyzeAlter('import tablespace', 'orders')).code).toBe('ALTER_REFUSED');
  });

  it('passes partition maintenance and table options through', () => {
    expect(summary('ADD PARTITION (PARTITION p3 VALUES LESS THAN (3000))').clauses).toBe(
      'ADD PARTITION (PARTITION p3 VALUES LESS THAN (3000))',
    );
    expect(
      summary('REORGANIZE PARTITION p0 INTO (PARTITION a VALUES LESS THAN (5), PARTITION b VALUES LESS THAN (10))')
        .dropped,
    ).toEqual([]);
    expect(summary('ENGINE=InnoDB, CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci').clauses).toBe(
      'ENGINE=InnoDB, CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci',
    );
  });
});

describe('analyzeAlter: partition operations on rows, and other engines', () => {
  it.each([
    'DROP PARTITION p1',
    'TRUNCATE PARTITION p1, p2',
    'EXCHANGE PARTITION p1 WITH TABLE other',
    'CONVERT PARTITION p1 TO TABLE other',
    'CONVERT TABLE other TO PARTITION p9 VALUES LESS THAN (100)',
    'DISCARD PARTITION p1 TABLESPACE',
    'IMPORT PARTITION ALL TABLESPACE',
    'ANALYZE PARTITION p1',
    'CHECK PARTITION ALL',
    'OPTIMIZE PARTITION p1',
    'REBUILD PARTITION p1',
    'REPAIR PARTITION p1',
    'ADD COLUMN x INT, drop partition p1',
  ])('refuses %s, saying to run it directly', (alter) => {
    const err = caught(() => analyzeAlter(alter, 'orders'));
    expect(err.code).toBe('ALTER_REFUSED');
    expect(err.message).toMatch(/acts on the rows in partitions.*run it directly on the server/);
  });

  it('names the operation', () => {
    expect(caught(() => analyzeAlter('EXCHANGE PARTITION p1 WITH TABLE other', 'orders')).message).toMatch(
      /^the --alter has EXCHANGE PARTITION, which/,
    );
  });

  it.each([
    'PARTITION BY HASH (id) PARTITIONS 4',
    'REMOVE PARTITIONING',
    'COALESCE PARTITION 2',
    'ADD PARTITION PARTITIONS 2',
    'CONVERT TO CHARACTER SET utf8mb4',
    'CHECK (qty > 0)',
    'ADD COLUMN `partition` INT, DROP COLUMN `exchange`',
  ])('passes %s (the copy fills the reshaped table)', (alter) => {
    expect(analyzeAlter(alter, 'orders').clauses).toBe(alter);
  });

  it('refuses another engine, anywhere among the table options', () => {
    for (const alter of ['ENGINE=MyISAM', 'engine MEMORY', 'ADD x INT, DEFAULT CHARSET=utf8mb4 ENGINE = Aria']) {
      const err = caught(() => analyzeAlter(alter, 'orders'));
      expect(err.code).toBe('ALTER_REFUSED');
      expect(err.message).toMatch(
        /^the --alter changes the engine to (MyISAM|MEMORY|Aria); .*remove the ENGINE clause/,
      );
    }
  });

  it('passes ENGINE=InnoDB (a rebuild) and columns named engine', () => {
    expect(analyzeAlter('ENGINE=InnoDB', 'orders').clauses).toBe('ENGINE=InnoDB');
    expect(analyzeAlter("ADD COLUMN engine VARCHAR(10) DEFAULT 'MyISAM'", 'orders').clauses).toBe(
      "ADD COLUMN engine VARCHAR(10) DEFAULT 'MyISAM'",
    );
    expect(analyzeAlter("COMMENT 'engine=MyISAM'", 'orders').clauses).toBe("COMMENT 'engine=MyISAM'");
  });
});
