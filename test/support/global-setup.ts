// vitest globalSetup for the integration project: find or start a primary (and a
// replica) once per run and hand their DSNs to the test files through provide/inject.
//
// Order: OSC_TEST_DSN (+ OSC_TEST_REPLICA_DSN) → a Docker engine (testcontainers,
// MySQL 8.4 primary + replica) → scripts/sandbox (MariaDB or MySQL 9.7 from Debian,
// per OSC_TEST_FLAVOR). A server that cannot be had fails the run; tests never skip.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import type { TestProject } from 'vitest/node';
import type { Flavor } from '../../src/core/types.js';

/** What the test files receive: `inject('oscServer')`. */
export interface ProvidedServer {
  readonly dsn: string;
  readonly replicaDsn?: string;
  readonly flavor: Flavor;
}

declare module 'vitest' {
  export interface ProvidedContext {
    oscServer: ProvidedServer;
  }
}

const SANDBOX = fileURLToPath(new URL('../../scripts/sandbox', import.meta.url));
const DOCKER_PROBE_MS = 5_000;
const MYSQL_IMAGE = 'mysql:8.4';

type Teardown = () => Promise<void>;

export default async function setup(project: TestProject): Promise<Teardown | undefined> {
  const found = await findServer();
  project.provide('oscServer', found.server);
  const where = found.server.replicaDsn === undefined ? '' : ' (with replica)';
  console.error(`osc tests: ${found.server.flavor} at ${redact(found.server.dsn)}${where} via ${found.source}`);
  return found.teardown;
}

interface Found {
  readonly server: ProvidedServer;
  readonly source: string;
  readonly teardown?: Teardown;
}

async function findServer(): Promise<Found> {
  const dsn = process.env['OSC_TEST_DSN'];
  if (dsn !== undefined && dsn !== '') {
    const replicaDsn = process.env['OSC_TEST_REPLICA_DSN'];
    const flavor = await probeFlavor(dsn, 'OSC_TEST_DSN');
    const server: ProvidedServer =
      replicaDsn === undefined || replicaDsn === '' ? { dsn, flavor } : { dsn, replicaDsn, flavor };
    return { server, source: 'OSC_TEST_DSN' };
  }
  if (process.env['OSC_TEST_DOCKER'] !== '0' && (await dockerAnswers())) {
    return startContainers();
  }
  return startSandbox();
}

async function probeFlavor(dsn: string, what: string): Promise<Flavor> {
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection({ uri: dsn, connectTimeout: 10_000 });
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
    return String(rows[0]?.['v'] ?? '').includes('MariaDB') ? 'mariadb' : 'mysql';
  } catch (err) {
    throw new Error(`osc tests: cannot reach the server named by ${what} (${redact(dsn)})`, { cause: err });
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- sandbox

async function startSandbox(): Promise<Found> {
  const flavor = process.env['OSC_TEST_FLAVOR'] ?? 'mariadb';
  if (flavor !== 'mariadb' && flavor !== 'mysql') {
    throw new Error(`osc tests: OSC_TEST_FLAVOR must be mariadb or mysql, not '${flavor}'`);
  }
  // The script starts its daemons detached with their own output files, so its pipes close when it exits; a
  // warm start takes about a second, a cold one (the MySQL download included) a minute or two. Its progress lines
  // go to our stderr as they come, so a first run (or a CI log) shows what it is waiting for.
  const { stdout, stderr } = await runSandbox(['start', '--flavor', flavor]);
  const vars = parseEnvLines(stdout);
  const dsn = vars.get('OSC_TEST_DSN');
  if (dsn === undefined) {
    throw new Error(`osc tests: the sandbox printed no OSC_TEST_DSN line:\n${stdout}\n${stderr}`);
  }
  const replicaDsn = vars.get('OSC_TEST_REPLICA_DSN');
  const server: ProvidedServer = replicaDsn === undefined ? { dsn, flavor } : { dsn, replicaDsn, flavor };
  // The sandbox stays up after the run: the next run (and the demo) reuse it.
  return { server, source: `scripts/sandbox (${flavor})` };
}

function runSandbox(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SANDBOX, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
      process.stderr.write(t);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      reject(
        new Error(
          `osc tests: no server configured (OSC_TEST_DSN unset, no Docker) and 'bash scripts/sandbox ${args.join(' ')}' failed (${signal ?? `exit ${code}`}):\n${stderr}`,
        ),
      );
    });
  });
}

function parseEnvLines(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) vars.set(m[1], m[2]);
  }
  return vars;
}

// ---------------------------------------------------------------- docker

/** True when a Docker engine answers within a few seconds. Without any hint of
 * one (socket, DOCKER_HOST, testcontainers config) testcontainers is not even loaded. */
async function dockerAnswers(): Promise<boolean> {
  const hints = [
    process.env['DOCKER_HOST'],
    process.env['TESTCONTAINERS_HOST_OVERRIDE'],
    existsSync('/var/run/docker.sock') ? 'sock' : undefined,
    existsSync(join(homedir(), '.docker', 'run', 'docker.sock')) ? 'sock' : undefined,
    existsSync(join(homedir(), '.testcontainers.properties')) ? 'props' : undefined,
    process.env['XDG_RUNTIME_DIR'] !== undefined && existsSync(join(process.env['XDG_RUNTIME_DIR'], 'docker.sock'))
      ? 'sock'
      : undefined,
  ];
  if (!hints.some((h) => h !== undefined && h !== '')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), DOCKER_PROBE_MS);
    });
    const probe = getContainerRuntimeClient().then(
      () => true,
      () => false,
    );
    const ok = await Promise.race([probe, timeout]);
    clearTimeout(timer);
    return ok;
  } catch {
    return false;
  }
}

/** MySQL 8.4 primary + replica on a private Docker network, the same settings as
 * docker/compose.yml. Only used where Docker answers (not on our CI machines). */
async function startContainers(): Promise<Found> {
  const { GenericContainer, Network, Wait } = await import('testcontainers');
  const rootPassword = 'root';
  const common = [
    '--log-bin=binlog',
    '--binlog-format=ROW',
    '--binlog-row-image=FULL',
    '--gtid-mode=ON',
    '--enforce-gtid-consistency=ON',
    '--skip-name-resolve',
    '--mysqlx=OFF',
    '--innodb-buffer-pool-size=256M',
  ];
  const network = await new Network().start();
  const started: { stop(): Promise<unknown> }[] = [];
  const teardown: Teardown = async () => {
    for (const c of started.reverse()) await c.stop().catch(() => undefined);
    await network.stop().catch(() => undefined);
  };
  try {
    const container = (alias: string, serverId: number, extra: readonly string[]) =>
      new GenericContainer(MYSQL_IMAGE)
        .withNetwork(network)
        .withNetworkAliases(alias)
        .withEnvironment({ MYSQL_ROOT_PASSWORD: rootPassword })
        .withCommand([`--server-id=${serverId}`, `--report-host=${alias}`, '--report-port=3306', ...common, ...extra])
        .withExposedPorts(3306)
        // The entrypoint's temporary server also says "ready", on port 0.
        .withWaitStrategy(Wait.forLogMessage(/ready for connections.*port: 3306/, 1))
        .withStartupTimeout(180_000)
        .start();
    const [primary, replica] = await Promise.all([
      container('primary', 1, []),
      container('replica', 2, ['--read-only=ON']),
    ]);
    started.push(primary, replica);
    const rootUri = (c: typeof primary) => `mysql://root:${rootPassword}@${c.getHost()}:${c.getMappedPort(3306)}`;

    const p = await mysql.createConnection({ uri: rootUri(primary), multipleStatements: true });
    try {
      // Created on the primary and written to its binlog, so the replica gets them too.
      await p.query(
        "CREATE USER 'osc'@'%' IDENTIFIED BY 'osc';" +
          "GRANT ALL PRIVILEGES ON *.* TO 'osc'@'%' WITH GRANT OPTION;" +
          "CREATE USER 'osc_repl'@'%' IDENTIFIED BY 'osc_repl';" +
          "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'osc_repl'@'%';",
      );
    } finally {
      await p.end();
    }
    const r = await mysql.createConnection({ uri: rootUri(replica), multipleStatements: true });
    try {
      await r.query(
        "CHANGE REPLICATION SOURCE TO SOURCE_HOST='primary', SOURCE_PORT=3306, " +
          "SOURCE_USER='osc_repl', SOURCE_PASSWORD='osc_repl', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1;" +
          'START REPLICA;',
      );
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [rows] = await r.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM mysql.user WHERE User = 'osc'");
        if (Number(rows[0]?.['n']) === 1) break;
        if (Date.now() > deadline) throw new Error('the replica container did not replicate the osc user within 60 s');
        await new Promise((res) => setTimeout(res, 250));
      }
    } finally {
      await r.end();
    }
    const server: ProvidedServer = {
      dsn: `mysql://osc:osc@${primary.getHost()}:${primary.getMappedPort(3306)}`,
      replicaDsn: `mysql://osc:osc@${replica.getHost()}:${replica.getMappedPort(3306)}`,
      flavor: 'mysql',
    };
    return { server, source: `testcontainers (${MYSQL_IMAGE})`, teardown };
  } catch (err) {
    await teardown();
    throw new Error('osc tests: a Docker engine answers but the MySQL containers could not be started', {
      cause: err,
    });
  }
}

function redact(dsn: string): string {
  return dsn.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
