// Packs the published packages with `npm pack` (which builds them on `prepack`), checks what each
// tarball ships, installs them in empty projects with only the registry's third-party packages,
// and runs the README's SDK example against `carillon dev` started from the installed command.
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@carillon/testkit';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** The published set: the SDK with its two dependencies, and the command with the rest. */
const SDK = ['core', 'protocol', 'client'];
const PUBLISHED = [...SDK, 'storage', 'coordination', 'server', 'console', 'cli'];
const run = promisify(execFile);

interface Packed {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

let dir: string;
const tarballs = new Map<string, Packed>();
let dev: ChildProcess | undefined;
let devOutput = '';

async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run('npm', [...args, '--no-audit', '--no-fund'], { cwd, maxBuffer: 64 * 1024 * 1024 });
}

/** An empty project that installs the given tarballs from disk and the rest from the registry. */
async function project(name: string, packages: readonly string[]): Promise<string> {
  const at = join(dir, name);
  await mkdir(at);
  const sqlite = createRequire(join(ROOT, 'packages', 'storage', 'package.json'))(
    'better-sqlite3/package.json',
  ) as { version: string };
  await writeFile(
    join(at, 'package.json'),
    JSON.stringify({
      name,
      private: true,
      type: 'module',
      // The same better-sqlite3 as the workspace, whose compiled binding is copied below.
      overrides: { 'better-sqlite3': sqlite.version },
    }),
  );
  const files = packages.map((p) => join(dir, tarballs.get(p)?.filename ?? `missing-${p}`));
  // No install scripts: better-sqlite3 would compile for a minute (no prebuilt binary is
  // reachable here); the workspace's binding of the same version is copied in instead.
  const { stderr } = await npm(['install', '--ignore-scripts', ...files], at);
  // Nothing installed may want another Node line than this one (engines: Node 20 is kept).
  expect(stderr).not.toContain('EBADENGINE');
  return at;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carillon-pack-'));
  const { stdout: out } = await npm(
    [
      'pack',
      '--json',
      '--pack-destination',
      dir,
      ...PUBLISHED.flatMap((p) => ['-w', `packages/${p}`]),
    ],
    ROOT,
  );
  const packed = JSON.parse(out) as (Packed & { name: string })[];
  for (const p of packed) tarballs.set(p.name.replace('@carillon/', ''), p);
}, 120_000);

afterAll(async () => {
  if (dev !== undefined && dev.exitCode === null) {
    const exited = new Promise((done) => dev?.once('exit', done));
    dev.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('npm pack of the published packages', () => {
  it.each(PUBLISHED)(
    '@carillon/%s ships its build, types, README and licence, and nothing else',
    (name) => {
      const files = tarballs.get(name)?.files.map((f) => f.path) ?? [];
      expect(files).toEqual(
        expect.arrayContaining([
          'package.json',
          'README.md',
          'LICENSE',
          'dist/index.js',
          'dist/index.d.ts',
        ]),
      );
      const stray = files.filter((f) => /\.test\.|tsbuildinfo|\.map$|^src\/|^test\//.test(f));
      expect(stray).toEqual([]);
    },
  );

  it('the SDK installs alone, without database drivers, and its types check', async () => {
    const at = await project('sdk-only', SDK);
    await expect(stat(join(at, 'node_modules', 'better-sqlite3'))).rejects.toThrow();
    await expect(stat(join(at, 'node_modules', 'mysql2'))).rejects.toThrow();
    await writeFile(
      join(at, 'check.ts'),
      "import { Client, NonRetryableError } from '@carillon/client';\n" +
        "import type { ExecutionContext } from '@carillon/client';\n" +
        "const client = new Client({ console: 'http://127.0.0.1:1', group: '101-1-1-1', token: 't' });\n" +
        "client.register('x', { execute: (ctx: ExecutionContext) => Promise.resolve(ctx.jobName) });\n" +
        'export const fail = new NonRetryableError(client.state);\n',
    );
    await writeFile(
      join(at, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          strict: true,
          noEmit: true,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', at]);
  }, 120_000);

  it("the README's SDK example runs against the installed `carillon dev`", async () => {
    const at = await project('app', PUBLISHED);
    const binding = join(
      'node_modules',
      'better-sqlite3',
      'build',
      'Release',
      'better_sqlite3.node',
    );
    await mkdir(dirname(join(at, binding)), { recursive: true });
    await copyFile(join(ROOT, binding), join(at, binding));

    const carillon = join(at, 'node_modules', '.bin', 'carillon');
    const version = await run(carillon, ['--version'], { cwd: at });
    expect(version.stdout).toMatch(/^carillon \d+\.\d+\.\d+\n$/);
    const help = await run(carillon, ['server', '--help'], {
      cwd: at,
      env: { PATH: process.env['PATH'] ?? '' }, // no CARILLON_* variable
    });
    expect(help.stdout).toContain('CARILLON_TLS_CERT_FILE');

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    dev = spawn(
      carillon,
      ['dev', '--data-dir', '.carillon', '--port', String(port), '--rpc-port', '0'],
      {
        cwd: at,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CARILLON_ADMIN_PASSWORD: '' },
      },
    );
    dev.stdout?.setEncoding('utf8').on('data', (chunk: string) => (devOutput += chunk));
    dev.stderr?.setEncoding('utf8').on('data', (chunk: string) => (devOutput += chunk));
    await waitFor('carillon dev to start', () => devOutput.includes('Carillon dev is running.'), {
      timeoutMs: 60_000,
    });

    // The README's example as printed, with its console URL on this test's port and `token`
    // (which it leaves to the reader) read from the file `carillon dev` wrote.
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const example = /## The SDK\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("from '@carillon/client'");
    await writeFile(
      join(at, 'example.mjs'),
      "import { readFileSync } from 'node:fs';\n" +
        "const token = readFileSync('.carillon/demo-client-token', 'utf8').trim();\n" +
        (example ?? '').replaceAll('http://127.0.0.1:7700', url),
    );
    const { stderr } = await run(process.execPath, ['example.mjs'], { cwd: at, timeout: 60_000 });
    expect(stderr).toBe('');
    // The example's client registered `simple-test` with the server over gRPC: the demo client
    // saw it and stepped aside.
    expect(devOutput).toContain('steps aside');
  }, 170_000);
});
