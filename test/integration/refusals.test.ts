// Bad input and unsafe servers: each refusal exits 2 with a specific message and changes nothing
// (the schema's table list and the original's checksum are identical before and after, and no run lock is held).
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { exactConnection, quoteId } from '../support/load.js';
import type { Endpoint } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, migrationUser, oscArgv, runOsc, RUN_TAG } from '../support/run-osc.js';
import type { OscRun } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { checksum, tableNames } from '../support/verify.js';
import { lockName } from '../../src/core/names.js';

const DB = `osc_t_refusals_${RUN_TAG}`;
const ORDERS = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  qty INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

let admin: Connection;
let mig: Endpoint;

async function seed(sql: string, rows = 200, table = 't'): Promise<void> {
  await admin.query(`USE ${quoteId(DB)}`);
  await admin.query(sql);
  if (rows > 0) {
    await admin.query(
      `INSERT INTO ${quoteId(table)} (id, name, qty) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?)').join(', ')}`,
      Array.from({ length: rows }, (_, i) => [i + 1, `name ${i % 50}`, i * 3]).flat(),
    );
  }
}

interface State {
  readonly tables: string[];
  readonly sums: Record<string, string | null>;
}

async function state(): Promise<State> {
  const tables = await tableNames(admin, DB);
  const sums: Record<string, string | null> = {};
  for (const t of tables) sums[t] = await checksum(admin, { database: DB, table: t });
  return { tables, sums };
}

function osc(args: readonly string[], who: Endpoint = mig, table = 't'): Promise<OscRun> {
  // A refusal that does not happen becomes a whole migration: bound it, so its lock and tables are
  // cleaned up before the next test instead of failing every test after it.
  return runOsc(oscArgv(who, DB, table, ['--replica-server-id', String(uniqueServerId()), ...args]), {
    signal: AbortSignal.timeout(60_000),
  });
}

/** Runs osc, expects exit 2 with `code=<code>` and the message, and the schema exactly as before. */
async function expectRefusal(
  args: readonly string[],
  code: string,
  message: RegExp,
  opts: { who?: Endpoint; table?: string } = {},
): Promise<OscRun> {
  const before = await state();
  const run = await osc(args, opts.who ?? mig, opts.table ?? 't');
  expect(run.code, explainRun(run)).toBe(2);
  expect(run.stderr).toContain(`code=${code}`);
  expect(run.stderr).toMatch(message);
  expect(await state()).toEqual(before);
  for (const t of before.tables) expect(t).not.toMatch(/^_.*_(gho|ghc|del)$/);
  // No run lock left behind (the test holding it itself, in 'already migrating', is the one exception).
  const [held] = await admin.query('SELECT IS_USED_LOCK(?) AS who', [lockName(DB, opts.table ?? 't')]);
  if (code !== 'ALREADY_RUNNING') expect((held as { who: unknown }[])[0]?.who).toBeNull();
  // A refusal created nothing, so it has nothing to clean up or to report about tables it never made.
  expect(run.stderr).not.toContain('cleanup_failed');
  return run;
}

const ALTER = ['--alter', 'ADD COLUMN extra INT NULL', '--execute'];

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await admin.query(`CREATE DATABASE ${quoteId(DB)} DEFAULT CHARACTER SET utf8mb4`);
  mig = await migrationUser(admin, testServer().primary, DB);
});

afterAll(async () => {
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

beforeEach(async () => {
  // One schema for the file, emptied before each test (child tables first, for the foreign keys).
  await admin.query('SET FOREIGN_KEY_CHECKS = 0');
  for (const t of await tableNames(admin, DB)) await admin.query(`DROP TABLE ${quoteId(DB)}.${quoteId(t)}`);
  await admin.query('SET FOREIGN_KEY_CHECKS = 1');
});

describe('refusals: exit 2, a specific message, nothing changed', () => {
  test('unknown table', async () => {
    await seed(ORDERS);
    await expectRefusal(ALTER, 'TABLE_NOT_FOUND', new RegExp(`table ${DB}\\.nope does not exist`), { table: 'nope' });
  });

  test('no usable unique key', async () => {
    await seed(
      'CREATE TABLE t (id INT NULL, name VARCHAR(64) NOT NULL, qty INT NOT NULL, UNIQUE KEY uk_id (id), KEY k_name (name)) ENGINE=InnoDB',
    );
    await expectRefusal(ALTER, 'NO_SHARED_UNIQUE_KEY', /unique key/i);
  });

  test('an ALTER that drops the only unique key', async () => {
    await seed(ORDERS);
    await expectRefusal(['--alter', 'DROP PRIMARY KEY', '--execute'], 'NO_SHARED_UNIQUE_KEY', /unique key/i);
  });

  test('an ALTER with a syntax error', async () => {
    await seed(ORDERS);
    await expectRefusal(['--alter', 'ADD COLUMN extra INT NOT NULL DEFALT 0', '--execute'], 'ALTER_INVALID', /ALTER/);
  });

  test('a foreign key, on the child side', async () => {
    await seed(ORDERS);
    await admin.query(
      'CREATE TABLE child (id INT NOT NULL PRIMARY KEY, t_id INT NOT NULL, CONSTRAINT fk_child_t FOREIGN KEY (t_id) REFERENCES t (id)) ENGINE=InnoDB',
    );
    await admin.query('INSERT INTO child VALUES (1, 1), (2, 2)');
    await expectRefusal(ALTER, 'TABLE_UNSUPPORTED', /foreign key.*fk_child_t/i, { table: 'child' });
  });

  test('a foreign key, on the parent side', async () => {
    await seed(ORDERS);
    await admin.query(
      'CREATE TABLE child (id INT NOT NULL PRIMARY KEY, t_id INT NOT NULL, CONSTRAINT fk_child_t FOREIGN KEY (t_id) REFERENCES t (id)) ENGINE=InnoDB',
    );
    await expectRefusal(ALTER, 'TABLE_UNSUPPORTED', /foreign key.*fk_child_t/i);
  });

  test('a trigger', async () => {
    await seed(ORDERS);
    await admin.query('CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW SET NEW.qty = NEW.qty + 1');
    await expectRefusal(ALTER, 'TABLE_UNSUPPORTED', /trigger.*t_touch/i);
  });

  test('a table that is not InnoDB', async () => {
    await seed(ORDERS.replace('ENGINE=InnoDB', 'ENGINE=MyISAM'));
    await expectRefusal(ALTER, 'TABLE_UNSUPPORTED', /MyISAM.*InnoDB/);
  });

  for (const [variable, bad, good] of [
    ['binlog_format', 'STATEMENT', 'ROW'],
    ['binlog_row_image', 'MINIMAL', 'FULL'],
  ] as const) {
    test(`${variable} = ${bad}`, async () => {
      await seed(ORDERS);
      const [rows] = await admin.query<RowDataPacket[]>(`SELECT @@GLOBAL.${variable} AS v`);
      const v: unknown = rows[0]?.['v'];
      const original = typeof v === 'string' ? v : good;
      await admin.query(`SET GLOBAL ${variable} = ?`, [bad]);
      try {
        await expectRefusal(ALTER, 'BINLOG_SETTINGS', new RegExp(`${variable}.*${bad}`, 'i'));
      } finally {
        await admin.query(`SET GLOBAL ${variable} = ?`, [original]);
      }
    });
  }

  test('a replica as --host', async () => {
    const replica = testServer().replica;
    expect(replica, 'the test servers must include a replica').toBeDefined();
    if (!replica) return;
    await seed(ORDERS);
    const onReplica = await exactConnection(replica);
    try {
      // The table and the migration user arrive through replication.
      await waitFor(async () => (await tableNames(onReplica, DB)).includes('t'), {
        timeoutMs: 20_000,
        message: 'table t on the replica',
      });
      await waitFor(
        async () => {
          const [rows] = await onReplica.query('SELECT COUNT(*) AS n FROM mysql.user WHERE user = ?', [mig.user]);
          return Number((rows as { n: unknown }[])[0]?.n) > 0;
        },
        { timeoutMs: 20_000, message: 'migration user on the replica' },
      );
      // And every seeded row: compare with the primary, or a late row would look like a change osc made.
      const onPrimary = await checksum(admin, { database: DB, table: 't' });
      await waitFor(async () => (await checksum(onReplica, { database: DB, table: 't' })) === onPrimary, {
        timeoutMs: 20_000,
        message: 'the replica caught up',
      });
      const before = {
        tables: await tableNames(onReplica, DB),
        sum: await checksum(onReplica, { database: DB, table: 't' }),
      };
      const run = await osc(ALTER, { ...mig, host: replica.host, port: replica.port });
      expect(run.code, explainRun(run)).toBe(2);
      expect(run.stderr).toContain('code=NOT_PRIMARY');
      expect(run.stderr).toMatch(/replica|read_only/);
      expect({
        tables: await tableNames(onReplica, DB),
        sum: await checksum(onReplica, { database: DB, table: 't' }),
      }).toEqual(before);
    } finally {
      await onReplica.end();
    }
  });

  test('missing grants (no REPLICATION SLAVE)', async () => {
    await seed(ORDERS);
    const flavor = testServer().flavor;
    const lacking = await migrationUser(admin, testServer().primary, DB, {
      user: `osc_e2e_norepl_${RUN_TAG}`,
      password: 'osc_e2e_norepl_pw',
      global: flavor === 'mariadb' ? ['BINLOG MONITOR', 'SLAVE MONITOR'] : ['REPLICATION CLIENT'],
    });
    try {
      await expectRefusal(ALTER, 'MISSING_GRANTS', /lacks.*REPLICATION SLAVE/, { who: lacking });
    } finally {
      await dropUser(admin, lacking.user);
    }
  });

  test('a wrong password', async () => {
    await seed(ORDERS);
    const run = await expectRefusal(
      ALTER,
      'ACCESS_DENIED',
      new RegExp(`access denied for user '${MIGRATION_USER}'`, 'i'),
      { who: { ...mig, password: 'not-the-password' } },
    );
    expect(run.stderr).not.toContain('not-the-password');
    // Only the refusal itself is an error: nothing about ghost or changelog tables this run never created.
    expect(run.stderr.split('\n').filter((l) => / ERROR /.test(l))).toEqual([
      expect.stringContaining('error code=ACCESS_DENIED'),
    ]);
    expect(run.stderr).not.toMatch(/_t_gho|_t_ghc/);
  });

  test('an unreachable host (a closed port)', async () => {
    await seed(ORDERS);
    // A port that was free a moment ago: bind it, note it, close it.
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    await expectRefusal(ALTER, 'CONNECT_FAILED', new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}`), {
      who: { ...mig, host: '127.0.0.1', port },
    });
  });

  test('a second run on a table already being migrated (its named lock is held)', async () => {
    await seed(ORDERS);
    const other = await exactConnection(testServer().primary);
    try {
      const [rows] = await other.query('SELECT GET_LOCK(?, 0) AS got', [`osc:${DB}.t`]);
      expect(Number((rows as { got: unknown }[])[0]?.got)).toBe(1);
      await expectRefusal(ALTER, 'ALREADY_RUNNING', /already migrating/);
    } finally {
      await other.end();
    }
  });

  test('a leftover ghost table without --initially-drop-ghost-table; with it the run succeeds', async () => {
    await seed(ORDERS);
    await admin.query('CREATE TABLE _t_gho (id INT NOT NULL PRIMARY KEY) ENGINE=InnoDB');
    const before = await state();
    const run = await osc(ALTER);
    expect(run.code, explainRun(run)).toBe(2);
    expect(run.stderr).toContain('code=TABLE_EXISTS');
    expect(run.stderr).toMatch(/_t_gho already exists.*--initially-drop-ghost-table/);
    expect(await state()).toEqual(before);

    const sum = await checksum(admin, { database: DB, table: 't' });
    const ok = await osc([...ALTER, '--initially-drop-ghost-table']);
    expect(ok.code, explainRun(ok)).toBe(0);
    expect((await tableNames(admin, DB)).sort()).toEqual(['_t_del', 't']);
    expect(await checksum(admin, { database: DB, table: '_t_del' })).toBe(sum);
    const [cols] = await admin.query(
      'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [DB, 't'],
    );
    expect((cols as { c: string }[]).map((r) => r.c)).toEqual(['id', 'name', 'qty', 'extra']);
  });
});

describe('a failed migration: exit 1, original intact, own tables dropped', () => {
  test('an ALTER adding a UNIQUE key over duplicate data', async () => {
    await seed(ORDERS);
    const before = await state();
    const run = await osc(['--alter', 'ADD UNIQUE KEY uk_name (name)', '--execute']);
    expect(run.code, explainRun(run)).toBe(1);
    expect(run.stderr).toContain('code=DATA_CONFLICT');
    expect(run.stderr).toMatch(/uk_name/);
    const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM ${quoteId(DB)}.t`);
    expect(Number((rows as { n: unknown }[])[0]?.n)).toBe(200);
    expect(await state()).toEqual(before);
  });
});
