import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MigrationError } from '../../src/core/errors.js';
import type { ProgressSnapshot } from '../../src/core/progress.js';
import {
  HOOK_IS_GATE,
  HOOK_NAMES,
  createHooks,
  hookEnvironment,
  hookFacts,
  selectHookFiles,
} from '../../src/operator/hooks.js';
import type { HookFacts } from '../../src/operator/hooks.js';
import type { LogBody, Logger } from '../../src/core/log.js';

const facts: HookFacts = {
  database: 'shop',
  table: 'orders',
  ghostTable: '_orders_gho',
  oldTable: '_orders_del',
  ddl: 'ADD COLUMN note VARCHAR(20)',
  elapsedSeconds: 12.9,
  elapsedCopySeconds: 10.2,
  estimatedRows: 200000,
  copiedRows: 85000,
  inspectedHost: '127.0.0.1:3316',
  executingHost: 'runner-1',
  dryRun: false,
  progressPercent: 42.5,
  etaSeconds: 13.6,
};

describe('hook environment (pure)', () => {
  it('renders every fact as an OSC_* variable, whole seconds, extras last', () => {
    expect(hookEnvironment(facts, { OSC_COMMAND: 'throttle' })).toEqual({
      OSC_DATABASE_NAME: 'shop',
      OSC_TABLE_NAME: 'orders',
      OSC_GHOST_TABLE_NAME: '_orders_gho',
      OSC_OLD_TABLE_NAME: '_orders_del',
      OSC_DDL: 'ADD COLUMN note VARCHAR(20)',
      OSC_ELAPSED_SECONDS: '12',
      OSC_ELAPSED_COPY_SECONDS: '10',
      OSC_ESTIMATED_ROWS: '200000',
      OSC_COPIED_ROWS: '85000',
      OSC_INSPECTED_HOST: '127.0.0.1:3316',
      OSC_EXECUTING_HOST: 'runner-1',
      OSC_HOOKS_HINT: '',
      OSC_HOOKS_HINT_OWNER: '',
      OSC_HOOKS_HINT_TOKEN: '',
      OSC_DRY_RUN: 'false',
      OSC_PROGRESS: '42.5',
      OSC_ETA_SECONDS: '13',
      OSC_COMMAND: 'throttle',
    });
  });
  it('gives hints and revert when set, an empty ETA while unknown', () => {
    const env = hookEnvironment({
      ...facts,
      etaSeconds: null,
      hint: 'ticket 42',
      hintOwner: 'dba',
      hintToken: 't0k',
      revert: false,
      dryRun: true,
    });
    expect([
      env.OSC_ETA_SECONDS,
      env.OSC_HOOKS_HINT,
      env.OSC_HOOKS_HINT_OWNER,
      env.OSC_HOOKS_HINT_TOKEN,
      env.OSC_REVERT,
      env.OSC_DRY_RUN,
    ]).toEqual(['', 'ticket 42', 'dba', 't0k', 'false', 'true']);
    expect(Object.keys(hookEnvironment(facts))).not.toContain('OSC_REVERT');
  });
  it('refuses an extra variable outside OSC_*', () => {
    expect(() => hookEnvironment(facts, { PATH: '/evil' })).toThrow('hook variable PATH must be named OSC_*');
  });
  it('derives the live facts from a ProgressSnapshot', () => {
    const snap: ProgressSnapshot = {
      phase: 'copy',
      database: 'shop',
      table: 'orders',
      rowsCopied: 12000,
      rowsEstimated: 200000,
      elapsedSeconds: 7,
      copySeconds: 5,
      eventsApplied: 0,
      backlog: 0,
      binlogPosition: null,
      heartbeatLagSeconds: null,
      throttleReason: null,
      cutOverAttempts: 0,
      eventsByKind: { insert: 0, update: 0, delete: 0 },
      replicaLags: [],
      chunkSize: 1000,
      cutOverLockMs: null,
      checksum: null,
    };
    const fixed = {
      database: 'shop',
      table: 'orders',
      ghostTable: '_orders_gho',
      oldTable: '_orders_del',
      ddl: 'x',
      inspectedHost: 'h:1',
      executingHost: 'e',
      dryRun: false,
    };
    expect(hookFacts(fixed, snap)).toEqual({
      ...fixed,
      elapsedSeconds: 7,
      elapsedCopySeconds: 5,
      estimatedRows: 200000,
      copiedRows: 12000,
      progressPercent: 6,
      etaSeconds: 78,
    });
  });
  it('selects files by prefix in byte order', () => {
    expect(
      selectHookFiles('osc-on-startup', [
        'osc-on-startup-b',
        'osc-on-success',
        'osc-on-startup',
        'osc-on-startup-B',
        'x-osc-on-startup',
        'osc-on-startup-a.sh',
      ]),
    ).toEqual(['osc-on-startup', 'osc-on-startup-B', 'osc-on-startup-a.sh', 'osc-on-startup-b']);
  });
  it('stops the migration only for the gate hooks', () => {
    expect(HOOK_NAMES.filter((n) => HOOK_IS_GATE[n])).toEqual([
      'osc-on-startup',
      'osc-on-validated',
      'osc-on-before-row-copy',
      'osc-on-before-cut-over',
    ]);
  });
});

interface Recorded {
  readonly level: string;
  readonly event: string;
  readonly fields: LogBody | undefined;
}

function recordingLogger(): { logger: Logger; records: Recorded[] } {
  const records: Recorded[] = [];
  const at = (level: string) => (event: string, fields?: LogBody) => void records.push({ level, event, fields });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, records };
}

describe('createHooks (runs scripts)', () => {
  let dir: string;
  let out: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'osc-hooks-'));
    out = join(dir, 'out.log');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function script(name: string, body: string, mode = 0o755): void {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), mode);
  }
  const appendLine = `echo "$(basename "$0") $OSC_TABLE_NAME $OSC_COPIED_ROWS" >> "${'$'}{OUT}"`;
  const baseEnv = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    OUT: out,
    OSC_PASSWORD: 'secret',
    MYSQL_PWD: 'secret',
    OSC_TABLE_NAME: 'stale',
  });

  it('runs every executable file of the hook, in name order, with the facts; skips others', async () => {
    script('osc-on-startup-20', appendLine);
    script('osc-on-startup-10', appendLine);
    script('osc-on-startup', appendLine);
    script('osc-on-startup-off', appendLine, 0o644);
    script('osc-on-success', appendLine);
    mkdirSync(join(dir, 'osc-on-startup.d'));
    const { logger, records } = recordingLogger();
    const hooks = createHooks({ hooksPath: dir, facts: () => facts, logger, baseEnv: baseEnv() });
    await hooks.run('osc-on-startup');
    await hooks.run('osc-on-startup');
    expect(readFileSync(out, 'utf8')).toBe(
      [
        'osc-on-startup',
        'osc-on-startup-10',
        'osc-on-startup-20',
        'osc-on-startup',
        'osc-on-startup-10',
        'osc-on-startup-20',
      ]
        .map((n) => `${n} orders 85000\n`)
        .join(''),
    );
    // The switched-off hook is reported once, not on every run.
    expect(records.filter((r) => r.level === 'warn')).toEqual([
      {
        level: 'warn',
        event: 'hook_skipped',
        fields: { hook: 'osc-on-startup', file: join(dir, 'osc-on-startup-off'), reason: 'not executable' },
      },
    ]);
  });

  it('passes the live facts and extras, never the password', async () => {
    script(
      'osc-on-interactive-command',
      'env | grep -E "^(OSC_|MYSQL_PWD|PATH=)" | sed "s/^PATH=.*/PATH=set/" | sort > "$OUT"',
    );
    let copied = 1;
    const { logger } = recordingLogger();
    const hooks = createHooks({
      hooksPath: dir,
      facts: () => ({ ...facts, copiedRows: copied }),
      logger,
      baseEnv: baseEnv(),
    });
    copied = 777;
    await hooks.run('osc-on-interactive-command', { OSC_COMMAND: 'chunk-size=500' });
    expect(readFileSync(out, 'utf8')).toBe(
      [
        'OSC_COMMAND=chunk-size=500',
        'OSC_COPIED_ROWS=777',
        'OSC_DATABASE_NAME=shop',
        'OSC_DDL=ADD COLUMN note VARCHAR(20)',
        'OSC_DRY_RUN=false',
        'OSC_ELAPSED_COPY_SECONDS=10',
        'OSC_ELAPSED_SECONDS=12',
        'OSC_ESTIMATED_ROWS=200000',
        'OSC_ETA_SECONDS=13',
        'OSC_EXECUTING_HOST=runner-1',
        'OSC_GHOST_TABLE_NAME=_orders_gho',
        'OSC_HOOKS_HINT=',
        'OSC_HOOKS_HINT_OWNER=',
        'OSC_HOOKS_HINT_TOKEN=',
        'OSC_INSPECTED_HOST=127.0.0.1:3316',
        'OSC_OLD_TABLE_NAME=_orders_del',
        'OSC_PROGRESS=42.5',
        'OSC_TABLE_NAME=orders',
        'PATH=set',
        '',
      ].join('\n'),
    );
  });

  it('a failing gate hook throws HOOK_FAILED naming the hook and exit code; later files do not run', async () => {
    script('osc-on-before-cut-over-1', `${appendLine}\nexit 3`);
    script('osc-on-before-cut-over-2', appendLine);
    const { logger } = recordingLogger();
    const hooks = createHooks({ hooksPath: dir, facts: () => facts, logger, baseEnv: baseEnv() });
    const err = await hooks.run('osc-on-before-cut-over').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as MigrationError).code).toBe('HOOK_FAILED');
    expect((err as MigrationError).message).toBe(
      `hook osc-on-before-cut-over (${join(dir, 'osc-on-before-cut-over-1')}) failed: exit code 3; the migration stops`,
    );
    expect(readFileSync(out, 'utf8')).toBe('osc-on-before-cut-over-1 orders 85000\n');
  });

  it('a failing non-gate hook is a warning; the next file still runs', async () => {
    script('osc-on-success-1', 'exit 7');
    script('osc-on-success-2', appendLine);
    const { logger, records } = recordingLogger();
    const hooks = createHooks({ hooksPath: dir, facts: () => facts, logger, baseEnv: baseEnv() });
    await hooks.run('osc-on-success');
    expect(readFileSync(out, 'utf8')).toBe('osc-on-success-2 orders 85000\n');
    expect(records.filter((r) => r.level === 'warn')).toEqual([
      {
        level: 'warn',
        event: 'hook_failed',
        fields: { hook: 'osc-on-success', file: join(dir, 'osc-on-success-1'), reason: 'exit code 7' },
      },
    ]);
  });

  it('a hook past its timeout is killed with its children and fails', async () => {
    script('osc-on-before-row-copy', 'sleep 30; echo late >> "$OUT"');
    const { logger } = recordingLogger();
    const hooks = createHooks({ hooksPath: dir, facts: () => facts, logger, baseEnv: baseEnv(), timeoutMs: 300 });
    const started = Date.now();
    await expect(hooks.run('osc-on-before-row-copy')).rejects.toThrow(
      /failed: killed after 300 ms timeout; the migration stops$/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("sends the hook's output to the log line by line, not to stdout", async () => {
    script('osc-on-validated', 'echo one; echo two >&2; printf three');
    const { logger, records } = recordingLogger();
    const hooks = createHooks({ hooksPath: dir, facts: () => facts, logger, baseEnv: baseEnv() });
    await hooks.run('osc-on-validated');
    const lines = records.filter((r) => r.event === 'hook_output').map((r) => r.fields);
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(
      expect.arrayContaining([
        { hook: 'osc-on-validated', stream: 'stdout', line: 'one' },
        { hook: 'osc-on-validated', stream: 'stderr', line: 'two' },
        { hook: 'osc-on-validated', stream: 'stdout', line: 'three' },
      ]),
    );
  });

  it('does nothing without --hooks-path; an unreadable one fails gate hooks and warns otherwise', async () => {
    const { logger, records } = recordingLogger();
    await createHooks({ hooksPath: null, facts: () => facts, logger }).run('osc-on-startup');
    const missing = createHooks({ hooksPath: join(dir, 'nope'), facts: () => facts, logger, baseEnv: baseEnv() });
    await expect(missing.run('osc-on-startup')).rejects.toMatchObject({ code: 'HOOK_FAILED' });
    await missing.run('osc-on-status');
    expect(records.map((r) => `${r.level} ${r.event}`)).toEqual(['warn hook_failed']);
  });

  it('runs osc-on-status on an interval with OSC_STATUS until stopped', async () => {
    script('osc-on-status', 'echo "$OSC_STATUS" >> "$OUT"');
    const { logger } = recordingLogger();
    const hooks = createHooks({ hooksPath: dir, facts: () => facts, logger, baseEnv: baseEnv() });
    let n = 0;
    const status = hooks.startStatusHook(0.05, () => `phase=copy n=${++n}`);
    await vi.waitFor(() => expect(readFileSync(out, 'utf8')).toContain('phase=copy n=2\n'), {
      timeout: 5000,
      interval: 20,
    });
    status.stop();
    expect(readFileSync(out, 'utf8').startsWith('phase=copy n=1\nphase=copy n=2\n')).toBe(true);
  });
});
