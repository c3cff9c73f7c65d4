import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { TestSpecification } from 'vitest/node';
import { BaseSequencer } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Seconds each test file took in a whole run (`scripts/test-durations.json`, written by
 * `node scripts/test-durations.js <vitest json report>`): CI starts from a fresh clone, without
 * vitest's own cache of durations, and would otherwise start the largest files first, which
 * are not the longest.
 */
const durations = JSON.parse(
  readFileSync(new URL('./scripts/test-durations.json', import.meta.url), 'utf8'),
) as Record<string, number>;

/**
 * Longest file first, so that the minute-long files (waiting on cron boundaries, fence
 * intervals, ZooKeeper sessions) start at once and the many short ones fill the other workers:
 * otherwise one of them may start last and be all that runs at the end. A file missing from
 * the list (a new one) goes first, as vitest does with files it does not know.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const known = (await super.sort(files)).map((spec) => ({
      spec,
      seconds: durations[relative(spec.project.config.root, spec.moduleId)] ?? Infinity,
    }));
    return known.sort((a, b) => b.seconds - a.seconds).map(({ spec }) => spec);
  }
}

// Tests import the packages' TypeScript sources through the `source` export condition, so no
// build is needed before `vitest`; child processes started by tests use the same condition.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // vitest's default on 2 cores is 1 worker: every file after the other, most of them waiting
    // on wall-clock time (cron boundaries, fences, sessions) with the CPU idle. Three files at
    // once (`--maxWorkers=1` runs them one by one, as before).
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
  },
});
