// Faults of the servers themselves, on a private primary + replica (scripts/sandbox on ports of their own; the
// shared servers are never stopped or reconfigured), under a write load:
// - the primary restarted mid-copy (killed, then started): osc fails cleanly, naming the tables it could not drop
//   while the server was down, and the documented way forward (--initially-drop-ghost-table) then completes exactly;
// - the replica's SQL thread stopped past --max-lag-millis: osc throttles the copy, and goes on once it is back;
// - the replica unreachable (connection refused): it counts as lagging (README, Throttling): the copy waits until it
//   answers again, then the run completes exactly.
import { spawnSync } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exactConnection, type Endpoint } from '../support/load.js';
import { explainRun, RUN_TAG } from '../support/run-osc.js';
import { freePort, testServer, uniqueServerId, waitFor } from '../support/servers.js';
import { startPrivateSandbox, type PrivateSandbox } from '../support/private-sandbox.js';
import { runLockHolder } from '../support/fault-checks.js';
import { describeComparison, tableNames } from '../support/verify.js';
import {
  copyStarted,
  errorCodeOf,
  migrateUnderLoad,
  prepareTable,
  recreateDatabase,
  verifyIntact,
} from '../scenarios/runner.js';
import { ORDERS_ALTER, ORDERS_CREATE, ordersModel } from '../scenarios/models.js';

const SANDBOX = fileURLToPath(new URL('../../scripts/sandbox', import.meta.url));

let sandbox: PrivateSandbox;
let admin: Connection;

beforeAll(async () => {
  sandbox = await startPrivateSandbox(testServer().flavor);
  admin = await exactConnection(sandbox.primary);
});

afterAll(async () => {
  await admin?.end().catch(() => undefined);
  await sandbox?.remove();
});

const ROWS = 20_000;

async function seeded(name: string): Promise<string> {
  const database = `osc_t_srv_${name}_${RUN_TAG}`;
  await recreateDatabase(admin, database);
  await prepareTable(admin, database, ORDERS_CREATE, 't', ordersModel(), ROWS);
  return database;
}

function replicaThread(action: 'STOP' | 'START'): string {
  return testServer().flavor === 'mariadb' ? `${action} SLAVE SQL_THREAD` : `${action} REPLICA SQL_THREAD`;
}

/** A TCP forwarder on a fixed port that can be closed (connections refused) and opened again. */
interface Forwarder {
  readonly port: number;
  close(): Promise<void>;
  open(): Promise<void>;
}

async function forwarder(target: Endpoint): Promise<Forwarder> {
  const port = await freePort();
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  const open = async () => {
    const s = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const x of [client, upstream]) {
        sockets.add(x);
        x.on('close', () => sockets.delete(x));
        x.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    server = s;
  };
  await open();
  return {
    port,
    open,
    close: async () => {
      const s = server;
      server = null;
      for (const x of sockets) x.destroy();
      if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

test('a sandbox on other ports keeps its own files: it never takes the shared servers for its own', () => {
  // With the shared directory, `status` (and `start`, `stop`) on another port found the running default servers.
  const { stdout: out } = spawnSync('bash', [SANDBOX, 'status', '--flavor', testServer().flavor], {
    env: { ...process.env, OSC_SANDBOX_PORT: '1999', OSC_SANDBOX_DIR: '' },
    encoding: 'utf8',
  });
  expect(out).toMatch(/primary: not running/);
}, 30_000);

describe('server faults (a private sandbox)', () => {
  test('the primary restarted mid-copy: a clean failure naming what is left; --resume then completes exactly', async () => {
    const database = await seeded('restart');
    const model = ordersModel();
    let fresh: Connection | null = null;
    try {
      const r = await migrateUnderLoad({
        admin,
        primary: sandbox.primary,
        database,
        table: 't',
        model,
        seededRows: ROWS,
        alter: ORDERS_ALTER,
        args: ['--chunk-size', '100', '--default-retries', '5'],
        replicaServerId: uniqueServerId(),
        during: async (ctx) => {
          expect(await copyStarted(admin, database, 't', ctx.stderr, ctx.done)).toBe(true);
          // The application stops writing when its server goes; what it committed before is the expectation.
          await ctx.stopLoad();
          expect(ctx.stderr()).not.toMatch(/copy_done/);
          await sandbox.stopPrimary();
          // osc gives up while the server is down; then the server comes back.
          await ctx.done;
          await sandbox.startPrimary();
        },
      });
      expect(r.run.code, explainRun(r.run)).toBe(1);
      expect(errorCodeOf(r.run), explainRun(r.run)).not.toBeNull();
      expect(r.run.stderr).toMatch(
        /osc: .*osc's tables left behind: `[^`]+`\.`_t_gho`, `[^`]+`\.`_t_ghc`, `[^`]+`\.`_t_ghk` \(rerun with --resume/,
      );
      fresh = await exactConnection(sandbox.primary);
      const intact = await verifyIntact(fresh, r, { database, table: 't' });
      expect(intact.ok, describeComparison(intact)).toBe(true);
      expect((await tableNames(fresh, database)).sort()).toEqual(['_t_ghc', '_t_ghk', '_t_gho', 't']);
      expect(await runLockHolder(fresh, database, 't')).toBeNull();

      // The way forward the message names first: go on from the checkpoint.
      const again = await migrateUnderLoad({
        admin: fresh,
        primary: sandbox.primary,
        database,
        table: 't',
        model,
        // Ids the load never used: it only inserts new ones (the rows now in the table are not the seed it knows).
        seededRows: 1_000_000,
        alter: ORDERS_ALTER,
        args: ['--resume'],
        replicaServerId: uniqueServerId(),
        load: { weights: { insert: 1, 'update-key': 0, update: 0, delete: 0 } },
      });
      expect(again.run.code, explainRun(again.run)).toBe(0);
      expect(again.run.stdout).toMatch(/resuming the dead run from its checkpoint/);
      expect(again.run.stdout).toMatch(/verified: +\d+ rows in \d+ chunks, 0 repaired/);
      expect(again.comparison?.ok, again.comparison ? describeComparison(again.comparison) : '').toBe(true);
    } finally {
      // The other tests go on with a connection opened after the restart.
      await admin.end().catch(() => undefined);
      admin = fresh ?? (await exactConnection(sandbox.primary));
    }
  });

  test("the replica's SQL thread stopped past --max-lag-millis: the copy throttles, and goes on once it runs again", async () => {
    const database = await seeded('lag');
    const replica = await exactConnection(sandbox.replica);
    try {
      const r = await migrateUnderLoad({
        admin,
        primary: sandbox.primary,
        database,
        table: 't',
        model: ordersModel(),
        seededRows: ROWS,
        alter: ORDERS_ALTER,
        // Slowed down (--nice-ratio): the copy must still run when the lag crosses the limit.
        args: ['--chunk-size', '100', '--nice-ratio', '8', '--max-lag-millis', '500'],
        replicaServerId: uniqueServerId(),
        during: async (ctx) => {
          expect(await copyStarted(admin, database, 't', ctx.stderr, ctx.done)).toBe(true);
          // First the replica must have osc's changelog (until then it counts as unreadable, not lagging), and osc
          // must have read a heartbeat there (lag is read every 250 ms).
          await waitFor(
            async () => {
              await replica.query(`SELECT 1 FROM \`${database}\`.\`_t_ghc\` LIMIT 1`);
              return true;
            },
            { timeoutMs: 20_000, message: 'the changelog on the replica' },
          );
          await new Promise((res) => setTimeout(res, 600));
          await replica.query(replicaThread('STOP'));
          try {
            await waitFor(() => /throttled reason="lag=/.test(ctx.stderr()), {
              timeoutMs: 20_000,
              message: 'the copy throttled on lag',
            });
            expect(ctx.stderr()).not.toMatch(/copy_done/);
            // A few seconds behind: the copy stands still meanwhile.
            await new Promise((res) => setTimeout(res, 3_000));
            expect(ctx.stderr()).not.toMatch(/copy_done/);
          } finally {
            await replica.query(replicaThread('START'));
          }
        },
      });
      expect(r.run.code, explainRun(r.run)).toBe(0);
      expect(r.run.stderr).toMatch(/throttle_released after=/);
      expect(r.comparison?.ok, r.comparison ? describeComparison(r.comparison) : '').toBe(true);
      expect(r.writesDuringRun).toBeGreaterThan(0);
    } finally {
      await replica.query(replicaThread('START')).catch(() => undefined);
      await replica.end();
    }
  });

  test('the replica unreachable (connection refused): the copy waits, as for lag, until it answers again', async () => {
    const database = await seeded('unreachable');
    const fwd = await forwarder(sandbox.replica);
    try {
      const r = await migrateUnderLoad({
        admin,
        primary: sandbox.primary,
        database,
        table: 't',
        model: ordersModel(),
        seededRows: ROWS,
        alter: ORDERS_ALTER,
        // Slowed down (--nice-ratio): on a quiet machine the copy was done 3 ms before the throttler first found
        // the replica gone.
        args: ['--chunk-size', '100', '--nice-ratio', '8', '--throttle-control-replicas', `127.0.0.1:${fwd.port}`],
        replicaServerId: uniqueServerId(),
        during: async (ctx) => {
          expect(await copyStarted(admin, database, 't', ctx.stderr, ctx.done)).toBe(true);
          await fwd.close();
          await waitFor(
            () => new RegExp(`throttled reason="replica 127.0.0.1:${fwd.port} unreadable`).test(ctx.stderr()),
            {
              timeoutMs: 20_000,
              message: 'the copy throttled on the unreachable replica',
            },
          );
          await new Promise((res) => setTimeout(res, 3_000));
          expect(ctx.stderr()).not.toMatch(/copy_done/);
          await fwd.open();
        },
      });
      expect(r.run.code, explainRun(r.run)).toBe(0);
      expect(r.run.stderr).toMatch(/throttle_released after=/);
      expect(r.comparison?.ok, r.comparison ? describeComparison(r.comparison) : '').toBe(true);
      expect(r.writesDuringRun).toBeGreaterThan(0);
    } finally {
      await fwd.close();
    }
  });
});
