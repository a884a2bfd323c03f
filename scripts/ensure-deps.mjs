// node scripts/ensure-deps.mjs: runs `npm ci` when node_modules is missing or does not match package-lock.json,
// so that README's first commands (`npm run demo`, `npm test`, `npm run osc -- ...`) work on a fresh clone.
// Plain Node and nothing else: it runs before any dependency exists. The npm scripts chain it with `&&`, so the
// tool after it runs as npm's direct child (no extra process between the terminal's Ctrl-C and osc).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Why node_modules must be (re)installed, or null when it matches the lock file. */
function staleness() {
  const modules = join(root, 'node_modules');
  if (!existsSync(modules)) return 'node_modules is missing';
  // npm writes node_modules/.package-lock.json (its "hidden lockfile") after every install: what is there now.
  const installedPath = join(modules, '.package-lock.json');
  if (!existsSync(installedPath)) return 'node_modules was not installed by npm';
  const wanted = readJson(join(root, 'package-lock.json')).packages ?? {};
  const installed = readJson(installedPath).packages ?? {};
  for (const [path, entry] of Object.entries(wanted)) {
    if (path === '') continue;
    const have = installed[path];
    // Optional packages for other platforms (esbuild's, fsevents) are never installed here.
    if (have === undefined) {
      if (entry.optional === true) continue;
      return `${path.replace(/^.*node_modules\//, '')} is not installed`;
    }
    if (have.version !== entry.version) {
      return `${path.replace(/^.*node_modules\//, '')} is ${have.version}, package-lock.json wants ${entry.version}`;
    }
  }
  // The hidden lockfile could survive a hand-deleted package: the direct dependencies must be on disk.
  const pkg = readJson(join(root, 'package.json'));
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    if (!existsSync(join(modules, name, 'package.json'))) return `${name} is missing from node_modules`;
  }
  return null;
}

const reason = staleness();
if (reason !== null) {
  process.stderr.write(`osc: installing the dependencies with npm ci (${reason}); this happens once\n`);
  // npm's own output goes to stderr: the stdout of `npm run osc` is osc's plan and summary.
  const npmCli = process.env['npm_execpath'];
  const [cmd, args] =
    npmCli !== undefined && npmCli.endsWith('.js')
      ? [process.execPath, [npmCli, 'ci', '--no-audit', '--no-fund']]
      : ['npm', ['ci', '--no-audit', '--no-fund']];
  const result = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? `exit ${result.status ?? result.signal}`;
    process.stderr.write(`osc: npm ci failed (${why}); run it yourself in ${root} and look at its messages\n`);
    process.exitCode = 1;
  }
}
