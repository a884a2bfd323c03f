// npm run demo [-- --flavor mariadb|mysql] (or OSC_TEST_FLAVOR=mysql npm run demo): start (or reuse) the local
// sandbox, seed shop.orders with 200,000 rows, keep a write load running, migrate the table with osc, verify every
// row, say what happened.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exactConnection, LoadGenerator, quoteId, seedRows } from '../test/support/load.js';
import type { Endpoint, RowModel } from '../test/support/load.js';
import { explainRun, migrationUser, oscArgv, runOsc } from '../test/support/run-osc.js';
import { describeComparison, snapshotTable, verifyMigration } from '../test/support/verify.js';
import { datetime6, decimal, mix } from '../test/scenarios/models.js';
import { waitForReplica } from '../test/support/replication.js';

const DATABASE = 'shop';
const EXPECTED = 'shop_expected';
const TABLE = 'orders';
const ROWS = 200_000;
const ALTER = "ADD COLUMN shipping_status VARCHAR(50) NOT NULL DEFAULT 'pending'";

const CREATE = `CREATE TABLE ${quoteId(TABLE)} (
  id BIGINT UNSIGNED NOT NULL,
  customer_id INT UNSIGNED NOT NULL,
  status ENUM('new', 'paid', 'shipped', 'cancelled') NOT NULL,
  amount DECIMAL(10,2) NOT NULL,
  currency CHAR(3) NOT NULL,
  note VARCHAR(255) NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_customer (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

const STATUSES = ['new', 'paid', 'shipped', 'cancelled'] as const;
const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;

const orders: RowModel = {
  keyColumns: ['id'],
  valueColumns: ['customer_id', 'status', 'amount', 'currency', 'note', 'created_at'],
  key: (id) => [id],
  values: (id, v) => {
    const h = mix(id, v);
    return [
      h % 5000,
      STATUSES[h % STATUSES.length],
      decimal(h % 10_000_000),
      CURRENCIES[(h >>> 4) % CURRENCIES.length],
      h % 7 === 0 ? null : `order ${id} (v${v})`,
      datetime6(h),
    ];
  },
};

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function flavorArg(argv: readonly string[]): string {
  const i = argv.indexOf('--flavor');
  const given = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--flavor='))?.slice('--flavor='.length);
  // The same variables as the sandbox and the tests, so `OSC_TEST_FLAVOR=mysql npm run demo` works too.
  const flavor = given ?? process.env['OSC_SANDBOX_FLAVOR'] ?? process.env['OSC_TEST_FLAVOR'] ?? 'mariadb';
  if (flavor !== 'mariadb' && flavor !== 'mysql')
    throw new Error(`--flavor must be mariadb or mysql, not ${JSON.stringify(flavor)}`);
  return flavor;
}

function endpoint(dsn: string): Endpoint {
  const url = new URL(dsn);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/** Starts or reuses the sandbox; its progress goes to our stderr, its DSN lines come back on stdout. */
function startSandbox(flavor: string): { primary: Endpoint; replica: Endpoint } {
  const script = fileURLToPath(new URL('./sandbox', import.meta.url));
  const out = execFileSync('bash', [script, 'start', '--flavor', flavor], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const dsn = /^OSC_TEST_DSN=(\S+)$/m.exec(out)?.[1];
  const replicaDsn = /^OSC_TEST_REPLICA_DSN=(\S+)$/m.exec(out)?.[1];
  if (!dsn || !replicaDsn)
    throw new Error(`scripts/sandbox start printed no OSC_TEST_DSN and OSC_TEST_REPLICA_DSN lines:\n${out}`);
  return { primary: endpoint(dsn), replica: endpoint(replicaDsn) };
}

async function demo(): Promise<number> {
  const flavor = flavorArg(process.argv.slice(2));
  say(`== sandbox (${flavor})`);
  const { primary, replica } = startSandbox(flavor);
  say(`primary at ${primary.host}:${primary.port}, replica at ${replica.host}:${replica.port}`);

  const admin = await exactConnection(primary);
  const replicaAdmin = await exactConnection(replica);
  try {
    say(`== seeding ${DATABASE}.${TABLE} with ${ROWS.toLocaleString('en')} rows`);
    let t0 = Date.now();
    await admin.query(`DROP DATABASE IF EXISTS ${quoteId(DATABASE)}`);
    await admin.query(`CREATE DATABASE ${quoteId(DATABASE)} DEFAULT CHARACTER SET utf8mb4`);
    await admin.query(`USE ${quoteId(DATABASE)}`);
    await admin.query(CREATE);
    await seedRows(admin, DATABASE, TABLE, orders, ROWS, 2000);
    say(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // The expectation: the seed as it is now; the load's writes are replayed onto it afterwards.
    await admin.query(`DROP DATABASE IF EXISTS ${quoteId(EXPECTED)}`);
    await admin.query(`CREATE DATABASE ${quoteId(EXPECTED)} DEFAULT CHARACTER SET utf8mb4`);
    await snapshotTable(admin, { database: DATABASE, table: TABLE }, { database: EXPECTED, table: TABLE });
    const mig = await migrationUser(admin, primary, DATABASE, { user: 'osc_demo', password: 'osc_demo_pw' });

    // osc reads its heartbeat on the replica as osc_demo. The user, its grants and the seed reach the replica
    // through replication, behind the 400,000 rows just written: started now, osc would find osc_demo unknown
    // there (`replica_unreadable ... Access denied`) and throttle until the replica caught up.
    // A replica far behind (other writers on a shared sandbox) would hold osc's copy just as long: say so meanwhile.
    say('== waiting for the replica to apply the seed and the osc_demo user');
    const caughtUp = await waitForReplica(admin, replicaAdmin, {
      onWait: (waited, behind) =>
        say(
          `  still waiting after ${Math.round(waited)} s; the replica reports ${behind === null ? 'an unknown lag' : `${behind} s behind`}`,
        ),
    });
    say(`replica caught up in ${caughtUp.toFixed(1)} s`);

    say('== write load: inserts, key-changing updates, updates and deletes, about 300 per second');
    const load = new LoadGenerator({
      endpoint: primary,
      database: DATABASE,
      table: TABLE,
      model: orders,
      seededRows: ROWS,
      rate: 300,
      maxMs: 600_000,
      maxWrites: 500_000,
    }).start();
    while (load.committed < 50) await new Promise((r) => setTimeout(r, 20));

    say(`== osc --alter "${ALTER}" --execute (log lines on stderr)`);
    const before = load.committed;
    t0 = Date.now();
    const run = await runOsc(oscArgv(mig, DATABASE, TABLE, ['--alter', ALTER, '--execute', '--status-interval', '1']), {
      echo: true,
    });
    const migrationMs = Date.now() - t0;
    const during = load.committed - before;
    const result = await load.stop(1000);
    process.stdout.write(run.stdout);
    if (run.code !== 0) {
      say(`osc failed:\n${explainRun(run)}`);
      return 1;
    }

    say('== verifying: replay the logged writes onto the snapshot, apply the ALTER to it, compare every row');
    t0 = Date.now();
    const comparison = await verifyMigration({
      conn: admin,
      snapshot: { database: EXPECTED, table: TABLE },
      migrated: { database: DATABASE, table: TABLE },
      writes: result.writes,
      alter: ALTER,
    });
    const c = result.counts;
    say('== what happened');
    say(
      `  table:            ${DATABASE}.${TABLE}, ${ROWS.toLocaleString('en')} rows seeded, ${comparison.rows.toLocaleString('en')} at the end`,
    );
    say(`  migration:        ${(migrationMs / 1000).toFixed(1)} s, exit ${run.code}`);
    say(
      `  writes meanwhile: ${during} while osc ran, ${result.writes.length} in all (${c.insert} inserts, ${c['update-key']} key changes, ${c.update} updates, ${c.delete} deletes)`,
    );
    say(
      `  verification:     ${comparison.ok ? 'OK, every column of every row matches' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    if (!comparison.ok) {
      say(describeComparison(comparison));
      return 1;
    }
    say(`  old table kept as ${DATABASE}._${TABLE}_del; the expectation is in ${EXPECTED}.${TABLE}`);
    return 0;
  } finally {
    await replicaAdmin.end();
    await admin.end();
  }
}

demo().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
