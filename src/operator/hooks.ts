// Hooks (gh-ost's, with our prefix): in --hooks-path DIR every executable file whose name starts with a hook's name
// runs, in name order, with the migration's facts in OSC_* environment variables. A failing hook that guards a step
// (`before-*`, startup, validated) stops the migration; any other failing hook is a warning.
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationError, OscError } from '../core/errors.js';
import { progressFigures, type ProgressSnapshot } from '../core/progress.js';
import type { Logger } from '../core/log.js';

export const HOOK_NAMES = [
  'osc-on-startup',
  'osc-on-validated',
  'osc-on-rowcount-complete',
  'osc-on-before-row-copy',
  'osc-on-row-copy-complete',
  'osc-on-begin-postponed',
  'osc-on-before-cut-over',
  'osc-on-success',
  'osc-on-failure',
  'osc-on-status',
  'osc-on-interactive-command',
] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** Whether a failure of this hook stops the migration (true) or is only logged (false). */
export const HOOK_IS_GATE: Readonly<Record<HookName, boolean>> = {
  'osc-on-startup': true,
  'osc-on-validated': true,
  'osc-on-rowcount-complete': false,
  'osc-on-before-row-copy': true,
  'osc-on-row-copy-complete': false,
  'osc-on-begin-postponed': false,
  'osc-on-before-cut-over': true,
  'osc-on-success': false,
  'osc-on-failure': false,
  'osc-on-status': false,
  'osc-on-interactive-command': false,
};

/** The live facts a hook sees. Never the password. */
export interface HookFacts {
  readonly database: string;
  readonly table: string;
  readonly ghostTable: string;
  readonly oldTable: string;
  /** The ALTER as given. */
  readonly ddl: string;
  readonly elapsedSeconds: number;
  readonly elapsedCopySeconds: number;
  readonly estimatedRows: number;
  readonly copiedRows: number;
  /** host:port of the server osc reads and writes. */
  readonly inspectedHost: string;
  /** The machine osc runs on. */
  readonly executingHost: string;
  readonly dryRun: boolean;
  /** 0..100, one decimal. */
  readonly progressPercent: number;
  /** null while unknown. */
  readonly etaSeconds: number | null;
  readonly hint?: string;
  readonly hintOwner?: string;
  readonly hintToken?: string;
  readonly revert?: boolean;
}

/** What stays the same for the whole run; hookFacts adds the live figures. */
export type HookFixedFacts = Pick<
  HookFacts,
  | 'database'
  | 'table'
  | 'ghostTable'
  | 'oldTable'
  | 'ddl'
  | 'inspectedHost'
  | 'executingHost'
  | 'dryRun'
  | 'hint'
  | 'hintOwner'
  | 'hintToken'
  | 'revert'
>;

/** The facts from the run's fixed ones and the current ProgressSnapshot. */
export function hookFacts(fixed: HookFixedFacts, s: ProgressSnapshot): HookFacts {
  const f = progressFigures(s);
  return {
    ...fixed,
    elapsedSeconds: s.elapsedSeconds,
    elapsedCopySeconds: s.copySeconds,
    estimatedRows: s.rowsEstimated,
    copiedRows: s.rowsCopied,
    progressPercent: f.percent,
    etaSeconds: f.eta,
  };
}

/**
 * The OSC_* variables for one hook run (pure). Seconds are whole numbers so a shell can do arithmetic on them;
 * an unknown ETA is empty. `extra` (OSC_COMMAND, OSC_STATUS, OSC_FAILURE_REASON, OSC_ERROR_CODE) comes last.
 */
export function hookEnvironment(f: HookFacts, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const whole = (n: number): string => String(Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);
  const env: Record<string, string> = {
    OSC_DATABASE_NAME: f.database,
    OSC_TABLE_NAME: f.table,
    OSC_GHOST_TABLE_NAME: f.ghostTable,
    OSC_OLD_TABLE_NAME: f.oldTable,
    OSC_DDL: f.ddl,
    OSC_ELAPSED_SECONDS: whole(f.elapsedSeconds),
    OSC_ELAPSED_COPY_SECONDS: whole(f.elapsedCopySeconds),
    OSC_ESTIMATED_ROWS: String(f.estimatedRows),
    OSC_COPIED_ROWS: String(f.copiedRows),
    OSC_INSPECTED_HOST: f.inspectedHost,
    OSC_EXECUTING_HOST: f.executingHost,
    OSC_HOOKS_HINT: f.hint ?? '',
    OSC_HOOKS_HINT_OWNER: f.hintOwner ?? '',
    OSC_HOOKS_HINT_TOKEN: f.hintToken ?? '',
    OSC_DRY_RUN: String(f.dryRun),
    OSC_PROGRESS: f.progressPercent.toFixed(1),
    OSC_ETA_SECONDS: f.etaSeconds === null ? '' : whole(f.etaSeconds),
  };
  if (f.revert !== undefined) env.OSC_REVERT = String(f.revert);
  for (const [k, v] of Object.entries(extra)) {
    if (!/^OSC_[A-Z0-9_]+$/.test(k)) throw new OscError('INTERNAL', `hook variable ${k} must be named OSC_*`);
    env[k] = v;
  }
  return env;
}

/** The files that run for `name`, in name order (byte order, as gh-ost's glob sorts). Pure. */
export function selectHookFiles(name: HookName, files: readonly string[]): string[] {
  return files.filter((f) => f.startsWith(name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Inherited variables a hook must never see: our password, and stale OSC_* facts from a parent. */
function inheritedEnv(base: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined || k.startsWith('OSC_') || k === 'MYSQL_PWD') continue;
    out[k] = v;
  }
  return out;
}

export interface HooksOptions {
  readonly hooksPath: string | null;
  readonly facts: () => HookFacts;
  readonly logger: Logger;
  /** A hook still running after this long is killed and counts as failed. Default 60 s. */
  readonly timeoutMs?: number;
  /** The environment hooks inherit (minus OSC_* and MYSQL_PWD). Default process.env. */
  readonly baseEnv?: NodeJS.ProcessEnv;
}

export interface Hooks {
  /**
   * Runs every hook file for `name` in order. For a gate hook (startup, validated, before-row-copy,
   * before-cut-over) a failure throws MigrationError('HOOK_FAILED') and the later files do not run; for the others
   * it is logged as a warning, the remaining files still run, and run() resolves.
   */
  run(name: HookName, extra?: Readonly<Record<string, string>>): Promise<void>;
  /** Runs osc-on-status every intervalSeconds with OSC_STATUS = status(); never two at once. */
  startStatusHook(intervalSeconds: number, status: () => string): { stop(): void };
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** After SIGTERM, a hook gets this long before SIGKILL. */
const KILL_GRACE_MS = 2_000;

interface HookOutcome {
  readonly ok: boolean;
  /** `exit code 3`, `killed after 60000 ms timeout`, `could not start: ...` */
  readonly detail: string;
}

export function createHooks(opts: HooksOptions): Hooks {
  const { hooksPath, logger } = opts;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const skippedNotExecutable = new Set<string>();

  // Read again on every run, as gh-ost globs each time: a hook dropped in mid-run is picked up.
  async function listFiles(name: HookName): Promise<string[]> {
    if (hooksPath === null) return [];
    const names = selectHookFiles(name, await readdir(hooksPath));
    const runnable: string[] = [];
    for (const file of names) {
      const path = join(hooksPath, file);
      const st = await stat(path).catch(() => null);
      if (st === null || !st.isFile()) continue;
      try {
        await access(path, fsConstants.X_OK);
        runnable.push(path);
      } catch {
        // chmod -x is the usual way to switch a hook off: say so once, not on every status tick.
        if (!skippedNotExecutable.has(path))
          logger.warn('hook_skipped', { hook: name, file: path, reason: 'not executable' });
        skippedNotExecutable.add(path);
      }
    }
    return runnable;
  }

  function execute(name: HookName, path: string, env: Record<string, string>): Promise<HookOutcome> {
    return new Promise((resolve) => {
      const started = Date.now();
      // Own process group, so a timeout kills the hook's children too (a shell's `sleep` would keep the pipes open).
      const child = spawn(path, [], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let timedOut = false;
      const killGroup = (sig: NodeJS.Signals): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, sig);
        } catch {
          // Already gone.
        }
      };
      let killTimer: NodeJS.Timeout | null = null;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      }, timeoutMs);
      // Hook output goes to the log (stderr), one line each, never to stdout.
      const pipeLines = (stream: NodeJS.ReadableStream, which: 'stdout' | 'stderr'): void => {
        let pending = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) logger.info('hook_output', { hook: name, stream: which, line });
        });
        stream.on('end', () => {
          if (pending !== '') logger.info('hook_output', { hook: name, stream: which, line: pending });
        });
      };
      pipeLines(child.stdout, 'stdout');
      pipeLines(child.stderr, 'stderr');
      let settled = false;
      const finish = (o: HookOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        logger.info('hook_done', { hook: name, file: path, ok: o.ok, result: o.detail, ms: Date.now() - started });
        resolve(o);
      };
      child.on('error', (err) => finish({ ok: false, detail: `could not start: ${err.message}` }));
      child.on('close', (code, sig) => {
        if (timedOut) finish({ ok: false, detail: `killed after ${timeoutMs} ms timeout` });
        else if (code === 0) finish({ ok: true, detail: 'exit code 0' });
        else finish({ ok: false, detail: code !== null ? `exit code ${code}` : `killed by ${sig ?? 'signal'}` });
      });
    });
  }

  async function run(name: HookName, extra: Readonly<Record<string, string>> = {}): Promise<void> {
    if (hooksPath === null) return;
    const gate = HOOK_IS_GATE[name];
    let files: string[];
    try {
      files = await listFiles(name);
    } catch (err) {
      // A --hooks-path that cannot be read must not silently skip a guard the operator relies on.
      const message = `hooks directory ${hooksPath} cannot be read: ${err instanceof Error ? err.message : String(err)}`;
      if (gate) throw new MigrationError('HOOK_FAILED', `${name}: ${message}; the migration stops`, { cause: err });
      logger.warn('hook_failed', { hook: name, reason: message });
      return;
    }
    if (files.length === 0) return;
    const env = { ...inheritedEnv(opts.baseEnv ?? process.env), ...hookEnvironment(opts.facts(), extra) };
    for (const path of files) {
      logger.info('hook', { hook: name, file: path });
      const outcome = await execute(name, path, env);
      if (outcome.ok) continue;
      if (gate)
        throw new MigrationError(
          'HOOK_FAILED',
          `hook ${name} (${path}) failed: ${outcome.detail}; the migration stops`,
        );
      logger.warn('hook_failed', { hook: name, file: path, reason: outcome.detail });
    }
  }

  function startStatusHook(intervalSeconds: number, status: () => string): { stop(): void } {
    if (hooksPath === null || !(intervalSeconds > 0)) return { stop() {} };
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      // on-status is not a gate: run() does not throw for it; a failing status() is logged the same way.
      void Promise.resolve()
        .then(() => run('osc-on-status', { OSC_STATUS: status() }))
        .catch((err: unknown) =>
          logger.warn('hook_failed', {
            hook: 'osc-on-status',
            reason: err instanceof Error ? err.message : String(err),
          }),
        )
        .finally(() => (running = false));
    }, intervalSeconds * 1000);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  return { run, startStatusHook };
}
