// Bad input beyond refusals.test.ts: each case exits 2 with a message that says what to do, and leaves the server
// exactly as it was: the same tables with the same checksums, no run lock held, no session of osc's left open.
// Cases share one seeded table and run the CLI in-process. Names that need quoting must work end to end, and
// nothing in a name or an ALTER may run a second statement.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PassThrough } from 'node:stream';
import { promptPassword } from '../../src/cli/ask-pass.js';
import { main } from '../../src/cli/main.js';
import { lockName } from '../../src/core/names.js';
import { exactConnection, quoteId } from '../support/load.js';
import type { Endpoint } from '../support/load.js';
import { dropUser, explainRun, MIGRATION_USER, migrationUser, oscArgv, runOsc, RUN_TAG } from '../support/run-osc.js';
import type { OscRun } from '../support/run-osc.js';
import { testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { checksum, columnsOf, tableNames } from '../support/verify.js';

const DB = `osc_t_badinput_${RUN_TAG}`;
const ROWS = 100;

let admin: Connection;
let mig: Endpoint;
let dir: string;

async function state(database = DB): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const t of await tableNames(admin, database)) out[t] = await checksum(admin, { database, table: t });
  return out;
}

async function lockHolder(database: string, table: string): Promise<unknown> {
  const [rows] = await admin.query<RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS who', [lockName(database, table)]);
  return rows[0]?.['who'];
}

async function sessionsOf(user: string): Promise<number> {
  const [rows] = await admin.query<RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?',
    [user],
  );
  return Number(rows[0]?.['n']);
}

interface OscOptions {
  readonly table?: string;
  /** Flags of oscArgv's connection part to leave out (with their values), for cases that give them elsewhere. */
  readonly without?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

function osc(args: readonly string[], opts: OscOptions = {}): Promise<OscRun> {
  const argv = oscArgv(mig, DB, opts.table ?? 't', ['--replica-server-id', String(uniqueServerId()), ...args]);
  for (const flag of opts.without ?? []) argv.splice(argv.indexOf(flag), 2);
  return runOsc(argv, { signal: AbortSignal.timeout(60_000), ...(opts.env === undefined ? {} : { env: opts.env }) });
}

/** Exit 2, `code=<code>`, the message, and the server exactly as before: tables, checksums, lock, sessions. */
async function expectRefusal(
  args: readonly string[],
  code: string,
  message: RegExp,
  opts: OscOptions = {},
): Promise<OscRun> {
  const before = await state();
  const run = await osc(args, opts);
  expect(run.code, explainRun(run)).toBe(2);
  expect(run.stderr).toContain(`code=${code}`);
  expect(run.stderr).toMatch(message);
  expect(await state()).toEqual(before);
  expect(await lockHolder(DB, opts.table ?? 't')).toBeNull();
  await waitFor(async () => (await sessionsOf(mig.user)) === 0, {
    timeoutMs: 5_000,
    message: "osc's sessions closed",
  });
  return run;
}

const ALTER = ['--alter', 'ADD COLUMN extra INT NULL', '--execute'];

beforeAll(async () => {
  admin = await exactConnection(testServer().primary);
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await admin.query(`CREATE DATABASE ${quoteId(DB)} DEFAULT CHARACTER SET utf8mb4`);
  await admin.query(`USE ${quoteId(DB)}`);
  await admin.query(
    'CREATE TABLE t (id INT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, qty INT NOT NULL) ENGINE=InnoDB',
  );
  await admin.query(
    `INSERT INTO t VALUES ${Array.from({ length: ROWS }, (_, i) => `(${i + 1}, 'name ${i}', ${i * 3})`).join(', ')}`,
  );
  // What an injected statement would drop.
  await admin.query('CREATE TABLE victim (id INT NOT NULL PRIMARY KEY) ENGINE=InnoDB');
  await admin.query('INSERT INTO victim VALUES (1), (2), (3)');
  mig = await migrationUser(admin, testServer().primary, DB);
  dir = mkdtempSync(join(tmpdir(), 'osc-badinput-'));
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (!admin) return;
  await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DB)}`);
  await dropUser(admin, MIGRATION_USER);
  await admin.end();
});

describe('contradicting flags', () => {
  test('--quiet with --verbose', async () => {
    await expectRefusal([...ALTER, '--quiet', '--verbose'], 'BAD_USAGE', /--quiet and --verbose contradict/);
  });

  test('--password with --ask-pass', async () => {
    await expectRefusal([...ALTER, '--ask-pass'], 'BAD_USAGE', /drop --password \(it shows in the process list\)/);
  });

  test('one file as throttle flag and panic flag', async () => {
    const f = join(dir, 'flag');
    await expectRefusal(
      [...ALTER, '--throttle-flag-file', f, '--panic-flag-file', f],
      'BAD_USAGE',
      /--throttle-flag-file and --panic-flag-file name the same file .*give each its own file/,
    );
  });

  test('the control port on the metrics port', async () => {
    await expectRefusal(
      [...ALTER, '--metrics-address', '127.0.0.1:19466', '--serve-tcp-port', '19466'],
      'BAD_USAGE',
      /want the same port: choose another for one of them/,
    );
  });

  test('--ssl-mode disabled with --ssl-ca', async () => {
    await expectRefusal(
      [...ALTER, '--ssl-mode', 'disabled', '--ssl-ca', join(dir, 'ca.pem')],
      'BAD_USAGE',
      /--ssl-mode disabled contradicts --ssl-ca/,
    );
  });

  test('--ssl-cert without --ssl-key', async () => {
    await expectRefusal(
      [...ALTER, '--ssl-cert', join(dir, 'c.pem')],
      'BAD_USAGE',
      /--ssl-cert and --ssl-key go together/,
    );
  });

  test('--ask-pass with no terminal to prompt on', async () => {
    const before = await state();
    const argv = oscArgv(mig, DB, 't', [...ALTER, '--ask-pass']);
    argv.splice(argv.indexOf('--password'), 2);
    let stderr = '';
    const code = await main(argv, {
      stdout: () => undefined,
      stderr: (t) => void (stderr += t),
      env: {},
      signal: AbortSignal.timeout(60_000),
      // stdin as a pipe, not a terminal
      askPassword: (prompt) => promptPassword(new PassThrough(), () => undefined, prompt),
    });
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/code=BAD_USAGE .*--ask-pass needs a terminal.*OSC_PASSWORD/);
    expect(await state()).toEqual(before);
  });
});

describe('values out of range or malformed', () => {
  test.each([
    [['--chunk-size', '5'], /invalid --chunk-size "5": expected an integer from 10 to 100000/],
    [['--threads', '9'], /invalid --threads "9": expected an integer from 1 to 8/],
    [['--port', '70000'], /invalid --port "70000": expected an integer from 1 to 65535/],
    [['--max-lag-millis', '50'], /invalid --max-lag-millis "50": expected an integer from 100/],
    [['--cut-over-lock-timeout-seconds', '0'], /invalid --cut-over-lock-timeout-seconds "0"/],
    [['--nice-ratio', '101'], /invalid --nice-ratio "101": expected a decimal number from 0 to 100/],
    [['--max-load', 'Threads_running'], /invalid --max-load "Threads_running": expected comma-separated/],
    [['--metrics-address', 'nohost'], /invalid --metrics-address "nohost"/],
    [['--ssl-mode', 'on'], /invalid --ssl-mode "on": expected disabled, preferred, required, verify-ca/],
    [['--replica-server-id', '0'], /invalid --replica-server-id "0"/],
  ])('%j', async (args, message) => {
    await expectRefusal([...ALTER, ...args], 'BAD_USAGE', message);
  });

  test('a --ssl-ca file that does not exist', async () => {
    await expectRefusal(
      [...ALTER, '--ssl-ca', join(dir, 'missing-ca.pem')],
      'BAD_USAGE',
      /cannot read --ssl-ca .*missing-ca\.pem/,
    );
  });
});

describe('--conf files that do not parse', () => {
  test.each([
    ['unclosed-quote.cnf', '[client]\npassword="abc\n', /--conf .*unclosed-quote\.cnf line 2: missing closing "/],
    ['bad-section.cnf', '[client\nuser=x\n', /--conf .*bad-section\.cnf line 1: malformed section header/],
    ['bad-port.cnf', '[client]\nport=mysql\n', /invalid port "mysql" in --conf .*bad-port\.cnf/],
    ['trailing.cnf', "[client]\nuser='osc' extra\n", /line 2: unexpected text after the closing quote/],
  ])('%s', async (name, text, message) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    // --port on the command line would win over the file's, which then is never read.
    await expectRefusal([...ALTER, '--conf', path], 'BAD_USAGE', message, { without: ['--port'] });
  });

  test('a --conf file that does not exist', async () => {
    await expectRefusal([...ALTER, '--conf', join(dir, 'nope.cnf')], 'BAD_USAGE', /cannot read --conf .*nope\.cnf/);
  });
});

describe('ALTERs osc refuses', () => {
  test('an ALTER naming another table', async () => {
    await expectRefusal(
      ['--alter', 'ALTER TABLE victim ADD COLUMN c INT', '--execute'],
      'BAD_USAGE',
      /names another table \(victim\) than --table \(t\)/,
    );
  });

  test('two statements: ADD c INT; DROP TABLE victim', async () => {
    await expectRefusal(
      ['--alter', 'ADD c INT; DROP TABLE victim', '--execute'],
      'ALTER_REFUSED',
      /more than one statement.*run other statements separately/,
    );
  });

  test('a second statement inside an executable comment', async () => {
    await expectRefusal(
      ['--alter', 'ADD c INT /*!; DROP TABLE victim */', '--execute'],
      'ALTER_REFUSED',
      /more than one statement/,
    );
  });

  test('RENAME TO', async () => {
    await expectRefusal(['--alter', 'RENAME TO t2', '--execute'], 'ALTER_REFUSED', /renames the table.*RENAME TABLE/);
  });

  test('ENGINE=MyISAM', async () => {
    await expectRefusal(
      ['--alter', 'ADD c INT, ENGINE=MyISAM', '--execute'],
      'ALTER_REFUSED',
      /changes the engine to MyISAM.*remove the ENGINE clause/,
    );
  });

  test('DROP PARTITION', async () => {
    await expectRefusal(
      ['--alter', 'DROP PARTITION p0', '--execute'],
      'ALTER_REFUSED',
      /DROP PARTITION, which acts on the rows in partitions.*run it directly/,
    );
  });

  test('EXCHANGE PARTITION with another table', async () => {
    await expectRefusal(
      ['--alter', 'EXCHANGE PARTITION p0 WITH TABLE victim', '--execute'],
      'ALTER_REFUSED',
      /EXCHANGE PARTITION/,
    );
  });

  test('partitioning the server cannot apply (the key lacks the partitioning column)', async () => {
    await expectRefusal(
      ['--alter', 'PARTITION BY HASH (qty) PARTITIONS 4', '--execute'],
      'ALTER_INVALID',
      /the ALTER failed on the ghost table: .*(PRIMARY KEY|partitioning function)/i,
    );
  });

  test('a foreign key', async () => {
    await expectRefusal(
      ['--alter', 'ADD CONSTRAINT fk_v FOREIGN KEY (qty) REFERENCES victim (id)', '--execute'],
      'ALTER_REFUSED',
      /adds a foreign key.*after the migration/,
    );
  });

  test('an ALTER of only a comment', async () => {
    await expectRefusal(
      ['--alter', '-- nothing here', '--execute'],
      'BAD_USAGE',
      /the --alter is empty: give the clauses/,
    );
  });
});

describe('nothing in a name or an ALTER runs a second statement', () => {
  test('a table name holding a statement is one (missing) name', async () => {
    const table = 't`; DROP TABLE victim; -- ';
    await expectRefusal(ALTER, 'TABLE_NOT_FOUND', /does not exist/, { table });
    expect(await tableNames(admin, DB)).toContain('victim');
  });

  test('a quote escaped the other way stays inside its string (noop run, nothing dropped)', async () => {
    const before = await state();
    const run = await osc(['--alter', "ADD COLUMN c INT COMMENT 'x\\'; DROP TABLE victim; -- '"]);
    // Without --execute: the ALTER is proven on the ghost, which is dropped again.
    expect(run.code, explainRun(run)).toBe(0);
    expect(await state()).toEqual(before);
  });
});

describe('names that need quoting work end to end', () => {
  test.each([
    ['a space, a backtick and unicode', `osc_t_q ü\`${RUN_TAG}`, 'my `odd` tàble ✓'],
    ['reserved words', `osc_t_select_${RUN_TAG}`, 'select'],
  ])('%s', async (_what, database, table) => {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteId(database)}`);
    await admin.query(`CREATE DATABASE ${quoteId(database)} DEFAULT CHARACTER SET utf8mb4`);
    try {
      const t = `${quoteId(database)}.${quoteId(table)}`;
      await admin.query(
        `CREATE TABLE ${t} (\`key\` INT NOT NULL PRIMARY KEY, \`order\` VARCHAR(20) NOT NULL, \`my col\` INT NULL) ENGINE=InnoDB`,
      );
      await admin.query(`INSERT INTO ${t} VALUES (1, 'a', 1), (2, 'b', NULL), (3, 'c', 3)`);
      const user = await migrationUser(admin, testServer().primary, database);
      const run = await runOsc(
        oscArgv(user, database, table, [
          '--replica-server-id',
          String(uniqueServerId()),
          '--alter',
          'ADD COLUMN `from` INT NOT NULL DEFAULT 7, ADD INDEX `my index` (`order`, `my col`)',
          '--execute',
          '--ok-to-drop-table',
        ]),
        { signal: AbortSignal.timeout(60_000) },
      );
      expect(run.code, explainRun(run)).toBe(0);
      expect(await tableNames(admin, database)).toEqual([table]);
      expect((await columnsOf(admin, { database, table })).map((c) => c.name)).toEqual([
        'key',
        'order',
        'my col',
        'from',
      ]);
      const [rows] = await admin.query<RowDataPacket[]>(
        `SELECT \`key\`, \`order\`, \`my col\`, \`from\` FROM ${t} ORDER BY 1`,
      );
      expect(rows.map((r): unknown[] => [r['key'], r['order'], r['my col'], r['from']])).toEqual([
        [1, 'a', 1, 7],
        [2, 'b', null, 7],
        [3, 'c', 3, 7],
      ]);
      expect(await lockHolder(database, table)).toBeNull();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteId(database)}`);
    }
  });
});
