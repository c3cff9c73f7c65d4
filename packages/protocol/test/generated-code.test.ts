import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The generated types are committed; this fails when someone edits the .proto and forgets
// `npm run generate -w @carillon/protocol` (or edits a generated file by hand).

const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));
const REPO_BIN = fileURLToPath(new URL('../../../node_modules/.bin', import.meta.url));
const COMMITTED = join(PACKAGE_DIR, 'src/generated');
const scratch = mkdtempSync(join(tmpdir(), 'carillon-protocol-gen-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function files(dir: string): Map<string, string> {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  return new Map(
    entries
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const path = join(entry.parentPath, entry.name);
        return [relative(dir, path), readFileSync(path, 'utf8')] as const;
      })
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

describe('src/generated', () => {
  it('matches what `npm run generate` produces from the .proto', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
      scripts: { generate: string };
    };
    const script = pkg.scripts.generate.replaceAll('src/generated', scratch);
    expect(script).toContain(scratch);
    execFileSync('sh', ['-c', script], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, PATH: `${REPO_BIN}${delimiter}${process.env['PATH'] ?? ''}` },
      stdio: 'pipe',
    });
    const fresh = files(scratch);
    expect(fresh.size).toBeGreaterThan(20);
    expect(files(COMMITTED)).toEqual(fresh);
  });
});
