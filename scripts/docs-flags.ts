// npm run docs:flags: rewrites README's flag tables from src/core/flags.ts (test/unit/flags.test.ts checks them).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderFlagTables, replaceFlagSection } from '../src/core/flags-readme.js';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = replaceFlagSection(before, renderFlagTables());
if (after === before) {
  process.stdout.write('README.md flag tables are up to date\n');
} else {
  writeFileSync(path, after);
  process.stdout.write('README.md flag tables rewritten from src/core/flags.ts\n');
}
