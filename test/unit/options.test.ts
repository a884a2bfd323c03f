import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/cli/options.js';
import { parseArgv } from '../../src/cli/program.js';
import type { RawFlags } from '../../src/cli/options.js';
import type { ConfFile } from '../../src/cli/conf-file.js';
import { ConfigError } from '../../src/core/errors.js';

const REQUIRED: RawFlags = { database: 'shop', table: 'orders', alter: 'ADD COLUMN c INT', user: 'osc' };

function failure(raw: RawFlags, env: Record<string, string> = {}, conf: ConfFile | null = null): ConfigError {
  try {
    parseOptions(raw, env, conf);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('BAD_USAGE');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseOptions', () => {
  it('fills every default', () => {
    expect(parseOptions(REQUIRED, {}, null)).toEqual({
      connection: { host: '127.0.0.1', port: 3306, user: 'osc', password: '' },
      database: 'shop',
      table: 'orders',
      alter: 'ADD COLUMN c INT',
      execute: false,
      chunkSize: null,
      chunkTime: 0.5,
      threads: null,
      cutOverLockTimeoutSeconds: 3,
      defaultRetries: 60,
      replicaServerId: 99999,
      resume: false,
      initiallyDropGhostTable: false,
      initiallyDropOldTable: false,
      okToDropTable: false,
      approveRenamedColumns: false,
      exactRowcount: false,
      verbose: false,
      logFormat: 'text',
      statusIntervalSeconds: 5,
      heartbeatIntervalMillis: 100,
      confFile: null,
      dmlBatchSize: 1000,
      maxLagMillis: 1500,
      throttleControlReplicas: [],
      maxLoad: [],
      criticalLoad: [],
      criticalLoadIntervalMillis: 0,
      throttleFlagFile: null,
      throttleAdditionalFlagFile: '/tmp/osc.throttle',
      throttleQuery: null,
      niceRatio: 0,
      postponeCutOverFlagFile: null,
      panicFlagFile: null,
      serveSocketFile: '/tmp/osc.shop.orders.sock',
      serveTcpPort: null,
      forceNamedCutOver: false,
      skipChecksum: false,
      forceNamedPanic: false,
      metricsAddress: { host: '127.0.0.1', port: 9466 },
      hooksPath: null,
      quiet: false,
    });
  });

  it('takes every flag', () => {
    const raw: RawFlags = {
      ...REQUIRED,
      host: 'db-primary',
      port: '3307',
      password: 'pw-flag',
      alter: "  ADD COLUMN `s` VARCHAR(50) NOT NULL DEFAULT 'pending'  ",
      execute: true,
      chunkSize: '5000',
      cutOverLockTimeoutSeconds: '10',
      defaultRetries: '5',
      replicaServerId: '4294967295',
      resume: false,
      initiallyDropGhostTable: true,
      initiallyDropOldTable: true,
      okToDropTable: true,
      approveRenamedColumns: true,
      exactRowcount: true,
      verbose: true,
      logFormat: 'json',
      statusInterval: '30',
      heartbeatIntervalMillis: '500',
      dmlBatchSize: '100',
      maxLagMillis: '2500',
      throttleControlReplicas: 'replica1:3307, replica2,[::1]:3308',
      maxLoad: 'Threads_running=25,Threads_connected=500',
      criticalLoad: 'Threads_running=80',
      criticalLoadIntervalMillis: '1000',
      throttleFlagFile: '/tmp/t.flag',
      throttleAdditionalFlagFile: '/tmp/all.flag',
      throttleQuery: 'SELECT COUNT(*) > 5 FROM meta.busy',
      niceRatio: '0.7',
      postponeCutOverFlagFile: '/tmp/postpone.flag',
      panicFlagFile: '/tmp/panic.flag',
      serveSocketFile: '/run/osc/orders.sock',
      serveTcpPort: '9001',
      forceNamedCutOver: true,
      skipChecksum: true,
      forceNamedPanic: true,
      metricsAddress: '0.0.0.0:9100',
      hooksPath: '/etc/osc/hooks',
    };
    expect(parseOptions(raw, {}, null)).toEqual({
      connection: { host: 'db-primary', port: 3307, user: 'osc', password: 'pw-flag' },
      database: 'shop',
      table: 'orders',
      alter: "  ADD COLUMN `s` VARCHAR(50) NOT NULL DEFAULT 'pending'  ",
      execute: true,
      chunkSize: 5000,
      chunkTime: 0.5,
      threads: null,
      cutOverLockTimeoutSeconds: 10,
      defaultRetries: 5,
      replicaServerId: 4294967295,
      resume: false,
      initiallyDropGhostTable: true,
      initiallyDropOldTable: true,
      okToDropTable: true,
      approveRenamedColumns: true,
      exactRowcount: true,
      verbose: true,
      logFormat: 'json',
      statusIntervalSeconds: 30,
      heartbeatIntervalMillis: 500,
      confFile: null,
      dmlBatchSize: 100,
      maxLagMillis: 2500,
      throttleControlReplicas: [
        { host: 'replica1', port: 3307 },
        { host: 'replica2', port: 3306 },
        { host: '::1', port: 3308 },
      ],
      maxLoad: [
        { variable: 'Threads_running', limit: 25 },
        { variable: 'Threads_connected', limit: 500 },
      ],
      criticalLoad: [{ variable: 'Threads_running', limit: 80 }],
      criticalLoadIntervalMillis: 1000,
      throttleFlagFile: '/tmp/t.flag',
      throttleAdditionalFlagFile: '/tmp/all.flag',
      throttleQuery: 'SELECT COUNT(*) > 5 FROM meta.busy',
      niceRatio: 0.7,
      postponeCutOverFlagFile: '/tmp/postpone.flag',
      panicFlagFile: '/tmp/panic.flag',
      serveSocketFile: '/run/osc/orders.sock',
      serveTcpPort: 9001,
      forceNamedCutOver: true,
      skipChecksum: true,
      forceNamedPanic: true,
      metricsAddress: { host: '0.0.0.0', port: 9100 },
      hooksPath: '/etc/osc/hooks',
      quiet: false,
    });
  });

  it('returns a deeply frozen config', () => {
    const config = parseOptions(REQUIRED, {}, null);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.connection)).toBe(true);
    const loaded = parseOptions({ ...REQUIRED, maxLoad: 'Threads_running=25' }, {}, null);
    expect(Object.isFrozen(loaded.maxLoad)).toBe(true);
    expect(Object.isFrozen(loaded.maxLoad[0])).toBe(true);
  });

  it('turns off what can be turned off', () => {
    const c = parseOptions(
      { ...REQUIRED, metricsAddress: 'off', throttleAdditionalFlagFile: '', maxLoad: '', throttleControlReplicas: '' },
      {},
      null,
    );
    expect([c.metricsAddress, c.throttleAdditionalFlagFile, c.maxLoad, c.throttleControlReplicas]).toEqual([
      null,
      null,
      [],
      [],
    ]);
  });

  it('accepts the limits of the new values', () => {
    const c = parseOptions(
      {
        ...REQUIRED,
        dmlBatchSize: '1',
        maxLagMillis: '100',
        niceRatio: '100',
        criticalLoadIntervalMillis: '3600000',
        serveTcpPort: '65535',
      },
      {},
      null,
    );
    expect([c.dmlBatchSize, c.maxLagMillis, c.niceRatio, c.criticalLoadIntervalMillis, c.serveTcpPort]).toEqual([
      1, 100, 100, 3600000, 65535,
    ]);
    expect(parseOptions({ ...REQUIRED, niceRatio: '.5' }, {}, null).niceRatio).toBe(0.5);
    expect(parseOptions({ ...REQUIRED, niceRatio: '0' }, {}, null).niceRatio).toBe(0);
    expect(parseOptions({ ...REQUIRED, maxLoad: 'Threads_running=0' }, {}, null).maxLoad).toEqual([
      { variable: 'Threads_running', limit: 0 },
    ]);
  });

  it('accepts the range limits', () => {
    const c = parseOptions(
      {
        ...REQUIRED,
        chunkSize: '10',
        cutOverLockTimeoutSeconds: '60',
        replicaServerId: '1',
        heartbeatIntervalMillis: '10000',
        port: '65535',
      },
      {},
      null,
    );
    expect([
      c.chunkSize,
      c.cutOverLockTimeoutSeconds,
      c.replicaServerId,
      c.heartbeatIntervalMillis,
      c.connection.port,
    ]).toEqual([10, 60, 1, 10000, 65535]);
    expect(parseOptions({ ...REQUIRED, chunkSize: '100000', defaultRetries: '1' }, {}, null).chunkSize).toBe(100000);
  });
});

describe('precedence: flag > env > conf > default', () => {
  const conf: ConfFile = {
    path: '/etc/osc.cnf',
    user: 'conf-user',
    password: 'conf-pw',
    host: 'conf-host',
    port: '3310',
  };

  it('uses the conf file when nothing else is given', () => {
    const { user: _user, ...noUser } = REQUIRED;
    const c = parseOptions(noUser, {}, conf);
    expect(c.connection).toEqual({ host: 'conf-host', port: 3310, user: 'conf-user', password: 'conf-pw' });
    expect(c.confFile).toBe('/etc/osc.cnf');
  });

  it('prefers OSC_PASSWORD to the conf file', () => {
    expect(parseOptions(REQUIRED, { OSC_PASSWORD: 'env-pw' }, conf).connection.password).toBe('env-pw');
  });

  it('prefers flags to the environment and the conf file', () => {
    const c = parseOptions(
      { ...REQUIRED, password: 'flag-pw', host: 'flag-host', port: '3320' },
      { OSC_PASSWORD: 'env-pw' },
      conf,
    );
    expect(c.connection).toEqual({ host: 'flag-host', port: 3320, user: 'osc', password: 'flag-pw' });
  });

  it('takes an empty OSC_PASSWORD as an empty password', () => {
    expect(parseOptions(REQUIRED, { OSC_PASSWORD: '' }, conf).connection.password).toBe('');
  });

  it('ignores unrelated environment variables', () => {
    expect(parseOptions(REQUIRED, { OSC_USER: 'x', MYSQL_PWD: 'y' }, null).connection).toEqual({
      host: '127.0.0.1',
      port: 3306,
      user: 'osc',
      password: '',
    });
  });
});

describe('validation messages', () => {
  it('lists every missing required value', () => {
    expect(failure({}).message).toBe(
      'missing required --database, --table, --alter, --user (or user= in the [client] section of --conf)',
    );
    const { table: _table, ...noTable } = REQUIRED;
    expect(failure(noTable).message).toBe('missing required --table');
  });

  it.each([
    [{ chunkSize: '5' }, 'invalid --chunk-size "5": expected an integer from 10 to 100000'],
    [{ chunkSize: '100001' }, 'invalid --chunk-size "100001": expected an integer from 10 to 100000'],
    [{ chunkSize: '1e3' }, 'invalid --chunk-size "1e3": expected an integer from 10 to 100000'],
    [{ chunkSize: '' }, 'invalid --chunk-size "": expected an integer from 10 to 100000'],
    [{ chunkSize: '10.5' }, 'invalid --chunk-size "10.5": expected an integer from 10 to 100000'],
    [{ chunkSize: '-10' }, 'invalid --chunk-size "-10": expected an integer from 10 to 100000'],
    [
      { cutOverLockTimeoutSeconds: '0' },
      'invalid --cut-over-lock-timeout-seconds "0": expected an integer from 1 to 60',
    ],
    [
      { cutOverLockTimeoutSeconds: '61' },
      'invalid --cut-over-lock-timeout-seconds "61": expected an integer from 1 to 60',
    ],
    [{ defaultRetries: '0' }, 'invalid --default-retries "0": expected an integer >= 1'],
    [{ defaultRetries: 'many' }, 'invalid --default-retries "many": expected an integer >= 1'],
    [
      { defaultRetries: '99999999999999999999' },
      'invalid --default-retries "99999999999999999999": expected an integer >= 1',
    ],
    [{ replicaServerId: '0' }, 'invalid --replica-server-id "0": expected an integer from 1 to 4294967295'],
    [
      { replicaServerId: '4294967296' },
      'invalid --replica-server-id "4294967296": expected an integer from 1 to 4294967295',
    ],
    [{ heartbeatIntervalMillis: '9' }, 'invalid --heartbeat-interval-millis "9": expected an integer from 10 to 10000'],
    [
      { heartbeatIntervalMillis: '10001' },
      'invalid --heartbeat-interval-millis "10001": expected an integer from 10 to 10000',
    ],
    [{ statusInterval: '0' }, 'invalid --status-interval "0": expected an integer from 1 to 3600'],
    [{ port: '0' }, 'invalid --port "0": expected an integer from 1 to 65535'],
    [{ port: '65536' }, 'invalid --port "65536": expected an integer from 1 to 65535'],
    [{ port: 'mysql' }, 'invalid --port "mysql": expected an integer from 1 to 65535'],
    [{ logFormat: 'xml' }, 'invalid --log-format "xml": expected text or json'],
    [{ database: '' }, 'invalid --database: must not be empty'],
    [{ table: ' ' }, 'invalid --table: must not be empty'],
    [{ alter: '' }, 'invalid --alter: must not be empty'],
    [{ host: '' }, 'invalid --host: must not be empty'],
    [{ user: '' }, 'invalid --user: must not be empty'],
    [{ dmlBatchSize: '0' }, 'invalid --dml-batch-size "0": expected an integer from 1 to 10000'],
    [{ dmlBatchSize: '10001' }, 'invalid --dml-batch-size "10001": expected an integer from 1 to 10000'],
    [{ maxLagMillis: '99' }, 'invalid --max-lag-millis "99": expected an integer from 100 to 3600000'],
    [{ maxLagMillis: '1.5s' }, 'invalid --max-lag-millis "1.5s": expected an integer from 100 to 3600000'],
    [
      { criticalLoadIntervalMillis: '-1' },
      'invalid --critical-load-interval-millis "-1": expected an integer from 0 to 3600000',
    ],
    [{ serveTcpPort: '0' }, 'invalid --serve-tcp-port "0": expected an integer from 1 to 65535'],
    [{ serveTcpPort: '70000' }, 'invalid --serve-tcp-port "70000": expected an integer from 1 to 65535'],
    [{ niceRatio: '-0.5' }, 'invalid --nice-ratio "-0.5": expected a decimal number from 0 to 100'],
    [{ niceRatio: '100.5' }, 'invalid --nice-ratio "100.5": expected a decimal number from 0 to 100'],
    [{ niceRatio: '1e2' }, 'invalid --nice-ratio "1e2": expected a decimal number from 0 to 100'],
    [{ niceRatio: 'half' }, 'invalid --nice-ratio "half": expected a decimal number from 0 to 100'],
    [
      { maxLoad: 'Threads_running' },
      'invalid --max-load "Threads_running": expected comma-separated variable=limit pairs such as Threads_running=25,Threads_connected=500 (variable: letters, digits and _; limit: a non-negative integer)',
    ],
    [
      { maxLoad: 'Threads_running=-1' },
      'invalid --max-load "Threads_running=-1": expected comma-separated variable=limit pairs such as Threads_running=25,Threads_connected=500 (variable: letters, digits and _; limit: a non-negative integer)',
    ],
    [
      { maxLoad: 'Threads_running=2.5' },
      'invalid --max-load "Threads_running=2.5": expected comma-separated variable=limit pairs such as Threads_running=25,Threads_connected=500 (variable: letters, digits and _; limit: a non-negative integer)',
    ],
    [
      { maxLoad: 'Threads-running=5' },
      'invalid --max-load "Threads-running=5": expected comma-separated variable=limit pairs such as Threads_running=25,Threads_connected=500 (variable: letters, digits and _; limit: a non-negative integer)',
    ],
    [
      { maxLoad: 'Threads_running=5,' },
      'invalid --max-load "Threads_running=5,": expected comma-separated variable=limit pairs such as Threads_running=25,Threads_connected=500 (variable: letters, digits and _; limit: a non-negative integer)',
    ],
    [
      { maxLoad: 'Threads_running=5,threads_running=6' },
      'invalid --max-load "Threads_running=5,threads_running=6": expected each variable once (threads_running is given twice)',
    ],
    [
      { criticalLoad: 'Threads_running>80' },
      'invalid --critical-load "Threads_running>80": expected comma-separated variable=limit pairs such as Threads_running=25,Threads_connected=500 (variable: letters, digits and _; limit: a non-negative integer)',
    ],
    [
      { throttleControlReplicas: 'r1:3307,,r2' },
      'invalid --throttle-control-replicas "r1:3307,,r2": expected comma-separated host[:port] entries (port 3306 when absent)',
    ],
    [
      { throttleControlReplicas: 'r1:0' },
      'invalid --throttle-control-replicas "r1:0": expected comma-separated host[:port] entries (port 3306 when absent)',
    ],
    [
      { throttleControlReplicas: 'r1:3307:1' },
      'invalid --throttle-control-replicas "r1:3307:1": expected comma-separated host[:port] entries (port 3306 when absent)',
    ],
    [
      { metricsAddress: '127.0.0.1' },
      'invalid --metrics-address "127.0.0.1": expected host:port with a port from 1 to 65535, or off',
    ],
    [
      { metricsAddress: ':9466' },
      'invalid --metrics-address ":9466": expected host:port with a port from 1 to 65535, or off',
    ],
    [
      { metricsAddress: 'localhost:99999' },
      'invalid --metrics-address "localhost:99999": expected host:port with a port from 1 to 65535, or off',
    ],
    [{ throttleQuery: ' ' }, 'invalid --throttle-query: must not be empty'],
    [{ throttleFlagFile: '' }, 'invalid --throttle-flag-file: must not be empty'],
    [{ postponeCutOverFlagFile: '' }, 'invalid --postpone-cut-over-flag-file: must not be empty'],
    [{ panicFlagFile: '' }, 'invalid --panic-flag-file: must not be empty'],
    [{ serveSocketFile: '' }, 'invalid --serve-socket-file: must not be empty'],
    [{ hooksPath: '' }, 'invalid --hooks-path: must not be empty'],
    [
      { serveSocketFile: `/tmp/${'s'.repeat(103)}` },
      `invalid --serve-socket-file "/tmp/${'s'.repeat(103)}": a unix socket path must be at most 107 bytes; give a shorter --serve-socket-file`,
    ],
  ] satisfies [RawFlags, string][])('%o -> %s', (bad, message) => {
    expect(failure({ ...REQUIRED, ...bad }).message).toBe(message);
  });

  it('takes a hashed default socket path when the plain one is too long for a unix socket', () => {
    const long = 'x'.repeat(64);
    expect(parseOptions({ ...REQUIRED, database: long, table: long }, {}, null).serveSocketFile).toMatch(
      /^\/tmp\/osc\.[0-9a-f]{40}\.sock$/,
    );
  });

  it('names the conf file when its port is bad', () => {
    expect(failure(REQUIRED, {}, { path: 'my.cnf', port: '33o6' }).message).toBe(
      'invalid port "33o6" in --conf my.cnf: expected an integer from 1 to 65535',
    );
  });

  it('names the conf file when its user is empty', () => {
    const { user: _user, ...noUser } = REQUIRED;
    expect(failure(noUser, {}, { path: 'my.cnf', user: '' }).message).toBe(
      'invalid user in --conf my.cnf: must not be empty',
    );
  });
});

describe('parseArgv: the operator-control flags', () => {
  const out = { stdout: () => {}, stderr: () => {} };
  it('hands over the new flags as typed', () => {
    const argv = [
      'node',
      'osc',
      '--max-lag-millis',
      '2000',
      '--throttle-control-replicas',
      'r1:3307',
      '--max-load',
      'Threads_running=25',
      '--critical-load',
      'Threads_running=80',
      '--critical-load-interval-millis',
      '500',
      '--throttle-flag-file',
      '/tmp/a',
      '--throttle-additional-flag-file',
      '',
      '--throttle-query',
      'SELECT 0',
      '--nice-ratio',
      '0.5',
      '--dml-batch-size',
      '20',
      '--postpone-cut-over-flag-file',
      '/tmp/p',
      '--panic-flag-file',
      '/tmp/x',
      '--serve-socket-file',
      '/tmp/s.sock',
      '--serve-tcp-port',
      '9001',
      '--force-named-cut-over',
      '--force-named-panic',
      '--metrics-address',
      'off',
      '--hooks-path',
      '/h',
      '--quiet',
    ];
    expect(parseArgv(argv, '0.0.0', out)).toEqual({
      maxLagMillis: '2000',
      throttleControlReplicas: 'r1:3307',
      maxLoad: 'Threads_running=25',
      criticalLoad: 'Threads_running=80',
      criticalLoadIntervalMillis: '500',
      throttleFlagFile: '/tmp/a',
      throttleAdditionalFlagFile: '',
      throttleQuery: 'SELECT 0',
      niceRatio: '0.5',
      dmlBatchSize: '20',
      postponeCutOverFlagFile: '/tmp/p',
      panicFlagFile: '/tmp/x',
      serveSocketFile: '/tmp/s.sock',
      serveTcpPort: '9001',
      forceNamedCutOver: true,
      forceNamedPanic: true,
      metricsAddress: 'off',
      hooksPath: '/h',
      quiet: true,
    });
  });

  it('leaves defaults to options.ts', () => {
    expect(parseArgv(['node', 'osc'], '0.0.0', out)).toEqual({});
  });
});
