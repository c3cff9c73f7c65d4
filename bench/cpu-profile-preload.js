// Preloaded into a bench's child processes through NODE_OPTIONS
// (`--import=<this file>`, with CARILLON_CPU_PROFILE_DIR set): profiles the process's CPU from
// its start and writes `<dir>/<pid>.cpuprofile` when it exits cleanly. Node 20 refuses
// `--cpu-prof` in NODE_OPTIONS, hence the inspector.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.CARILLON_CPU_PROFILE_DIR;
if (dir !== undefined) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // A session on the main thread answers synchronously, so this works in 'exit'.
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error === null) {
        const name = `${process.argv.slice(2).join(' ').replace(/\W+/g, '_').slice(-40)}.${process.pid}.cpuprofile`;
        writeFileSync(join(dir, name), JSON.stringify(result.profile));
      }
    });
  });
}
