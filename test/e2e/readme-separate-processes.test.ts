// The README's "Running it as separate processes" section, run verbatim by bash from the
// repository root on a fresh MariaDB: only the database name and the two ports are changed (to a
// database that does not exist yet and to free ports), so `carillon migrate` must create it.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, testDatabases, waitFor } from '@carillon/testkit';

const ROOT = resolve(import.meta.dirname, '..', '..');
const [mariadb] = testDatabases();
let shell: ChildProcess | undefined;
let output = '';

afterAll(async () => {
  if (shell?.pid !== undefined && shell.exitCode === null) {
    const exited = new Promise((done) => shell?.once('exit', done));
    // The section starts the server and the console in the background of this shell: stop its
    // whole process group, which is this test's own.
    process.kill(-shell.pid, 'SIGTERM');
    await exited;
  }
  await mariadb?.drop();
});

describe("README's separate processes section", () => {
  it('works as written on a fresh MariaDB', async () => {
    if (mariadb === undefined) throw new Error('testkit lists no MariaDB');
    // create() picks a fresh name; dropping it at once leaves a database that does not exist.
    const fresh = new URL(await mariadb.create()).pathname.slice(1);
    await mariadb.drop();
    const readme = await readFile(resolve(ROOT, 'README.md'), 'utf8');
    const section = /## Running it as separate processes[\s\S]*?```sh\n([\s\S]*?)```/.exec(
      readme,
    )?.[1];
    expect(section).toContain('npx carillon migrate');
    const [httpPort, rpcPort] = [await freePort(), await freePort()];
    const script = (section ?? '')
      .replace('127.0.0.1:3306/carillon', `127.0.0.1:3306/${fresh}`)
      .replace('CARILLON_RPC_PORT=7701', `CARILLON_RPC_PORT=${rpcPort}`)
      .replace('CARILLON_HTTP_PORT=7700', `CARILLON_HTTP_PORT=${httpPort}`);
    expect(script).not.toContain('7700');
    expect(script).not.toContain('7701');
    shell = spawn('bash', ['-e', '-c', `${script}\nwait`], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    shell.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    shell.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const base = `http://127.0.0.1:${httpPort}`;
    const token = await waitFor(
      'the console to let the admin in',
      async () => {
        if (shell?.exitCode !== null) throw new Error(`the shell exited: ${output}`);
        const password = /CARILLON_ADMIN_PASSWORD='([^']+)'/.exec(script)?.[1] ?? '';
        const login = await fetch(`${base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password }),
        });
        return login.ok ? ((await login.json()) as { token: string }).token : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(output).toContain(`created database ${fresh}`);
    expect(output).not.toMatch(/^\s+at /m);
    // The server recorded itself in the same database.
    await waitFor('the server to be listed', async () => {
      const answer = await fetch(`${base}/api/v1/servers`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { items } = (await answer.json()) as { items: { serverId: string }[] };
      return items.some((s) => s.serverId === 's1');
    });
  }, 90_000);
});
