// npm run soak [-- options]: the randomized migration test (test/integration/random-dml.test.ts) over many seeds,
// against the sandbox like `npm test`; not part of `npm test`, which runs that file's few CI seeds.
//
//   --seeds N              how many seeds (default 50)
//   --from S               the first seed (default: a random one, printed, so the run can be repeated)
//   --flavor mariadb|mysql the sandbox flavour (default $OSC_TEST_FLAVOR, else mariadb)
//
// Each seed prints as it passes; a failing one prints its case and the command that reruns it alone. The exit code
// is vitest's (0: every seed passed).
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seeds = Number(option('seeds') ?? 50);
const from = Number(option('from') ?? 1000 + Math.floor(Math.random() * 1_000_000));
const flavor = option('flavor') ?? process.env['OSC_TEST_FLAVOR'] ?? 'mariadb';
if (!Number.isSafeInteger(seeds) || seeds < 1 || !Number.isSafeInteger(from) || from < 0) {
  process.stderr.write('usage: npm run soak -- [--seeds N] [--from S] [--flavor mariadb|mysql]\n');
  process.exit(2);
}
const range = `${from}-${from + seeds - 1}`;
process.stderr.write(
  `soak: ${flavor}, seeds ${range} (rerun the same: npm run soak -- --from ${from} --seeds ${seeds})\n`,
);
const child = spawn(
  'npx',
  ['vitest', 'run', '--project', 'integration', 'test/integration/random-dml.test.ts', '--reporter', 'verbose'],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, OSC_RANDOM_SEEDS: range, OSC_TEST_FLAVOR: flavor } },
);
child.on('close', (code) => {
  process.exitCode = code ?? 1;
});
