// A server member in its own process, for tests that kill or pause it: registers
// `CARILLON_TEST_MEMBER` (JSON: connection, serverId), prints `ready` with its session id, then
// one line per session event.
import { ZooKeeperCoordinator } from '../src/index.js';

const settings = JSON.parse(process.env['CARILLON_TEST_MEMBER'] ?? '{}') as {
  connection: string;
  serverId: string;
};
const coordinator = new ZooKeeperCoordinator({
  connection: settings.connection,
  cluster: 101,
  sessionTimeoutMs: 4_000,
});
await coordinator.start();
await coordinator.registerServer({
  serverId: settings.serverId,
  cluster: 101,
  serverGroup: 1,
  room: 'r1',
  rpcAddress: '127.0.0.1:1',
});
process.stdout.write(`${JSON.stringify({ ready: true, sessionId: coordinator.sessionId })}\n`);
coordinator.onSessionEvent((event) => {
  process.stdout.write(`${JSON.stringify({ event, sessionId: coordinator.sessionId })}\n`);
});
setInterval(() => undefined, 60_000);
