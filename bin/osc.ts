#!/usr/bin/env node
import v8 from 'node:v8';
import { maskedTitle } from '../src/core/argv.js';

// V8's young generation otherwise grows with the rate of allocation, up to 16 MB per semi-space: the peak RSS then
// grew with the run's length (MariaDB 10.11, 1M -> 4M rows: 102-104 -> 113-115 MiB). Kept at its first size it
// stays flat (74 -> 75-77 MiB) and the copy took as long; replay's burst applied 33k events/s instead of 35-38k.
// Read at each growth, so it works when set now (no flag can go in a portable `#!/usr/bin/env node` line).
v8.setFlagsFromString('--semi-space-growth-factor=1');

// Before the rest loads: other users can read the command line, and must not find the password there.
const title = maskedTitle(process.argv);
if (title !== null) process.title = title;

const { main } = await import('../src/cli/main.js');
process.exitCode = await main(process.argv);
