export { startCarillonProcess } from './carillon-process.js';
export type { CarillonProcess, CarillonProcessOptions } from './carillon-process.js';
export { startClientProcess } from './client-process.js';
export type { ClientProcess, ClientProcessEvent } from './client-process.js';
export { freePort } from './free-port.js';
export { dieWithThisProcess } from './reaper.js';
export {
  listAllSubtasks,
  triggerParallelJob,
  waitForExecutionEnd,
  waitForSubtasksSucceeded,
} from './executions.js';
export type { ConsoleCaller } from './executions.js';
export { appendLedger, checkLedger, pairRuns, readLedger, readLedgerLines } from './ledger.js';
export type { LedgerCheck, LedgerLine, LedgerReport, LedgerRun } from './ledger.js';
export { startStack } from './stack.js';
export type { Stack, StackOptions } from './stack.js';
export { startMariaDb } from './mariadb.js';
export type { MariaDbOptions, MariaDbServer } from './mariadb.js';
export { MYSQL_SERVER_URL, mariadbDatabase, testDatabases } from './test-databases.js';
export type { TestDatabase } from './test-databases.js';
export { waitFor } from './wait-for.js';
export { startTcpProxy } from './tcp-proxy.js';
export type { TcpProxy } from './tcp-proxy.js';
export { startZooKeeper } from './zookeeper.js';
export type { ZooKeeperCluster, ZooKeeperNode, ZooKeeperOptions } from './zookeeper.js';
