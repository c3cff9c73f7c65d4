// Starts a Carillon cluster on this machine for trying failover by hand: a three-node ZooKeeper
// ensemble, a fresh MariaDB database, three `carillon server` processes (rooms r1, r2, r3) and
// a console; prints where they are and each process id, then runs until Ctrl-C, when it stops
// them all and drops the database. Needs Debian's `zookeeper` package, Java and MariaDB at
// 127.0.0.1:3306 (root, no password; CARILLON_TEST_MYSQL_URL to change).
//
//   node --conditions=source --import tsx scripts/cluster-local.ts
import { randomBytes } from 'node:crypto';
import { freePort, startCarillonProcess, startZooKeeper, testDatabases } from '@carillon/testkit';
import type { CarillonProcess } from '@carillon/testkit';

const SERVERS = Number(process.env['CARILLON_LOCAL_SERVERS'] ?? '3');

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const [mariadb] = testDatabases();
if (mariadb === undefined) throw new Error('no MariaDB');
const zk = await startZooKeeper({ nodes: 3 });
const dbUrl = await mariadb.create();
const processes: CarillonProcess[] = [];
try {
  const migrate = startCarillonProcess(['migrate'], { CARILLON_DB_URL: dbUrl });
  if ((await migrate.exited) !== 0) throw new Error(migrate.output());
  const common = {
    CARILLON_DB_URL: dbUrl,
    CARILLON_ZK: `${zk.connectionString}/carillon`,
    CARILLON_ZK_AUTH: `carillon:${randomBytes(9).toString('base64url')}`,
  };
  for (let i = 1; i <= SERVERS; i++) {
    const port = await freePort();
    const server = startCarillonProcess(['server'], {
      ...common,
      CARILLON_SERVER_ID: `s${i}`,
      CARILLON_ROOM: `r${i}`,
      CARILLON_RPC_PORT: String(port),
    });
    processes.push(server);
    await until(`server s${i} to start`, () => server.output().includes('server started'));
    console.log(`server s${i}: 127.0.0.1:${port}, pid ${server.child.pid}`);
  }
  const httpPort = await freePort();
  const password = randomBytes(9).toString('base64url');
  const consoleProcess = startCarillonProcess(['console'], {
    ...common,
    CARILLON_HTTP_PORT: String(httpPort),
    CARILLON_ADMIN_PASSWORD: password,
  });
  processes.push(consoleProcess);
  await until('the console to listen', () => consoleProcess.output().includes('console listening'));
  console.log(
    `console: http://127.0.0.1:${httpPort} (admin / ${password}), pid ${consoleProcess.child.pid}`,
  );
  console.log(
    `ZooKeeper: ${zk.connectionString} (CARILLON_ZK_AUTH=${common.CARILLON_ZK_AUTH}); database: ${dbUrl}`,
  );
  console.log('kill -KILL <pid> a server to watch failover; Ctrl-C stops everything');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
} finally {
  for (const p of processes) await p.stop();
  await zk.stop();
  await mariadb.drop();
}
