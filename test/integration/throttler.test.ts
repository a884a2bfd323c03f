// The throttler against the real primary + replica: replica lag from the changelog heartbeat (SQL thread stopped
// and restarted), discovery, an unreadable replica, max-load, critical-load (at once and after the re-check),
// flag files, the throttle query, the user's command, and waitWhileThrottled.
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChangelog } from '../../src/core/sql/ddl.js';
import { qualify } from '../../src/core/sql/quote.js';
import { createTunables } from '../../src/core/tunables.js';
import type { TunableValues, TunablesWriter } from '../../src/core/tunables.js';
import type { ServerInfo } from '../../src/core/types.js';
import { startHeartbeat } from '../../src/stages/replay/changelog.js';
import type { Heartbeat } from '../../src/stages/replay/changelog.js';
import { readServerInfo } from '../../src/io/db/inspector.js';
import { openPool } from '../../src/io/db/pool.js';
import type { SessionPool } from '../../src/io/db/pool.js';
import type { LogFields, Logger } from '../../src/core/log.js';
import { silentLogger } from '../../src/core/log.js';
import { Throttler } from '../../src/stages/throttle/throttler.js';
import type { ThrottlerDeps } from '../../src/stages/throttle/throttler.js';
import { adminConnection, freshSchema, testServer, waitFor } from '../support/servers.js';
import { DEFAULT_TUNABLES } from '../support/tunables.js';

const CHANGELOG = '_thr_ghc';
const DEADLINE = 30_000;

let DB = '';
let pool: SessionPool;
let server: ServerInfo;
let replicaConn: Connection;
let heartbeat: Heartbeat;
let dir = '';
const throttlers: Throttler[] = [];

interface LogLine {
  readonly level: string;
  readonly event: string;
  readonly fields: LogFields;
}

function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (event: string, fields: LogFields | string = {}) =>
      void lines.push({ level, event, fields: typeof fields === 'string' ? { line: fields } : fields });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

const BASE: TunableValues = DEFAULT_TUNABLES;

interface Made {
  readonly throttler: Throttler;
  readonly tunables: TunablesWriter;
  readonly lines: LogLine[];
  readonly critical: { reason: string; at: number }[];
}

function replicaEndpoint(): { host: string; port: number } {
  const r = testServer().replica;
  if (r === undefined) throw new Error('the throttler tests need a replica, and the test servers have none');
  return { host: r.host, port: r.port };
}

function make(
  tv: Partial<TunableValues> = {},
  config: Partial<ThrottlerDeps['config']> = {},
  changelog = CHANGELOG,
  now?: () => number,
): Made {
  const tunables = createTunables({ ...BASE, throttleControlReplicas: [replicaEndpoint()], ...tv });
  const { logger, lines } = captureLogger();
  const critical: Made['critical'] = [];
  const throttler = new Throttler({
    primary: pool,
    connection: testServer().primary,
    plan: { server, database: DB, changelog },
    tunables,
    // Never the shared /tmp/osc.throttle: a stray file there must not decide these tests.
    config: { throttleFlagFile: null, throttleAdditionalFlagFile: null, criticalLoadIntervalMillis: 0, ...config },
    logger,
    onCritical: (reason) => void critical.push({ reason, at: Date.now() }),
    ...(now === undefined ? {} : { now }),
  });
  throttlers.push(throttler);
  return { throttler, tunables, lines, critical };
}

const replicaSqlThread = async (action: 'START' | 'STOP'): Promise<void> => {
  await replicaConn.query(server.flavor === 'mariadb' ? `${action} SLAVE SQL_THREAD` : `${action} REPLICA SQL_THREAD`);
};

beforeAll(async () => {
  DB = await freshSchema('throttler');
  pool = openPool(testServer().primary, 6);
  server = await readServerInfo(pool);
  await pool.run(createChangelog(DB, CHANGELOG));
  heartbeat = startHeartbeat(pool, DB, CHANGELOG, 100, silentLogger);
  replicaConn = await adminConnection({ replica: true });
  // The replica must hold a heartbeat before any lag can be read there.
  await waitFor(
    async () => {
      const [rows] = await replicaConn.query(`SELECT COUNT(*) AS n FROM ${qualify(DB, CHANGELOG)}`);
      return Number((rows as { n: unknown }[])[0]?.n) > 0;
    },
    { timeoutMs: DEADLINE, message: 'the changelog heartbeat replicated' },
  );
  dir = mkdtempSync(join(tmpdir(), 'osc-thr-'));
});

afterEach(async () => {
  await Promise.all(throttlers.splice(0).map((t) => t.stop()));
});

afterAll(async () => {
  await heartbeat?.stop();
  await replicaConn?.end();
  await pool?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('replica lag', () => {
  it('discovers the replica from the primary when none is listed', async () => {
    const { throttler, lines } = make({ throttleControlReplicas: [] });
    await throttler.start();
    const { host, port } = replicaEndpoint();
    const lags = throttler.replicaLags();
    expect(lags.map((l) => l.replica)).toContain(`${host}:${port}`);
    expect(lags.find((l) => l.replica === `${host}:${port}`)?.seconds).toEqual(expect.any(Number));
    expect(throttler.check()).toEqual({ throttled: false, reason: null });
    expect(lines.find((l) => l.event === 'throttle_replicas')?.fields['replicas']).toContain(`${host}:${port}`);
  });

  it('throttles while the replica SQL thread is stopped, naming the replica, and releases when it runs again', async () => {
    const { host, port } = replicaEndpoint();
    const { throttler, lines } = make({ throttleControlReplicas: [], maxLagMillis: 500 });
    await throttler.start();
    await waitFor(() => !throttler.check().throttled, { timeoutMs: DEADLINE, message: 'not throttled at first' });
    const abort = new AbortController();
    let released = false;
    let waiting: Promise<void> | undefined;
    try {
      await replicaSqlThread('STOP');
      const reason = await waitFor(() => throttler.check().reason, {
        timeoutMs: DEADLINE,
        message: 'throttled by lag',
      });
      expect(reason).toMatch(new RegExp(`^lag=\\d+\\.\\ds on ${host.replaceAll('.', '\\.')}:${port}$`));
      expect(throttler.replicaLags().find((l) => l.replica === `${host}:${port}`)?.seconds).toBeGreaterThan(0.5);
      waiting = throttler.waitWhileThrottled(abort.signal).then(() => void (released = true));
      // An aborted wait returns at once, even while throttled.
      const aborted = new AbortController();
      aborted.abort();
      await throttler.waitWhileThrottled(aborted.signal);
      expect(throttler.check().throttled).toBe(true);
      expect(released).toBe(false);
    } finally {
      await replicaSqlThread('START');
    }
    await waitFor(() => released, { timeoutMs: DEADLINE, message: 'waitWhileThrottled returned' });
    await waiting;
    expect(throttler.check()).toEqual({ throttled: false, reason: null });
    // Logged once each way, however often the lag value changed.
    expect(lines.filter((l) => l.event === 'throttled').map((l) => String(l.fields['reason']))).toEqual([
      expect.stringMatching(/^lag=/),
    ]);
    const rel = lines.filter((l) => l.event === 'throttle_released');
    expect(rel).toHaveLength(1);
    expect(String(rel[0]?.fields['after'])).toMatch(/^\d+\.\ds$/);
  });

  it('an unreadable replica throttles (fail closed) and says so', async () => {
    const { throttler, lines } = make({ throttleControlReplicas: [{ host: '127.0.0.1', port: 1 }] });
    await throttler.start();
    expect(throttler.check()).toEqual({ throttled: true, reason: 'replica 127.0.0.1:1 unreadable' });
    expect(throttler.replicaLags()).toEqual([{ replica: '127.0.0.1:1', seconds: null }]);
    expect(lines.filter((l) => l.event === 'replica_unreadable')).toHaveLength(1);
  });

  it('a changelog the replica lacks counts as unreadable; at first that is waiting for its first heartbeat, not a warning', async () => {
    const { host, port } = replicaEndpoint();
    // The changelog is created on the primary just before the throttler starts: a replica gets it (and the first
    // heartbeat) a moment later, or later still when it lags. Only when that lasts is it worth a warning.
    let clock = Date.now();
    const { throttler, lines } = make({}, {}, '_no_such_ghc', () => clock);
    await throttler.start();
    expect(throttler.check()).toEqual({ throttled: true, reason: `replica ${host}:${port} unreadable` });
    expect(
      lines.filter((l) => l.event === 'replica_awaiting_heartbeat').map((l) => [l.level, l.fields['replica']]),
    ).toEqual([['info', `${host}:${port}`]]);
    expect(lines.filter((l) => l.event === 'replica_unreadable')).toEqual([]);
    clock += 10_000;
    const warned = await waitFor(() => lines.find((l) => l.event === 'replica_unreadable'), {
      timeoutMs: DEADLINE,
      message: 'the warning after 10 s',
    });
    expect([warned.level, warned.fields['errno']]).toEqual(['warn', 1146]);
    expect(throttler.check()).toEqual({ throttled: true, reason: `replica ${host}:${port} unreadable` });
    // Once, not at every round.
    await new Promise((r) => setTimeout(r, 600));
    expect(lines.filter((l) => l.event === 'replica_unreadable')).toHaveLength(1);
  });
});

describe('load', () => {
  it('max-load with a deliberately low threshold throttles; a high one does not', async () => {
    const { throttler, tunables } = make({ maxLoad: [{ variable: 'Threads_connected', limit: 1 }] });
    await throttler.start();
    expect(throttler.check().reason).toMatch(/^max-load Threads_connected=\d+>=1$/);
    tunables.set('maxLoad', [{ variable: 'Threads_connected', limit: 1_000_000 }]);
    await waitFor(() => !throttler.check().throttled, {
      timeoutMs: DEADLINE,
      message: 'released after raising max-load',
    });
    tunables.set('maxLoad', [{ variable: 'Threads_runing', limit: 5 }]);
    await waitFor(() => throttler.check().reason === 'max-load Threads_runing unknown', { timeoutMs: DEADLINE });
  });

  it('critical-load calls onCritical at once (interval 0), exactly once', async () => {
    const { throttler, critical, tunables } = make({ criticalLoad: [{ variable: 'Threads_connected', limit: 1 }] });
    await throttler.start();
    await waitFor(() => critical.length > 0, { timeoutMs: DEADLINE, message: 'onCritical called' });
    expect(critical[0]?.reason).toMatch(/^critical-load Threads_connected=\d+>=1$/);
    // A max-load on a variable not read before shows a later load read happened: critical still met, no second call.
    tunables.set('maxLoad', [{ variable: 'Uptime', limit: 1 }]);
    await waitFor(() => /^max-load Uptime=\d+>=1$/.test(throttler.check().reason ?? ''), {
      timeoutMs: DEADLINE,
      message: 'a later load read',
    });
    expect(critical).toHaveLength(1);
  });

  it('critical-load with an interval calls onCritical only after the re-check', async () => {
    const interval = 1500;
    const { throttler, critical, lines } = make(
      { criticalLoad: [{ variable: 'Threads_connected', limit: 1 }] },
      { criticalLoadIntervalMillis: interval },
    );
    const started = Date.now();
    await throttler.start();
    const met = lines.find((l) => l.event === 'critical_load_met');
    expect(met?.fields['reason']).toMatch(/^critical-load Threads_connected=\d+>=1$/);
    expect(critical).toHaveLength(0);
    await waitFor(() => critical.length > 0, { timeoutMs: DEADLINE, message: 'onCritical after the re-check' });
    expect(critical[0]!.at - started).toBeGreaterThanOrEqual(interval);
    expect(critical).toHaveLength(1);
  });

  it('critical-load that clears before the re-check does not call onCritical', async () => {
    const { throttler, critical, lines, tunables } = make(
      { criticalLoad: [{ variable: 'Threads_connected', limit: 1 }] },
      { criticalLoadIntervalMillis: 1000 },
    );
    await throttler.start();
    expect(lines.some((l) => l.event === 'critical_load_met')).toBe(true);
    tunables.set('criticalLoad', [{ variable: 'Threads_connected', limit: 1_000_000 }]);
    await waitFor(() => lines.some((l) => l.event === 'critical_load_cleared'), {
      timeoutMs: DEADLINE,
      message: 'cleared on re-check',
    });
    expect(critical).toHaveLength(0);
  });
});

describe('flag files, throttle query, user command', () => {
  it('throttles while a flag file exists, naming it; either file counts', async () => {
    const flag = join(dir, 'throttle.flag');
    const extra = join(dir, 'additional.flag');
    const { throttler, lines } = make({}, { throttleFlagFile: flag, throttleAdditionalFlagFile: extra });
    await throttler.start();
    expect(throttler.check()).toEqual({ throttled: false, reason: null });
    writeFileSync(flag, '');
    await waitFor(() => throttler.check().reason === `flag-file ${flag}`, { timeoutMs: DEADLINE });
    unlinkSync(flag);
    await waitFor(() => !throttler.check().throttled, { timeoutMs: DEADLINE });
    writeFileSync(extra, '');
    await waitFor(() => throttler.check().reason === `flag-file ${extra}`, { timeoutMs: DEADLINE });
    unlinkSync(extra);
    await waitFor(() => !throttler.check().throttled, { timeoutMs: DEADLINE });
    expect(lines.filter((l) => l.event === 'throttled').map((l) => l.fields['reason'])).toEqual([
      `flag-file ${flag}`,
      `flag-file ${extra}`,
    ]);
    expect(lines.filter((l) => l.event === 'throttle_released')).toHaveLength(2);
  });

  it('throttle-query: > 0 throttles, 0 releases, a failing query throttles and is logged once', async () => {
    const { throttler, tunables, lines } = make({ throttleQuery: 'SELECT 3' });
    await throttler.start();
    expect(throttler.check()).toEqual({ throttled: true, reason: 'throttle-query returned 3' });
    tunables.set('throttleQuery', 'SELECT 0');
    await waitFor(() => !throttler.check().throttled, { timeoutMs: DEADLINE });
    tunables.set('throttleQuery', 'SELECT x FROM no_such_table_for_osc');
    await waitFor(() => throttler.check().reason === 'throttle-query failed', { timeoutMs: DEADLINE });
    const before = lines.filter((l) => l.event === 'throttle_query_failed').length;
    expect(before).toBe(1);
    tunables.set('throttleQuery', null);
    await waitFor(() => !throttler.check().throttled, { timeoutMs: DEADLINE });
    expect(lines.filter((l) => l.event === 'throttle_query_failed')).toHaveLength(1);
  });

  it("waitWhileLoaded (the checksum's wait) ignores replica lag but waits for load and the user", async () => {
    // An unreadable replica is lag: the copy waits, the checksum (which writes nothing to the binlog) does not.
    const { throttler, tunables } = make({ throttleControlReplicas: [{ host: '127.0.0.1', port: 1 }] });
    await throttler.start();
    expect(throttler.check().throttled).toBe(true);
    const signal = new AbortController().signal;
    await throttler.waitWhileLoaded(signal);
    tunables.set('throttledByUser', true);
    let released = false;
    const waiting = throttler.waitWhileLoaded(signal).then(() => (released = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(released).toBe(false);
    tunables.set('throttledByUser', false);
    await waiting;
    expect(released).toBe(true);
  });

  it('throttle from the user comes first', async () => {
    const { throttler, tunables } = make({ throttleQuery: 'SELECT 3' });
    await throttler.start();
    tunables.set('throttledByUser', true);
    expect(throttler.check()).toEqual({ throttled: true, reason: 'commanded by user' });
    tunables.set('throttledByUser', false);
    expect(throttler.check()).toEqual({ throttled: true, reason: 'throttle-query returned 3' });
  });
});
