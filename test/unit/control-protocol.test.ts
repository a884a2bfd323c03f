import { describe, expect, it } from 'vitest';
import {
  ALIASES,
  COMMANDS,
  applySetting,
  checkTableArgument,
  parseCommand,
  renderError,
  renderHelp,
  renderOk,
  renderSetting,
  renderStatus,
  renderTunables,
} from '../../src/core/control/protocol.js';
import type { Command, CommandName, ProtocolError } from '../../src/core/control/protocol.js';
import type { ProgressSnapshot } from '../../src/core/progress.js';
import { createTunables } from '../../src/core/tunables.js';
import type { TunableValues } from '../../src/core/tunables.js';
import { parseHostPort, parseLoad, parseMetricsAddress, parseReplicaList } from '../../src/core/control/values.js';
import { FLAGS } from '../../src/core/flags.js';

const parseNiceRatio = FLAGS['nice-ratio'].parse;

const LOAD =
  'comma-separated variable=limit pairs such as Threads_running=25,Threads_connected=500 ' +
  '(variable: letters, digits and _; limit: a non-negative integer)';
const REPLICAS = 'comma-separated host[:port] entries (port 3306 when absent)';

const VALUES: TunableValues = {
  chunkSize: 1000,
  chunkTime: 0.1,
  threads: null,
  dmlBatchSize: 10,
  maxLagMillis: 1500,
  maxLoad: [{ variable: 'Threads_running', limit: 25 }],
  criticalLoad: [],
  niceRatio: 0,
  throttleQuery: null,
  throttleControlReplicas: [],
  throttledByUser: false,
  postponeCutOverFlagFile: null,
  cutOverReleased: false,
  panicRequested: false,
};

const err = (message: string): ProtocolError => ({ kind: 'error', message });

describe('parseCommand: read-only commands', () => {
  it.each([
    ['help', { kind: 'info', name: 'help' }],
    ['status', { kind: 'info', name: 'status' }],
    ['info', { kind: 'info', name: 'status' }],
    ['sup', { kind: 'info', name: 'sup' }],
    ['coordinates', { kind: 'info', name: 'coordinates' }],
    ['coordinates=?', { kind: 'info', name: 'coordinates' }],
    ['status=?', { kind: 'info', name: 'status' }],
    ['  sup \r', { kind: 'info', name: 'sup' }],
  ] satisfies [string, Command][])('%j', (line, command) => {
    expect(parseCommand(line)).toEqual(command);
  });

  it.each([
    ['coordinates=binlog.000001:4', 'coordinates are read-only'],
    ['sup=1', 'sup takes no value'],
    ['info=x', 'info takes no value'],
    ['help me', 'help takes no value'],
    ['status ?', 'status takes no value'],
  ])('%j -> %s', (line, message) => {
    expect(parseCommand(line)).toEqual(err(message));
  });
});

describe('parseCommand: settings', () => {
  it.each([
    ['chunk-size=500', { kind: 'set', name: 'chunk-size', value: 500 }],
    ['chunk-size=', { kind: 'set', name: 'chunk-size', value: null }],
    ['chunk-time=0.25', { kind: 'set', name: 'chunk-time', value: 0.25 }],
    ['threads=2', { kind: 'set', name: 'threads', value: 2 }],
    ['threads=', { kind: 'set', name: 'threads', value: null }],
    ['chunk-size = 100000', { kind: 'set', name: 'chunk-size', value: 100000 }],
    ['dml-batch-size=1', { kind: 'set', name: 'dml-batch-size', value: 1 }],
    ['dml-batch-size=100', { kind: 'set', name: 'dml-batch-size', value: 100 }],
    ['max-lag-millis=2000', { kind: 'set', name: 'max-lag-millis', value: 2000 }],
    [
      'max-load=Threads_running=30,Threads_connected=600',
      {
        kind: 'set',
        name: 'max-load',
        value: [
          { variable: 'Threads_running', limit: 30 },
          { variable: 'Threads_connected', limit: 600 },
        ],
      },
    ],
    ['max-load=', { kind: 'set', name: 'max-load', value: [] }],
    [
      'critical-load=Threads_running=80',
      { kind: 'set', name: 'critical-load', value: [{ variable: 'Threads_running', limit: 80 }] },
    ],
    ['nice-ratio=0.7', { kind: 'set', name: 'nice-ratio', value: 0.7 }],
    ['nice-ratio=2', { kind: 'set', name: 'nice-ratio', value: 2 }],
    [
      'throttle-query=SELECT COUNT(*) > 10 FROM meta.busy',
      { kind: 'set', name: 'throttle-query', value: 'SELECT COUNT(*) > 10 FROM meta.busy' },
    ],
    ['throttle-query="SELECT \\"a=b\\" = 1"', { kind: 'set', name: 'throttle-query', value: 'SELECT "a=b" = 1' }],
    ['throttle-query=`SELECT 1`', { kind: 'set', name: 'throttle-query', value: 'SELECT 1' }],
    ['throttle-query=', { kind: 'set', name: 'throttle-query', value: null }],
    [
      'throttle-control-replicas=r1:3307,r2',
      {
        kind: 'set',
        name: 'throttle-control-replicas',
        value: [
          { host: 'r1', port: 3307 },
          { host: 'r2', port: 3306 },
        ],
      },
    ],
    ['throttle-control-replicas=', { kind: 'set', name: 'throttle-control-replicas', value: [] }],
    [
      'postpone-cut-over-flag-file=/tmp/p.flag',
      { kind: 'set', name: 'postpone-cut-over-flag-file', value: '/tmp/p.flag' },
    ],
  ] satisfies [string, Command][])('%j', (line, command) => {
    expect(parseCommand(line)).toEqual(command);
  });

  it.each(Object.keys(COMMANDS).filter((n) => COMMANDS[n as CommandName].kind === 'setting'))('%s=? reads', (name) => {
    expect(parseCommand(`${name}=?`)).toEqual({ kind: 'read', name });
    expect(parseCommand(` ${name} = ? `)).toEqual({ kind: 'read', name });
  });

  it.each([
    ['chunk-size=9', 'invalid chunk-size "9": expected an integer from 10 to 100000'],
    ['chunk-size=100001', 'invalid chunk-size "100001": expected an integer from 10 to 100000'],
    ['chunk-size=1e3', 'invalid chunk-size "1e3": expected an integer from 10 to 100000'],
    ['chunk-size=-5', 'invalid chunk-size "-5": expected an integer from 10 to 100000'],
    ['dml-batch-size=0', 'invalid dml-batch-size "0": expected an integer from 1 to 10000'],
    ['dml-batch-size=10001', 'invalid dml-batch-size "10001": expected an integer from 1 to 10000'],
    ['max-lag-millis=99', 'invalid max-lag-millis "99": expected an integer from 100 to 3600000'],
    ['max-lag-millis=fast', 'invalid max-lag-millis "fast": expected an integer from 100 to 3600000'],
    ['max-load=Threads_running', `invalid max-load "Threads_running": expected ${LOAD}`],
    ['max-load=Threads_running=-1', `invalid max-load "Threads_running=-1": expected ${LOAD}`],
    [
      'max-load=Threads_running=1,Threads_running=2',
      'invalid max-load "Threads_running=1,Threads_running=2": expected each variable once (Threads_running is given twice)',
    ],
    ['critical-load=Threads running=5', `invalid critical-load "Threads running=5": expected ${LOAD}`],
    ['nice-ratio=-1', 'invalid nice-ratio "-1": expected a decimal number from 0 to 100'],
    ['nice-ratio=101', 'invalid nice-ratio "101": expected a decimal number from 0 to 100'],
    ['nice-ratio=NaN', 'invalid nice-ratio "NaN": expected a decimal number from 0 to 100'],
    ['throttle-control-replicas=r1:abc', `invalid throttle-control-replicas "r1:abc": expected ${REPLICAS}`],
    ['throttle-control-replicas=r1:70000', `invalid throttle-control-replicas "r1:70000": expected ${REPLICAS}`],
    ['postpone-cut-over-flag-file=', 'invalid postpone-cut-over-flag-file "": expected a file path'],
    ['chunk-size', 'chunk-size needs a value: chunk-size=<rows> to set, chunk-size=? to read'],
    ['chunk-size 500', 'chunk-size needs a value: chunk-size=<rows> to set, chunk-size=? to read'],
    ['max-load', 'max-load needs a value: max-load=<var=n,...> to set, max-load=? to read'],
  ])('%j -> %s', (line, message) => {
    expect(parseCommand(line)).toEqual(err(message));
  });
});

describe('parseCommand: actions and their aliases', () => {
  it.each([
    ['throttle', 'throttle'],
    ['pause', 'throttle'],
    ['suspend', 'throttle'],
    ['no-throttle', 'no-throttle'],
    ['unthrottle', 'no-throttle'],
    ['resume', 'no-throttle'],
    ['continue', 'no-throttle'],
    ['unpostpone', 'unpostpone'],
    ['no-postpone', 'unpostpone'],
    ['cut-over', 'unpostpone'],
    ['panic', 'panic'],
  ])('%s -> %s, with or without the table', (word, name) => {
    expect(parseCommand(word)).toEqual({ kind: 'action', name, table: null });
    expect(parseCommand(`${word}=`)).toEqual({ kind: 'action', name, table: null });
    expect(parseCommand(`${word}=orders`)).toEqual({ kind: 'action', name, table: 'orders' });
    expect(parseCommand(`${word} = "orders"`)).toEqual({ kind: 'action', name, table: 'orders' });
    expect(parseCommand(`${word} orders`)).toEqual({ kind: 'action', name, table: 'orders' });
  });

  it('knows every alias gh-ost has', () => {
    expect(ALIASES).toEqual({
      info: 'status',
      pause: 'throttle',
      suspend: 'throttle',
      unthrottle: 'no-throttle',
      resume: 'no-throttle',
      continue: 'no-throttle',
      'no-postpone': 'unpostpone',
      'cut-over': 'unpostpone',
    });
  });
});

describe('parseCommand: unknown and empty', () => {
  it.each([
    ['bogus', 'unknown command: bogus; send help for the list'],
    ['STATUS', 'unknown command: STATUS; send help for the list'],
    ['replication-lag-query=SELECT 1', 'unknown command: replication-lag-query; send help for the list'],
    ['=5', 'unknown command: ; send help for the list'],
    ['toString', 'unknown command: toString; send help for the list'],
    ['__proto__=1', 'unknown command: __proto__; send help for the list'],
    ['', 'empty command; send help for the list'],
    ['   ', 'empty command; send help for the list'],
  ])('%j -> %s', (line, message) => {
    expect(parseCommand(line)).toEqual(err(message));
  });
});

describe('checkTableArgument', () => {
  const none = { cutOver: false, panic: false };
  const both = { cutOver: true, panic: true };
  it.each([
    ['throttle', null, none, null],
    ['throttle', 'orders', both, null],
    ['throttle', null, both, null],
    ['no-throttle', null, both, null],
    ['throttle', 'users', none, 'throttle names table users, but this migration is on orders; nothing done'],
    ['no-throttle', 'users', none, 'no-throttle names table users, but this migration is on orders; nothing done'],
    ['unpostpone', null, none, null],
    [
      'unpostpone',
      null,
      { cutOver: true, panic: false },
      'unpostpone must name the table (unpostpone=orders): --force-named-cut-over is set',
    ],
    ['unpostpone', null, { cutOver: false, panic: true }, null],
    ['unpostpone', 'orders', both, null],
    ['unpostpone', 'Orders', none, 'unpostpone names table Orders, but this migration is on orders; nothing done'],
    ['panic', null, none, null],
    [
      'panic',
      null,
      { cutOver: false, panic: true },
      'panic must name the table (panic=orders): --force-named-panic is set',
    ],
    ['panic', null, { cutOver: true, panic: false }, null],
    ['panic', 'orders', both, null],
    ['panic', '?', none, 'panic names table ?, but this migration is on orders; nothing done'],
  ] as const)('%s %j %o -> %j', (name, given, force, expected) => {
    expect(checkTableArgument(name, given, 'orders', force)).toBe(expected);
  });
});

describe('settings round-trip: set, then read back as typed', () => {
  it.each([
    ['chunk-size=500', '500'],
    ['dml-batch-size=50', '50'],
    ['max-lag-millis=2500', '2500'],
    ['max-load=Threads_running=30,Threads_connected=600', 'Threads_running=30,Threads_connected=600'],
    ['max-load= Threads_running = 30 ', 'Threads_running=30'],
    ['critical-load=Threads_running=80', 'Threads_running=80'],
    ['nice-ratio=0.25', '0.25'],
    ['nice-ratio=.5', '0.5'],
    ['throttle-query=SELECT 1', 'SELECT 1'],
    ['throttle-query=', ''],
    ['throttle-control-replicas=r1:3307,r2,[::1]:3308,r1:3307', 'r1:3307,r2:3306,[::1]:3308'],
    ['postpone-cut-over-flag-file=/tmp/x', '/tmp/x'],
  ])('%j reads back %j', (line, shown) => {
    const writer = createTunables(VALUES);
    const command = parseCommand(line);
    if (command.kind !== 'set') throw new Error(`expected a set command, got ${JSON.stringify(command)}`);
    applySetting(writer, command);
    expect(renderSetting(command.name, writer.current())).toBe(shown);
    // What is shown sets the same value again.
    const again = parseCommand(`${command.name}=${shown}`);
    expect(again).toEqual(command);
  });
});

const SNAPSHOT: ProgressSnapshot = {
  phase: 'copy',
  database: 'shop',
  table: 'orders',
  rowsCopied: 12000,
  rowsEstimated: 200000,
  elapsedSeconds: 6,
  copySeconds: 5,
  eventsApplied: 512,
  backlog: 3,
  binlogPosition: 'binlog.000003:1234',
  heartbeatLagSeconds: 0.2,
  throttleReason: 'commanded by user',
  cutOverAttempts: 0,
  eventsByKind: { insert: 500, update: 10, delete: 2 },
  replicaLags: [],
  chunkSize: 1000,
  cutOverLockMs: null,
  checksum: null,
};

describe('replies', () => {
  it('renders every tunable in command syntax', () => {
    expect(
      renderTunables({ ...VALUES, throttledByUser: true, throttleControlReplicas: [{ host: 'r1', port: 3307 }] }),
    ).toBe(
      [
        'chunk-size=1000',
        'chunk-time=0.1',
        'threads=',
        'dml-batch-size=10',
        'max-lag-millis=1500',
        'max-load=Threads_running=25',
        'critical-load=',
        'nice-ratio=0',
        'throttle-query=',
        'throttle-control-replicas=r1:3307',
        'postpone-cut-over-flag-file=',
        'throttled-by-user=true',
        'cut-over-released=false',
        '',
      ].join('\n'),
    );
  });

  it('renders the status', () => {
    expect(renderStatus(SNAPSHOT, VALUES)).toBe(
      '# migrating shop.orders\n' +
        'phase=copy copied=12000/200000 pct=6.0% rate=2400/s eta=1m18s backlog=3 applied=512 lag=0.2s ' +
        'binlog=binlog.000003:1234 throttled="commanded by user"\n' +
        renderTunables(VALUES),
    );
  });

  it('renders help with every command, in table order', () => {
    const help = renderHelp();
    expect(help.split('\n')).toEqual([
      'available commands:',
      'help                                       # this list',
      'status                                     # detailed status: the status line and every tunable (alias: info)',
      'sup                                        # the status line',
      'coordinates                                # the binlog position replayed so far',
      'chunk-size=<rows>                          # rows per copy chunk, fixed (empty: sized by chunk-time again)',
      'chunk-time=<seconds>                       # target seconds per copy chunk (when chunk-size is empty)',
      'threads=<n>                                # copy ranges copied at once (empty: the default for the server)',
      'dml-batch-size=<n>                         # binlog events replayed per transaction',
      'max-lag-millis=<ms>                        # throttle when a replica lags more',
      'max-load=<var=n,...>                       # throttle while a status variable is at or over its limit',
      'critical-load=<var=n,...>                  # abort when a status variable reaches its limit',
      'nice-ratio=<ratio>                         # sleep this fraction of each chunk time (0.7 adds 70%)',
      'throttle-query=<sql>                       # throttle while it returns a value > 0 (empty clears it)',
      'throttle-control-replicas=<host:port,...>  # replicas whose lag counts (empty: discover them)',
      'postpone-cut-over-flag-file=<path>         # create this file and postpone cut-over while it exists',
      'throttle[=<table>]                         # force throttling (aliases: pause, suspend)',
      'no-throttle[=<table>]                      # end forced throttling; other reasons may still apply (aliases: unthrottle, resume, continue)',
      'unpostpone[=<table>]                       # cut over now instead of waiting (aliases: no-postpone, cut-over)',
      'panic[=<table>]                            # abort the migration at once; the original table stays untouched',
      '- send name=? to read a value instead of setting it, e.g. max-load=?',
      '',
    ]);
  });

  it('renders ok and error lines', () => {
    expect(renderOk('chunk-size=500')).toBe('ok: chunk-size=500\n');
    expect(renderError('unknown command: x')).toBe('error: unknown command: x\n');
  });
});

describe('value parsers', () => {
  it('parses host:port forms', () => {
    expect(parseHostPort('db1:3307')).toEqual({ ok: true, value: { host: 'db1', port: 3307 } });
    expect(parseHostPort('[::1]:3307')).toEqual({ ok: true, value: { host: '::1', port: 3307 } });
    expect(parseHostPort('db1')).toEqual({ ok: false, expected: 'host:port with a port from 1 to 65535' });
    expect(parseHostPort('db1', 3306)).toEqual({ ok: true, value: { host: 'db1', port: 3306 } });
    expect(parseHostPort('::1:3307')).toEqual({ ok: false, expected: 'host:port with a port from 1 to 65535' });
  });

  it('parses metrics addresses', () => {
    expect(parseMetricsAddress('off')).toEqual({ ok: true, value: null });
    expect(parseMetricsAddress('127.0.0.1:9466')).toEqual({ ok: true, value: { host: '127.0.0.1', port: 9466 } });
    expect(parseMetricsAddress('OFF')).toEqual({
      ok: false,
      expected: 'host:port with a port from 1 to 65535, or off',
    });
  });

  it('parses load and replica lists and nice ratios', () => {
    expect(parseLoad(' ')).toEqual({ ok: true, value: [] });
    expect(parseLoad('Innodb_row_lock_current_waits=0')).toEqual({
      ok: true,
      value: [{ variable: 'Innodb_row_lock_current_waits', limit: 0 }],
    });
    expect(parseReplicaList('r1, r2:3310')).toEqual({
      ok: true,
      value: [
        { host: 'r1', port: 3306 },
        { host: 'r2', port: 3310 },
      ],
    });
    expect(parseNiceRatio('1.')).toEqual({ ok: true, value: 1 });
    expect(parseNiceRatio('0x1')).toEqual({ ok: false, expected: 'a decimal number from 0 to 100' });
  });
});
