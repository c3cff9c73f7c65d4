// `npm run test`: every test file, in two vitest runs side by side. The cluster tests
// (test/cluster: a ZooKeeper, three server processes, a console and clients each) run one at a
// time; every other file runs two at a time beside them. Three cluster files at once on two
// cores made ZooKeeper nodes miss their 30 s start and failovers miss their bounds in CI; one
// at a time, the whole run takes about as long, since the other files fill the other workers.
// Extra arguments go to both runs; `npx vitest run` runs every file in one (three at a time).
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';

const CLUSTER = 'test/cluster';
const extra = process.argv.slice(2);

/**
 * Starts one vitest run. `portSlices` moves its workers' port slices past the other run's
 * (packages/testkit/src/free-port.ts): both runs number their workers from 1.
 */
function vitest(args, portSlices, write) {
  const child = spawn('npx', ['vitest', 'run', ...args, ...extra], {
    env: { ...process.env, CARILLON_TEST_PORT_SLICES_FROM: String(portSlices) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', write);
  child.stderr.on('data', write);
  // 'close', not 'exit': the output has all been read by then.
  return new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
}

/**
 * The lines of a run's output that name what failed: vitest's closing lists of failures (failed
 * suites, such as a hook that threw, come before failed tests), or without them its `FAIL` and
 * `×` lines; at most `limit` lines. CI keeps only the tail of the
 * output, and the other files' run prints first: without these its failures are cut off.
 */
function failures(output, limit = 200) {
  const lines = Buffer.concat(output).toString('utf8').split('\n');
  const closing = lines.findIndex((line) => /Failed (Suites|Tests) \d+/.test(line));
  const picked =
    closing === -1 ? lines.filter((line) => /\bFAIL\b|×/.test(line)) : lines.slice(closing);
  return picked.slice(0, limit).join('\n');
}

const restOutput = [];
const clusterOutput = [];
const started = Date.now();
// The other files print as they go; the cluster run is told at the end, whole, so that the
// two do not interleave.
const [rest, cluster] = await Promise.all([
  vitest(['--maxWorkers=2', `--exclude=${CLUSTER}/**`], 0, (chunk) => {
    restOutput.push(chunk);
    process.stdout.write(chunk);
  }),
  vitest(['--maxWorkers=1', CLUSTER], 4, (chunk) => clusterOutput.push(chunk)),
]);
process.stdout.write(`\nrun-tests: the cluster tests (${CLUSTER}, one at a time):\n`);
process.stdout.write(Buffer.concat(clusterOutput));
if (rest !== 0) {
  process.stdout.write(
    `\nrun-tests: what failed among the other files, again:\n${failures(restOutput)}\n`,
  );
}
const seconds = Math.round((Date.now() - started) / 1000);
process.stdout.write(
  `run-tests: other files ${rest === 0 ? 'passed' : `FAILED (${rest})`}, ` +
    `cluster files ${cluster === 0 ? 'passed' : `FAILED (${cluster})`}, ${seconds} s\n`,
);
process.exit(rest === 0 && cluster === 0 ? 0 : 1);
