import type { ChildProcess } from 'node:child_process';

const living = new Set<ChildProcess>();
let installed = false;

function killLiving(): void {
  for (const child of living) child.kill('SIGKILL');
  living.clear();
}

/**
 * Makes `child` die with this process. A test file that times out before its `afterAll`
 * stopped its ZooKeeper, servers and clients leaves them running, reparented to init: they
 * then load the machine for every later file of the run (and hold their ports). Vitest ends a
 * file's worker with SIGTERM, which otherwise kills it without a word to its children.
 */
export function dieWithThisProcess<T extends ChildProcess>(child: T): T {
  living.add(child);
  child.once('exit', () => living.delete(child));
  if (!installed) {
    installed = true;
    process.once('exit', killLiving);
    process.once('SIGTERM', () => {
      killLiving();
      process.exit(143);
    });
  }
  return child;
}
