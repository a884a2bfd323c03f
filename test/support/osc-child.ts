// Runs the osc CLI as a child process (bin/osc.ts through tsx), as an operator's shell would: signals reach it
// as real signals (SIGTERM, SIGINT), and its exit code is the process's own.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { OscRun } from './run-osc.js';

const BIN = fileURLToPath(new URL('../../bin/osc.ts', import.meta.url));
const PAUSING = fileURLToPath(new URL('./osc-pausing-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface OscChild {
  readonly pid: number;
  /** Settles when the process has exited; code is its exit status (128 + n when a signal ended it). */
  readonly done: Promise<OscRun>;
  kill(signal: NodeJS.Signals): void;
}

export interface ChildOptions {
  readonly onStderr?: (text: string) => void;
  /** Ended with SIGKILL after this long (a hung child must not outlive the test). */
  readonly timeoutMs?: number;
  /** A cut-over step osc stops after until it gets a signal (osc-pausing-child.ts runs instead of bin/osc.ts). */
  readonly pauseAt?: string;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** `argv` as for runOsc (['node', 'osc', ...flags]). */
export function spawnOsc(argv: readonly string[], opts: ChildOptions = {}): OscChild {
  const started = Date.now();
  // The environment without a password: only the flags given here reach the child.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/',
    ...(opts.pauseAt === undefined ? {} : { OSC_TEST_PAUSE_AT: opts.pauseAt }),
  };
  const script = opts.pauseAt === undefined ? BIN : PAUSING;
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...argv.slice(2)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => {
    stderr += t;
    opts.onStderr?.(t);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 150_000);
  const done = new Promise<OscRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const status = code ?? 128 + (signal === null ? 0 : (SIGNAL_NUMBERS[signal] ?? 0));
      resolve({ code: status, stdout, stderr, ms: Date.now() - started });
    });
  });
  if (child.pid === undefined) throw new Error('could not start the osc child process');
  return { pid: child.pid, done, kill: (signal) => void child.kill(signal) };
}
