#!/usr/bin/env node
import { maskedTitle } from '../src/core/argv.js';

// Before the rest loads: other users can read the command line, and must not find the password there.
const title = maskedTitle(process.argv);
if (title !== null) process.title = title;

const { main } = await import('../src/cli/main.js');
process.exitCode = await main(process.argv);
