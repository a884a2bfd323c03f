// A run of osc in a child process (osc-pausing-child.ts) that a test can kill at a moment of its choosing.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./osc-pausing-child.ts', import.meta.url));

export interface ChildRun {
  readonly child: ChildProcess;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code, or the signal that ended it. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<number | NodeJS.Signals>;
}

/** `argv` as oscArgv builds it (its first two entries, node and osc, are dropped). */
export function spawnOsc(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...argv.slice(2)], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (t: string) => {
    stderr += t;
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  );
  return {
    child,
    stderr: () => stderr,
    exited,
    async kill() {
      child.kill('SIGKILL');
      return exited;
    },
  };
}
