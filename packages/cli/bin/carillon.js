#!/usr/bin/env node
// Runs the built CLI. `npm ci` builds it (the root `prepare` script runs `tsc -b`).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
