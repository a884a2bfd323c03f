import { beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/main.js';
import { MigrationError, PreflightError } from '../../src/core/errors.js';
import type { MigrationConfig } from '../../src/core/config.js';

const runMigration = vi.hoisted(() => vi.fn());
vi.mock('../../src/migration.js', () => ({ runMigration }));

const BASE = ['node', 'osc', '--user', 'osc', '--database', 'shop', '--table', 'orders', '--alter', 'ADD COLUMN c INT'];

interface Captured {
  stdout: string;
  stderr: string;
  io: Partial<CliIO>;
}

function capture(extra: Partial<CliIO> = {}): Captured {
  const c: Captured = { stdout: '', stderr: '', io: {} };
  c.io = {
    stdout: (t) => void (c.stdout += t),
    stderr: (t) => void (c.stderr += t),
    env: {},
    signal: new AbortController().signal,
    readFile: () => {
      throw new Error('no file in this test');
    },
    ...extra,
  };
  return c;
}

/** Log lines start with an ISO timestamp; drop it for exact comparisons. */
function untimed(text: string): string {
  return text.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /gm, '');
}

beforeEach(() => {
  runMigration.mockReset();
});

describe('main exit codes', () => {
  it('0 and the summary on stdout after a migration', async () => {
    runMigration.mockResolvedValue({ outcome: 'migrated', summary: 'migrated shop.orders' });
    const c = capture();
    expect(await main([...BASE, '--execute'], c.io)).toBe(0);
    expect(c.stdout).toBe('migrated shop.orders\n');
    expect(c.stderr).toBe('');
    const [config, deps] = runMigration.mock.calls[0] as [MigrationConfig, { signal: AbortSignal }];
    expect(config.execute).toBe(true);
    expect(config.table).toBe('orders');
    expect(deps.signal).toBe(c.io.signal);
  });

  it('0 for a clean noop', async () => {
    runMigration.mockResolvedValue({ outcome: 'noop', summary: 'plan: ...\n' });
    const c = capture();
    expect(await main(BASE, c.io)).toBe(0);
    expect(c.stdout).toBe('plan: ...\n');
    expect((runMigration.mock.calls[0] as [MigrationConfig])[0].execute).toBe(false);
  });

  it('2 for a refused preflight, logged once and printed plainly', async () => {
    runMigration.mockRejectedValue(new PreflightError('TABLE_NOT_FOUND', 'table shop.orders does not exist'));
    const c = capture();
    expect(await main(BASE, c.io)).toBe(2);
    expect(c.stdout).toBe('');
    expect(untimed(c.stderr)).toBe(
      'ERROR error code=TABLE_NOT_FOUND message="table shop.orders does not exist"\nosc: table shop.orders does not exist\n',
    );
  });

  it('1 for a migration that failed', async () => {
    runMigration.mockRejectedValue(
      new MigrationError('COPY_FAILED', 'chunk 3 failed', { cause: new Error('Deadlock found') }),
    );
    const c = capture();
    expect(await main(BASE, c.io)).toBe(1);
    expect(untimed(c.stderr)).toBe('ERROR error code=COPY_FAILED message="chunk 3 failed"\nosc: chunk 3 failed\n');
  });

  it('1 for any other error, with the cause chain when --verbose', async () => {
    const err = new Error('boom', { cause: new Error('middle', { cause: 'root' }) });
    runMigration.mockRejectedValue(err);
    const c = capture();
    expect(await main([...BASE, '--verbose'], c.io)).toBe(1);
    expect(untimed(c.stderr)).toBe(
      'ERROR error code=INTERNAL message=boom cause="middle <- root"\nosc: boom\n  caused by: middle\n  caused by: root\n',
    );
  });

  it('logs errors as JSON with --log-format json', async () => {
    runMigration.mockRejectedValue(new MigrationError('ABORTED', 'interrupted by SIGINT'));
    const c = capture();
    expect(await main([...BASE, '--log-format', 'json'], c.io)).toBe(1);
    const [line, plain] = c.stderr.split('\n');
    expect(JSON.parse(line ?? '')).toMatchObject({
      level: 'error',
      event: 'error',
      code: 'ABORTED',
      message: 'interrupted by SIGINT',
    });
    expect(plain).toBe('osc: interrupted by SIGINT');
  });

  it('never prints the password, even when an error echoes it', async () => {
    runMigration.mockRejectedValue(
      new PreflightError('ACCESS_DENIED', 'login failed with s3cret-pw', { cause: new Error('s3cret-pw') }),
    );
    const c = capture({ env: { OSC_PASSWORD: 's3cret-pw' } });
    expect(await main([...BASE, '--verbose'], c.io)).toBe(2);
    expect(c.stderr).not.toContain('s3cret-pw');
    expect(c.stderr).toContain('osc: login failed with ***\n  caused by: ***\n');
    expect((runMigration.mock.calls[0] as [MigrationConfig])[0].connection.password).toBe('s3cret-pw');
  });
});

describe('main usage errors', () => {
  it('2 for an unknown flag, with commander message and the hint', async () => {
    const c = capture();
    expect(await main([...BASE, '--chunksize', '10'], c.io)).toBe(2);
    expect(c.stderr).toBe("error: unknown option '--chunksize'\n(Did you mean --chunk-size?)\nsee osc --help\n");
    expect(runMigration).not.toHaveBeenCalled();
  });

  it('2 for a flag without its value', async () => {
    const c = capture();
    expect(await main([...BASE, '--table'], c.io)).toBe(2);
    expect(c.stderr).toBe("error: option '--table <name>' argument missing\nsee osc --help\n");
  });

  it('2 for a stray argument', async () => {
    const c = capture();
    expect(await main([...BASE, 'orders'], c.io)).toBe(2);
    expect(c.stderr).toBe('error: too many arguments. Expected 0 arguments but got 1.\nsee osc --help\n');
  });

  it('2 for a bad value, naming it, and nothing run', async () => {
    const c = capture();
    expect(await main([...BASE, '--chunk-size', '5'], c.io)).toBe(2);
    expect(untimed(c.stderr)).toBe(
      'ERROR error code=BAD_USAGE message="invalid --chunk-size \\"5\\": expected an integer from 10 to 100000"\n' +
        'osc: invalid --chunk-size "5": expected an integer from 10 to 100000\nsee osc --help\n',
    );
    expect(runMigration).not.toHaveBeenCalled();
  });

  it('2 for missing required flags', async () => {
    const c = capture();
    expect(await main(['node', 'osc'], c.io)).toBe(2);
    expect(c.stderr).toContain(
      'osc: missing required --database, --table, --alter, --user (or user= in the [client] section of --conf)\nsee osc --help\n',
    );
  });

  it('2 for an unreadable --conf file', async () => {
    const c = capture();
    expect(await main([...BASE, '--conf', '/nope.cnf'], c.io)).toBe(2);
    expect(c.stderr).toContain('osc: cannot read --conf /nope.cnf: no file in this test\nsee osc --help\n');
  });

  it('reads user and password from --conf', async () => {
    runMigration.mockResolvedValue({ outcome: 'noop', summary: 'ok' });
    const c = capture({ readFile: (p) => (p === 'my.cnf' ? '[client]\nuser = confuser\npassword = "conf pw"\n' : '') });
    expect(
      await main(
        ['node', 'osc', '--conf', 'my.cnf', '--database', 'd', '--table', 't', '--alter', 'ENGINE=InnoDB'],
        c.io,
      ),
    ).toBe(0);
    const config = (runMigration.mock.calls[0] as [MigrationConfig])[0];
    expect(config.connection).toEqual({ host: '127.0.0.1', port: 3306, user: 'confuser', password: 'conf pw' });
    expect(config.confFile).toBe('my.cnf');
  });
});

describe('main --help and --version', () => {
  it('--help exits 0 and lists every flag with its default', async () => {
    const c = capture();
    expect(await main(['node', 'osc', '--help'], c.io)).toBe(0);
    expect(c.stderr).toBe('');
    const help = c.stdout.replace(/\s+/g, ' ');
    for (const flag of [
      '--host <host>',
      '--port <port>',
      '--user <user>',
      '--password <password>',
      '--conf <file>',
      '--database <name>',
      '--table <name>',
      '--alter <statement>',
      '--execute',
      '--chunk-size <rows>',
      '--cut-over-lock-timeout-seconds <seconds>',
      '--default-retries <n>',
      '--replica-server-id <id>',
      '--initially-drop-ghost-table',
      '--initially-drop-old-table',
      '--ok-to-drop-table',
      '--approve-renamed-columns',
      '--exact-rowcount',
      '--verbose',
      '--log-format <format>',
      '--status-interval <seconds>',
      '--heartbeat-interval-millis <ms>',
      '--version',
      '--help',
    ]) {
      expect(help).toContain(flag);
    }
    for (const def of [
      '(default: 127.0.0.1)',
      '(default: 3306)',
      '(default: 1000)',
      '(default: 3)',
      '(default: 60)',
      '(default: 99999)',
      '(default: text)',
      '(default: 5)',
      '(default: 100)',
      'OSC_PASSWORD',
    ]) {
      expect(help).toContain(def);
    }
    expect(runMigration).not.toHaveBeenCalled();
  });

  it('--version prints the package version', async () => {
    const c = capture();
    expect(await main(['node', 'osc', '--version'], c.io)).toBe(0);
    expect(c.stdout).toBe('0.1.0\n');
  });
});

describe('main signals', () => {
  it('aborts on SIGINT, ignores a second one, and removes its listeners afterwards', async () => {
    const before = process.listenerCount('SIGINT');
    const beforeTerm = process.listenerCount('SIGTERM');
    let seen: AbortSignal | undefined;
    runMigration.mockImplementation(
      (_config: MigrationConfig, deps: { signal: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          seen = deps.signal;
          deps.signal.addEventListener('abort', () => {
            // Cleanup takes a while; a second signal must not change anything.
            process.emit('SIGINT', 'SIGINT');
            setTimeout(
              () => reject(deps.signal.reason instanceof Error ? deps.signal.reason : new Error('aborted')),
              10,
            );
          });
        }),
    );
    const c = capture();
    delete c.io.signal;
    const done = main(BASE, c.io);
    await vi.waitFor(() => expect(seen).toBeDefined());
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    process.emit('SIGINT', 'SIGINT');
    expect(await done).toBe(1);
    expect(process.listenerCount('SIGINT')).toBe(before);
    expect(process.listenerCount('SIGTERM')).toBe(beforeTerm);
    expect(untimed(c.stderr)).toBe(
      'WARN  signal signal=SIGINT action="stopping; cleaning up"\n' +
        'WARN  signal signal=SIGINT action="already stopping; waiting for cleanup"\n' +
        'ERROR error code=ABORTED message="interrupted by SIGINT"\n' +
        'osc: interrupted by SIGINT\n',
    );
  });
});
