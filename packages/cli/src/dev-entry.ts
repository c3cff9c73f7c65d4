// Entry for running the CLI from its TypeScript sources (tests, `npm run carillon:src`):
// `node --conditions=source --import tsx packages/cli/src/dev-entry.ts <command> ...`.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
