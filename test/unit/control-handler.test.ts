import { describe, expect, it } from 'vitest';
import { createControlHandler } from '../../src/operator/control-handler.js';
import type { ControlHandlerDeps } from '../../src/operator/control-handler.js';
import { renderHelp, renderTunables } from '../../src/core/control/protocol.js';
import type { ProgressSnapshot } from '../../src/core/progress.js';
import { createTunables } from '../../src/core/tunables.js';
import type { TunableValues } from '../../src/core/tunables.js';
import type { LogBody, Logger } from '../../src/core/log.js';
import { DEFAULT_TUNABLES } from '../support/tunables.js';
import { HALF_COPIED } from '../support/snapshots.js';

const VALUES: TunableValues = DEFAULT_TUNABLES;

const SNAPSHOT: ProgressSnapshot = HALF_COPIED;

const STATUS_LINE =
  'phase=copy copied=500/1000 pct=50.0% rate=500/s eta=1s backlog=0 applied=7 lag=- binlog=binlog.000002:900';

interface Rig {
  handle: (line: string) => string;
  values: () => TunableValues;
  logs: string[];
  panics: number;
  commands: [string, string][];
  flagFiles: string[];
  snapshot: ProgressSnapshot;
}

function rig(overrides: Partial<ControlHandlerDeps> = {}): Rig {
  const tunables = createTunables(VALUES);
  const r: Rig = {
    handle: () => '',
    values: () => tunables.current(),
    logs: [],
    panics: 0,
    commands: [],
    flagFiles: [],
    snapshot: SNAPSHOT,
  };
  const log =
    (level: string) =>
    (event: string, body: LogBody = {}): void => {
      const fields =
        typeof body === 'string'
          ? body
          : Object.entries(body)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(' ');
      r.logs.push(`${level} ${event} ${fields}`.trimEnd());
    };
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  r.handle = createControlHandler({
    tunables,
    snapshot: () => r.snapshot,
    coordinates: () => 'binlog.000002:900',
    table: 'orders',
    forceNamedCutOver: false,
    forceNamedPanic: false,
    logger,
    onPanic: () => void r.panics++,
    onCommand: (name, line) => void r.commands.push([name, line]),
    createFlagFile: (path) => void r.flagFiles.push(path),
    ...overrides,
  });
  return r;
}

describe('read-only commands', () => {
  it('status and info: header, status line, every tunable', () => {
    const r = rig();
    const expected = `# migrating shop.orders\n${STATUS_LINE}\n${renderTunables(VALUES)}`;
    expect(r.handle('status')).toBe(expected);
    expect(r.handle('info')).toBe(expected);
    expect(r.logs).toEqual([]);
  });

  it('sup: the status line', () => {
    expect(rig().handle('sup')).toBe(`${STATUS_LINE}\n`);
  });

  it('coordinates: the binlog position, or - before there is one', () => {
    expect(rig().handle('coordinates')).toBe('binlog.000002:900\n');
    expect(rig({ coordinates: () => '' }).handle('coordinates=?')).toBe('-\n');
    expect(rig().handle('coordinates=x:1')).toBe('error: coordinates are read-only\n');
  });

  it('help: the command list', () => {
    expect(rig().handle('help')).toBe(renderHelp());
  });
});

describe('settings', () => {
  it.each([
    ['chunk-size=500', 'chunkSize', 500, 'chunk-size=?', '500'],
    ['dml-batch-size=50', 'dmlBatchSize', 50, 'dml-batch-size=?', '50'],
    ['max-lag-millis=3000', 'maxLagMillis', 3000, 'max-lag-millis=?', '3000'],
    [
      'max-load=Threads_running=30',
      'maxLoad',
      [{ variable: 'Threads_running', limit: 30 }],
      'max-load=?',
      'Threads_running=30',
    ],
    [
      'critical-load=Threads_running=90',
      'criticalLoad',
      [{ variable: 'Threads_running', limit: 90 }],
      'critical-load=?',
      'Threads_running=90',
    ],
    ['nice-ratio=1.5', 'niceRatio', 1.5, 'nice-ratio=?', '1.5'],
    ['throttle-query=SELECT 0', 'throttleQuery', 'SELECT 0', 'throttle-query=?', 'SELECT 0'],
    [
      'throttle-control-replicas=r1:3307',
      'throttleControlReplicas',
      [{ host: 'r1', port: 3307 }],
      'throttle-control-replicas=?',
      'r1:3307',
    ],
    [
      'postpone-cut-over-flag-file=/tmp/pp',
      'postponeCutOverFlagFile',
      '/tmp/pp',
      'postpone-cut-over-flag-file=?',
      '/tmp/pp',
    ],
  ] as const)('%s sets %s, logs once, reads back', (line, key, value, read, shown) => {
    const r = rig();
    expect(r.handle(line)).toBe(`ok: ${read.slice(0, -2)}=${shown}\n`);
    expect(r.values()[key]).toEqual(value);
    expect(r.handle(read)).toBe(`${shown}\n`);
    expect(r.logs).toEqual([`info control_command name=${read.slice(0, -2)} value=${shown}`]);
    expect(r.commands).toEqual([
      [read.slice(0, -2), line],
      [read.slice(0, -2), read],
    ]);
  });

  it('reads the defaults as empty values', () => {
    const r = rig();
    expect(r.handle('throttle-query=?')).toBe('\n');
    expect(r.handle('max-load=?')).toBe('\n');
    expect(r.handle('postpone-cut-over-flag-file=?')).toBe('\n');
  });

  it('creates the postpone flag file, as gh-ost does', () => {
    const r = rig();
    r.handle('postpone-cut-over-flag-file=/tmp/pp');
    expect(r.flagFiles).toEqual(['/tmp/pp']);
  });

  it('changes nothing when the flag file cannot be created', () => {
    const r = rig({
      createFlagFile: () => {
        throw new Error('EACCES: permission denied');
      },
    });
    expect(r.handle('postpone-cut-over-flag-file=/root/pp')).toBe(
      'error: cannot create /root/pp: EACCES: permission denied\n',
    );
    expect(r.values()).toEqual(VALUES);
    expect(r.logs).toEqual([]);
  });

  it.each([
    ['chunk-size=5', 'error: invalid chunk-size "5": expected an integer from 10 to 100000\n'],
    ['dml-batch-size=10001', 'error: invalid dml-batch-size "10001": expected an integer from 1 to 10000\n'],
    ['max-lag-millis=-1', 'error: invalid max-lag-millis "-1": expected an integer from 100 to 3600000\n'],
    ['nice-ratio=lots', 'error: invalid nice-ratio "lots": expected a decimal number from 0 to 100\n'],
    [
      'throttle-control-replicas=:1',
      'error: invalid throttle-control-replicas ":1": expected comma-separated host[:port] entries (port 3306 when absent)\n',
    ],
    ['postpone-cut-over-flag-file=', 'error: invalid postpone-cut-over-flag-file "": expected a file path\n'],
    ['frobnicate=1', 'error: unknown command: frobnicate; send help for the list\n'],
    ['', 'error: empty command; send help for the list\n'],
  ])('%j is refused and changes nothing', (line, reply) => {
    const r = rig();
    expect(r.handle(line)).toBe(reply);
    expect(r.values()).toEqual(VALUES);
    expect(r.logs).toEqual([]);
    expect(r.commands).toEqual([]);
  });
});

describe('throttle and no-throttle', () => {
  it.each(['throttle', 'pause', 'suspend', 'throttle=orders', 'pause orders'])('%s throttles', (line) => {
    const r = rig();
    expect(r.handle(line)).toBe(
      'ok: throttled by user; binlog replay goes on; throttle only as long as the server keeps its binary logs\n',
    );
    expect(r.values().throttledByUser).toBe(true);
    expect(r.logs).toEqual(['info control_command name=throttle value=true']);
  });

  it.each(['no-throttle', 'unthrottle', 'resume', 'continue', 'resume=orders'])('%s lifts it', (line) => {
    const r = rig();
    r.handle('throttle');
    expect(r.handle(line)).toBe('ok: user throttle lifted; other throttle reasons may still apply\n');
    expect(r.values().throttledByUser).toBe(false);
  });

  it('refuses another table', () => {
    const r = rig();
    expect(r.handle('throttle=users')).toBe(
      'error: throttle names table users, but this migration is on orders; nothing done\n',
    );
    expect(r.values().throttledByUser).toBe(false);
    expect(r.logs).toEqual([]);
  });
});

describe('unpostpone', () => {
  it.each(['unpostpone', 'no-postpone', 'cut-over', 'cut-over=orders'])(
    '%s releases the cut-over while postponing',
    (line) => {
      const r = rig();
      r.snapshot = { ...SNAPSHOT, phase: 'postponed' };
      expect(r.handle(line)).toBe('ok: unpostponed; cutting over\n');
      expect(r.values().cutOverReleased).toBe(true);
      expect(r.logs).toEqual(['info control_command name=unpostpone value=true']);
    },
  );

  it('before the copy ends, says cut-over will not wait', () => {
    const r = rig();
    expect(r.handle('unpostpone')).toBe('ok: cut-over will not be postponed\n');
    expect(r.values().cutOverReleased).toBe(true);
  });

  it('requires the table with --force-named-cut-over', () => {
    const r = rig({ forceNamedCutOver: true });
    expect(r.handle('unpostpone')).toBe(
      'error: unpostpone must name the table (unpostpone=orders): --force-named-cut-over is set\n',
    );
    expect(r.values().cutOverReleased).toBe(false);
    expect(r.handle('cut-over=users')).toBe(
      'error: unpostpone names table users, but this migration is on orders; nothing done\n',
    );
    expect(r.values().cutOverReleased).toBe(false);
    expect(r.handle('unpostpone=orders')).toBe('ok: cut-over will not be postponed\n');
    expect(r.values().cutOverReleased).toBe(true);
  });
});

describe('panic', () => {
  it('calls onPanic once and records it', () => {
    const r = rig();
    expect(r.handle('panic')).toBe('ok: panic: aborting the migration; the original table stays untouched\n');
    expect(r.panics).toBe(1);
    expect(r.values().panicRequested).toBe(true);
    expect(r.logs).toEqual(['warn control_command name=panic value=true']);
  });

  it('requires the table with --force-named-panic', () => {
    const r = rig({ forceNamedPanic: true });
    expect(r.handle('panic')).toBe('error: panic must name the table (panic=orders): --force-named-panic is set\n');
    expect(r.handle('panic=users')).toBe(
      'error: panic names table users, but this migration is on orders; nothing done\n',
    );
    expect(r.panics).toBe(0);
    expect(r.values().panicRequested).toBe(false);
    expect(r.handle('panic orders')).toBe('ok: panic: aborting the migration; the original table stays untouched\n');
    expect(r.panics).toBe(1);
  });

  it('does not require the table for panic under --force-named-cut-over alone', () => {
    const r = rig({ forceNamedCutOver: true });
    expect(r.handle('panic')).toBe('ok: panic: aborting the migration; the original table stays untouched\n');
  });
});

describe('hooks', () => {
  it('a throwing onCommand is logged and the command still runs', () => {
    const r = rig({
      onCommand: () => {
        throw new Error('hook broke');
      },
    });
    expect(r.handle('chunk-size=700')).toBe('ok: chunk-size=700\n');
    expect(r.logs).toEqual([
      'warn control_command_hook_failed name=chunk-size message=hook broke',
      'info control_command name=chunk-size value=700',
    ]);
  });

  it('onCommand gets the canonical name and the trimmed line', () => {
    const r = rig();
    r.handle('  pause=orders \r');
    expect(r.commands).toEqual([['throttle', 'pause=orders']]);
  });
});
