import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/cli/options.js';
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
      chunkSize: 1000,
      cutOverLockTimeoutSeconds: 3,
      defaultRetries: 60,
      replicaServerId: 99999,
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
      initiallyDropGhostTable: true,
      initiallyDropOldTable: true,
      okToDropTable: true,
      approveRenamedColumns: true,
      exactRowcount: true,
      verbose: true,
      logFormat: 'json',
      statusInterval: '30',
      heartbeatIntervalMillis: '500',
    };
    expect(parseOptions(raw, {}, null)).toEqual({
      connection: { host: 'db-primary', port: 3307, user: 'osc', password: 'pw-flag' },
      database: 'shop',
      table: 'orders',
      alter: "  ADD COLUMN `s` VARCHAR(50) NOT NULL DEFAULT 'pending'  ",
      execute: true,
      chunkSize: 5000,
      cutOverLockTimeoutSeconds: 10,
      defaultRetries: 5,
      replicaServerId: 4294967295,
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
    });
  });

  it('returns a deeply frozen config', () => {
    const config = parseOptions(REQUIRED, {}, null);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.connection)).toBe(true);
  });

  it('accepts the range limits', () => {
    const c = parseOptions(
      { ...REQUIRED, chunkSize: '10', cutOverLockTimeoutSeconds: '60', replicaServerId: '1', heartbeatIntervalMillis: '10000', port: '65535' },
      {},
      null,
    );
    expect([c.chunkSize, c.cutOverLockTimeoutSeconds, c.replicaServerId, c.heartbeatIntervalMillis, c.connection.port]).toEqual([
      10, 60, 1, 10000, 65535,
    ]);
    expect(parseOptions({ ...REQUIRED, chunkSize: '100000', defaultRetries: '1' }, {}, null).chunkSize).toBe(100000);
  });
});

describe('precedence: flag > env > conf > default', () => {
  const conf: ConfFile = { path: '/etc/osc.cnf', user: 'conf-user', password: 'conf-pw', host: 'conf-host', port: '3310' };

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
    const c = parseOptions({ ...REQUIRED, password: 'flag-pw', host: 'flag-host', port: '3320' }, { OSC_PASSWORD: 'env-pw' }, conf);
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
    [{ cutOverLockTimeoutSeconds: '0' }, 'invalid --cut-over-lock-timeout-seconds "0": expected an integer from 1 to 60'],
    [{ cutOverLockTimeoutSeconds: '61' }, 'invalid --cut-over-lock-timeout-seconds "61": expected an integer from 1 to 60'],
    [{ defaultRetries: '0' }, 'invalid --default-retries "0": expected an integer >= 1'],
    [{ defaultRetries: 'many' }, 'invalid --default-retries "many": expected an integer >= 1'],
    [{ defaultRetries: '99999999999999999999' }, 'invalid --default-retries "99999999999999999999": expected an integer >= 1'],
    [{ replicaServerId: '0' }, 'invalid --replica-server-id "0": expected an integer from 1 to 4294967295'],
    [{ replicaServerId: '4294967296' }, 'invalid --replica-server-id "4294967296": expected an integer from 1 to 4294967295'],
    [{ heartbeatIntervalMillis: '9' }, 'invalid --heartbeat-interval-millis "9": expected an integer from 10 to 10000'],
    [{ heartbeatIntervalMillis: '10001' }, 'invalid --heartbeat-interval-millis "10001": expected an integer from 10 to 10000'],
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
  ] satisfies [RawFlags, string][])('%o -> %s', (bad, message) => {
    expect(failure({ ...REQUIRED, ...bad }).message).toBe(message);
  });

  it('names the conf file when its port is bad', () => {
    expect(failure(REQUIRED, {}, { path: 'my.cnf', port: '33o6' }).message).toBe(
      'invalid port "33o6" in --conf my.cnf: expected an integer from 1 to 65535',
    );
  });

  it('names the conf file when its user is empty', () => {
    const { user: _user, ...noUser } = REQUIRED;
    expect(failure(noUser, {}, { path: 'my.cnf', user: '' }).message).toBe('invalid user in --conf my.cnf: must not be empty');
  });
});
