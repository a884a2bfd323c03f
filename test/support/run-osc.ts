// Runs osc in-process through the CLI's main(), capturing stdout and stderr, as the migration user
// with exactly the documented grants (created here from the admin connection).
import type { Connection } from 'mysql2/promise';
import { main } from '../../src/cli/main.js';
import type { ChecksumTesting } from '../../src/stages/checksum/checksum.js';
import type { CutOverTesting } from '../../src/stages/cutover/cutover.js';
import type { Endpoint } from './load.js';
import { quoteId } from './load.js';

export interface OscRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunOptions {
  /** Called with each stderr chunk as it is written (one log line per event). */
  readonly onStderr?: (text: string) => void;
  readonly signal?: AbortSignal;
  /** Echo stderr to the test's own stderr (the demo shows status lines this way). */
  readonly echo?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** The run may repair what its checksum found (a test that changes the ghost on purpose); else a repair fails it. */
  readonly allowRepairs?: boolean;
  /** Passed to main() (the checksum's test-only knobs). */
  readonly checksumTesting?: ChecksumTesting;
  /** Passed to main() (the cut-over's test-only hooks). */
  readonly cutOverTesting?: CutOverTesting;
}

/** `verified: 1000 rows in 3 chunks, 2 repaired` in a summary -> 2; null when the summary has no such line. */
export function repairsOf(stdout: string): number | null {
  const m = /verified:\s+\d+ rows in \d+ chunks, (\d+) repaired/.exec(stdout);
  return m ? Number(m[1]) : null;
}

/** argv for main(): connection flags first, then the rest. */
export function oscArgv(e: Endpoint, database: string, table: string, rest: readonly string[]): string[] {
  return [
    'node',
    'osc',
    '--host',
    e.host,
    '--port',
    String(e.port),
    '--user',
    e.user,
    '--password',
    e.password,
    '--database',
    database,
    '--table',
    table,
    // Isolation from whatever else runs on this machine: no shared throttle flag file, no fixed metrics port.
    // A test that wants them passes its own values in `rest`, which come later and win.
    '--throttle-additional-flag-file',
    '',
    '--metrics-address',
    'off',
    ...rest,
  ];
}

export async function runOsc(argv: readonly string[], opts: RunOptions = {}): Promise<OscRun> {
  let stdout = '';
  let stderr = '';
  const started = Date.now();
  const code = await main(argv, {
    stdout: (t: string) => {
      stdout += t;
    },
    stderr: (t: string) => {
      stderr += t;
      if (opts.echo) process.stderr.write(t);
      opts.onStderr?.(t);
    },
    env: opts.env ?? {},
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.checksumTesting === undefined ? {} : { checksumTesting: opts.checksumTesting }),
    ...(opts.cutOverTesting === undefined ? {} : { cutOverTesting: opts.cutOverTesting }),
  });
  const run = { code, stdout, stderr, ms: Date.now() - started };
  // Every migration the suite runs is checked: a repair where nothing changed the ghost behind osc's back is a
  // false positive of the checksum, or a copy or replay bug it covered up.
  if (!opts.allowRepairs && (repairsOf(stdout) ?? 0) > 0)
    throw new Error(`the checksum repaired ranges in a run that needed none\n${explainRun(run)}`);
  return run;
}

/** One message for a failed expectation: exit code and the tail of the output. */
export function explainRun(r: OscRun): string {
  const tail = (s: string) => s.split('\n').slice(-25).join('\n');
  return `exit ${r.code} after ${r.ms} ms\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`;
}

/**
 * Tag for names this test process creates (databases, users): runs of the suite that share a server
 * (engineers side by side, a demo next to a test) must not drop each other's tables or kill each other's threads.
 */
export const RUN_TAG = String(process.pid % 100_000);
export const MIGRATION_USER = `osc_e2e_${RUN_TAG}`;
export const MIGRATION_PASSWORD = 'osc_e2e_pw';

async function isMariaDb(admin: Connection): Promise<boolean> {
  const [rows] = await admin.query('SELECT VERSION() AS v');
  return /mariadb/i.test(String((rows as { v: unknown }[])[0]?.v));
}

/**
 * The migration user with exactly the grants the README documents: on the test database ALTER, CREATE, DELETE,
 * DROP, INDEX, INSERT, LOCK TABLES, SELECT, TRIGGER, UPDATE; globally REPLICATION SLAVE plus REPLICATION CLIENT (MySQL)
 * or BINLOG MONITOR, SLAVE MONITOR, REPLICATION MASTER ADMIN (MariaDB). Grants accumulate per database; `user` lets a test make another.
 */
export async function migrationUser(
  admin: Connection,
  server: Pick<Endpoint, 'host' | 'port'>,
  database: string,
  opts: { user?: string; password?: string; global?: readonly string[] } = {},
): Promise<Endpoint> {
  const user = opts.user ?? MIGRATION_USER;
  const password = opts.password ?? MIGRATION_PASSWORD;
  const mariadb = await isMariaDb(admin);
  const global =
    opts.global ??
    (mariadb
      ? ['REPLICATION SLAVE', 'BINLOG MONITOR', 'SLAVE MONITOR', 'REPLICATION MASTER ADMIN']
      : ['REPLICATION SLAVE', 'REPLICATION CLIENT']);
  await admin.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, '%', password]);
  await admin.query(
    `GRANT ALTER, CREATE, DELETE, DROP, INDEX, INSERT, LOCK TABLES, SELECT, TRIGGER, UPDATE ON ${quoteId(database)}.* TO ?@?`,
    [user, '%'],
  );
  if (global.length > 0) await admin.query(`GRANT ${global.join(', ')} ON *.* TO ?@?`, [user, '%']);
  return { host: server.host, port: server.port, user, password };
}

/** Drops a user made by migrationUser (for tests that make one lacking a grant). */
export async function dropUser(admin: Connection, user: string): Promise<void> {
  await admin.query('DROP USER IF EXISTS ?@?', [user, '%']);
}
