// Writes scripts/test-durations.json, the seconds each test file took, from vitest JSON reports
// of whole runs (`npx vitest run --reporter=json --outputFile=report.json`): the order
// vitest.config.ts starts files in, longest first. Several reports: each file's median.
// Usage: node scripts/test-durations.js report.json [more.json ...]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reports = process.argv.slice(2);
if (reports.length === 0) throw new Error('usage: node scripts/test-durations.js report.json ...');
const seen = new Map();
for (const report of reports) {
  for (const file of JSON.parse(readFileSync(report, 'utf8')).testResults) {
    const name = relative(root, file.name);
    seen.set(name, [...(seen.get(name) ?? []), (file.endTime - file.startTime) / 1000]);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const rows = [...seen].map(([name, xs]) => [name, Math.round(median(xs) * 10) / 10]);
rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
writeFileSync(
  join(root, 'scripts', 'test-durations.json'),
  `${JSON.stringify(Object.fromEntries(rows), null, 2)}\n`,
);
process.stdout.write(
  `${rows.length} files, ${rows.reduce((t, [, s]) => t + s, 0).toFixed(0)} s in all\n`,
);
