import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CONF_KEYS,
  FLAGS,
  FLAG_NAMES,
  REQUIRED,
  SETTING_NAMES,
  camelCase,
  flagHelp,
  flagSpec,
  shownDefault,
} from '../../src/core/flags.js';
import type { FlagName, FlagValue, Flags, SettingName } from '../../src/core/flags.js';
import { README_BEGIN, README_END, renderFlagTables, replaceFlagSection } from '../../src/core/flags-readme.js';
import { COMMANDS, applySetting, parseCommand, renderTunables } from '../../src/core/control/protocol.js';
import type { SetCommand } from '../../src/core/control/protocol.js';
import { createTunables, initialTunables } from '../../src/core/tunables.js';
import type { TunableValues } from '../../src/core/tunables.js';
import { parseOptions } from '../../src/cli/options.js';
import { buildProgram, flagOption, parseArgv } from '../../src/cli/program.js';
import { parseConfFile } from '../../src/cli/conf-file.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const out = { stdout: () => {}, stderr: () => {} };

describe('README and the flag list', () => {
  it('README flag tables are the ones the list renders (run `npm run docs:flags` after changing src/core/flags.ts)', () => {
    const begin = README.indexOf(README_BEGIN);
    const end = README.indexOf(README_END);
    expect(begin).toBeGreaterThan(-1);
    expect(README.slice(begin + README_BEGIN.length + 1, end)).toBe(renderFlagTables());
  });

  it('names every flag once in README, with its default and its socket command', () => {
    const section = README.slice(README.indexOf(README_BEGIN), README.indexOf(README_END));
    const rows = section.split('\n').filter((l) => l.startsWith('| `--'));
    const parsed = rows.map((l) => l.split(' | ').map((c) => c.replace(/^\| /, '')));
    expect(parsed.map((c) => c[0])).toEqual(FLAG_NAMES.map((n) => `\`--${n}\``));
    for (const [i, name] of FLAG_NAMES.entries()) {
      const [, shown, socket] = parsed[i] as string[];
      const def = shownDefault(name);
      expect(shown).toBe(def !== null ? `\`${def}\`` : flagSpec(name).arg === undefined ? 'off' : '');
      expect(socket !== '', name).toBe(SETTING_NAMES.includes(name as never));
    }
  });

  it('lists every settable value in the control socket command table, and no other', () => {
    const socketSection = README.slice(README.indexOf('## Control socket'), README.indexOf('## Hooks'));
    const settable = [...socketSection.matchAll(/^\| `([a-z-]+)=[^[`]/gm)].map((m) => m[1]);
    expect(settable).toEqual(SETTING_NAMES);
  });

  it('replaces only the section between the markers', () => {
    const text = `head\n${README_BEGIN}\nold\n${README_END}\ntail\n`;
    expect(replaceFlagSection(text, 'new\n')).toBe(`head\n${README_BEGIN}\nnew\n${README_END}\ntail\n`);
    expect(() => replaceFlagSection('no markers', '')).toThrow(/no <!-- flags:begin/);
  });

  it('renders a row exactly', () => {
    const rows = renderFlagTables().split('\n');
    expect(
      rows.filter(
        (r) =>
          r.startsWith('| `--chunk-size`') || r.startsWith('| `--serve-socket-file`') || r.startsWith('| `--password`'),
      ),
    ).toEqual([
      '| `--password` |  |  | MySQL password (other users may see it in the process list while osc starts: prefer the environment, --conf or --ask-pass); also from env `OSC_PASSWORD`, `password=` in --conf |',
      '| `--chunk-size` | `by time` | `chunk-size=<rows>` | rows per copy chunk, fixed (absent: sized by `--chunk-time`), 10..100000 |',
      '| `--serve-socket-file` | `/tmp/osc.<database>.<table>.sock` |  | the control socket (mode 0600, removed on exit; at most 107 bytes; for long or odd names the default is hashed, logged at startup) |',
    ]);
  });
});

describe('the list itself', () => {
  it('gives every flag a default, an absent value or REQUIRED, and every default parses', () => {
    for (const name of FLAG_NAMES) {
      const spec = flagSpec(name);
      expect(spec.default !== undefined || 'absent' in spec, name).toBe(true);
      if (spec.default !== undefined) expect(spec.parse(spec.default).ok, name).toBe(true);
    }
    expect(FLAG_NAMES.filter((n) => flagSpec(n).absent === REQUIRED)).toEqual(['database', 'table', 'alter', 'user']);
  });

  it('checks each range at both ends', () => {
    for (const name of FLAG_NAMES) {
      const { range, parse } = flagSpec(name);
      if (range === undefined) continue;
      expect(parse(String(range[0])), name).toEqual({ ok: true, value: range[0] });
      expect(parse(String(range[1])), name).toEqual({ ok: true, value: range[1] });
      if (range[0] > 0) expect(parse(String(range[0] - 1)).ok, name).toBe(false);
      expect(parse(String(range[1] + 1)).ok, name).toBe(false);
    }
  });

  it('has config keys that are unique', () => {
    const keys = FLAG_NAMES.map((n) => flagSpec(n).key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('takes gh-ost names, kebab-case, and commander agrees on their attribute names', () => {
    for (const name of FLAG_NAMES) {
      expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(flagOption(name).attributeName()).toBe(camelCase(name));
    }
  });

  it('reads the --conf keys it marks, and only those', () => {
    expect(CONF_KEYS).toEqual(['host', 'port', 'user', 'password', 'ssl_mode', 'ssl_ca', 'ssl_cert', 'ssl_key']);
    expect(parseConfFile('[client]\nchunk-size = 5\nexecute\nport=1\n', 'x.cnf')).toEqual({ path: 'x.cnf', port: '1' });
  });
});

describe('--help from the list', () => {
  it('writes the help text with range, required and other sources', () => {
    expect(
      (['chunk-size', 'user', 'password', 'serve-tcp-port', 'initially-drop-ghost-table'] as FlagName[]).map((n) =>
        flagHelp(n, false),
      ),
    ).toEqual([
      'rows per copy chunk, fixed (absent: sized by --chunk-time), 10..100000',
      'MySQL user, required; also from user= in --conf',
      'MySQL password (other users may see it in the process list while osc starts: prefer the environment, --conf or --ask-pass); also from env OSC_PASSWORD, password= in --conf',
      'also serve the control protocol on 127.0.0.1:<port> (loopback only), 1..65535',
      'drop a leftover ghost table _<table>_gho (and _<table>_ghc, _<table>_ghk) before starting, once osc holds its run lock',
    ]);
  });

  it('prints exact lines', () => {
    const program = buildProgram('0.0.0', out).configureHelp({ helpWidth: 300 });
    const lines = program.helpInformation().split('\n');
    const line = (flag: string): string | undefined =>
      lines.find((l) => l.startsWith(`  ${flag} `))?.replace(/ {2,}/g, '  ');
    expect([line('--chunk-size'), line('--execute'), line('--metrics-address'), line('--default-retries')]).toEqual([
      '  --chunk-size <rows>  rows per copy chunk, fixed (absent: sized by --chunk-time), 10..100000 (default: by time)',
      '  --execute  really migrate. Without it osc runs every check, creates and alters the ghost to prove the ALTER, prints the plan, drops the ghost and exits 0 (noop)',
      '  --metrics-address <host:port|off>  host:port serving Prometheus /metrics; off disables it (default: 127.0.0.1:9466)',
      '  --default-retries <n>  cut-over attempts, and retries of other retryable operations, >= 1 (default: 60)',
    ]);
    // Every flag, in the list's order, between --version and --help.
    const flags = lines.filter((l) => /^ {2}-/.test(l)).map((l) => /--[a-z-]+/.exec(l)?.[0]);
    expect(flags).toEqual(['--version', ...FLAG_NAMES.map((n) => `--${n}`), '--help']);
  });
});

describe('config from the list', () => {
  it('parses a command line into an exact config', () => {
    const raw = parseArgv(
      [
        'node',
        'osc',
        '--database',
        'shop',
        '--table',
        'orders',
        '--alter',
        'ADD COLUMN c INT',
        '--status-interval',
        '7',
        '--nice-ratio',
        '0.25',
        '--serve-tcp-port',
        '9001',
        '--ok-to-drop-table',
      ],
      '0.0.0',
      out,
    );
    const config = parseOptions(
      raw,
      { OSC_PASSWORD: 'pw' },
      parseConfFile('[client]\nuser=conf-user\nport=3310\n', 'my.cnf'),
    );
    expect(config).toMatchObject({
      connection: { host: '127.0.0.1', port: 3310, user: 'conf-user', password: 'pw' },
      confFile: 'my.cnf',
      statusIntervalSeconds: 7,
      niceRatio: 0.25,
      serveTcpPort: 9001,
      okToDropTable: true,
      execute: false,
      serveSocketFile: '/tmp/osc.shop.orders.sock',
    });
    expect(Object.keys(config).sort()).toEqual(
      [
        'connection',
        // Connection flags fill `connection` (the --ssl-* ones its `tls`); --ask-pass fills the password.
        ...FLAG_NAMES.map((n) => flagSpec(n).key).filter(
          (k) => !['host', 'port', 'user', 'password', 'askPass', 'sslMode', 'sslCa', 'sslCert', 'sslKey'].includes(k),
        ),
      ].sort(),
    );
  });

  it('names the flag and what it accepts when a value is bad', () => {
    expect(() =>
      parseOptions({ database: 'd', table: 't', alter: 'x', user: 'u', statusInterval: '0' }, {}, null),
    ).toThrow('invalid --status-interval "0": expected an integer from 1 to 3600');
  });
});

describe('the socket from the list', () => {
  it('changes only Tunables fields, with the flag value type (checked by tsc)', () => {
    expectTypeOf<Flags[SettingName]['key']>().toExtend<keyof TunableValues>();
    expectTypeOf<{ [N in SettingName]: FlagValue<N> }>().toExtend<{
      [N in SettingName]: TunableValues[Flags[N]['key']];
    }>();
  });

  it('offers the flags marked settable, named as the flags, with their value placeholders', () => {
    const settings = (Object.keys(COMMANDS) as (keyof typeof COMMANDS)[]).filter((n) => COMMANDS[n].kind === 'setting');
    expect(settings).toEqual(SETTING_NAMES);
    expect(SETTING_NAMES.map((n) => COMMANDS[n].usage)).toEqual([
      'chunk-size=<rows>',
      'chunk-time=<seconds>',
      'threads=<n>',
      'dml-batch-size=<n>',
      'max-lag-millis=<ms>',
      'max-load=<var=n,...>',
      'critical-load=<var=n,...>',
      'nice-ratio=<ratio>',
      'throttle-query=<sql>',
      'throttle-control-replicas=<host:port,...>',
      'postpone-cut-over-flag-file=<path>',
    ]);
  });

  it('checks a set command with the flag range and applies it to the tunable behind the flag', () => {
    expect(parseCommand('max-lag-millis=99')).toEqual({
      kind: 'error',
      message: 'invalid max-lag-millis "99": expected an integer from 100 to 3600000',
    });
    expect(parseCommand('nice-ratio=100.5')).toEqual({
      kind: 'error',
      message: 'invalid nice-ratio "100.5": expected a decimal number from 0 to 100',
    });
    const config = parseOptions(
      { database: 'd', table: 't', alter: 'x', user: 'u', maxLoad: 'Threads_running=25' },
      {},
      null,
    );
    const tunables = createTunables(initialTunables(config));
    const command = parseCommand('max-lag-millis=2500') as SetCommand;
    expect(command).toEqual({ kind: 'set', name: 'max-lag-millis', value: 2500 });
    applySetting(tunables, command);
    expect(renderTunables(tunables.current())).toBe(
      [
        'chunk-size=',
        'chunk-time=0.5',
        'threads=',
        'dml-batch-size=1000',
        'max-lag-millis=2500',
        'max-load=Threads_running=25',
        'critical-load=',
        'nice-ratio=0',
        'throttle-query=',
        'throttle-control-replicas=',
        'postpone-cut-over-flag-file=',
        'throttled-by-user=false',
        'cut-over-released=false',
        '',
      ].join('\n'),
    );
  });

  it('accepts on the socket what the flag accepts, where the socket has no parser of its own', () => {
    const samples: Partial<Record<FlagName, string>> = {
      'chunk-time': '0.5',
      'dml-batch-size': '100',
      'max-lag-millis': '100',
      'max-load': 'Threads_running=5',
      'critical-load': 'Threads_running=9',
      'nice-ratio': '.5',
      'throttle-control-replicas': 'r1,r2:3307',
    };
    for (const name of SETTING_NAMES) {
      const sample = samples[name];
      if (sample === undefined) {
        expect(FLAGS[name].socket, name).toHaveProperty('parse');
        continue;
      }
      const flag = flagSpec(name).parse(sample);
      expect(flag.ok, name).toBe(true);
      expect(parseCommand(`${name}=${sample}`)).toEqual({ kind: 'set', name, value: flag.ok ? flag.value : null });
    }
  });
});
