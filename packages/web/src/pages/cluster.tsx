import { api } from '../api';
import type { Page, TaskGroup } from '../types';
import { Empty, ErrorBox, Header, when } from '../ui';
import { useLoad } from '../ui';

/** A server as the console sees it. */
export interface ServerInfo {
  serverId: string;
  cluster: number;
  serverGroup: number;
  room: string;
  rpcAddress: string;
  live: boolean;
  lastSeenAt: number | null;
}

/** A connected client as the coordinator lists it. */
export interface ClientInfo {
  clientId: string;
  groupId: string;
  serverId: string;
  handlers: string[];
  room: string;
}

/** Servers, and the clients of every group the user may see. */
export async function loadCluster(): Promise<{ servers: ServerInfo[]; clients: ClientInfo[] }> {
  const [servers, groups] = await Promise.all([
    api<Page<ServerInfo>>('GET', '/servers'),
    api<Page<TaskGroup>>('GET', '/groups'),
  ]);
  const clients = await Promise.all(
    groups.items.map((g) =>
      api<Page<ClientInfo>>('GET', `/clients?groupId=${encodeURIComponent(g.id)}`).then(
        (p) => p.items,
        () => [],
      ),
    ),
  );
  return { servers: servers.items, clients: clients.flat() };
}

/** Servers by ServerGroup and room, and connected clients. */
export function ClusterPage() {
  const cluster = useLoad(loadCluster, [], 5000);
  const servers = cluster.data?.servers ?? [];
  const clients = cluster.data?.clients ?? [];
  return (
    <>
      <Header title="Servers & clients" />
      <ErrorBox error={cluster.error} />
      <section>
        <h2>Servers</h2>
        {servers.length === 0 && !cluster.loading ? (
          <Empty>
            No server has registered. Start one with <code>carillon server</code>.
          </Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Server</th>
                <th>ServerGroup</th>
                <th>Room</th>
                <th>RPC address</th>
                <th>Status</th>
                <th>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {servers.map((s) => (
                <tr key={s.serverId}>
                  <td>{s.serverId}</td>
                  <td>{s.serverGroup}</td>
                  <td>{s.room}</td>
                  <td>
                    <code>{s.rpcAddress}</code>
                  </td>
                  <td>
                    <span class={`badge ${s.live ? 'state-succeeded' : 'state-failed'}`}>
                      {s.live ? 'live' : 'gone'}
                    </span>
                  </td>
                  <td>{when(s.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>Clients</h2>
        {clients.length === 0 && !cluster.loading ? (
          <Empty>
            No client is connected. A process using the SDK with a group's client token appears here
            once it connects.
          </Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Client</th>
                <th>Task group</th>
                <th>Room</th>
                <th>Connected to</th>
                <th>Handlers</th>
              </tr>
            </thead>
            <tbody>
              {clients.map((c) => (
                <tr key={`${c.groupId}/${c.clientId}/${c.serverId}`}>
                  <td>{c.clientId}</td>
                  <td>
                    <code>{c.groupId}</code>
                  </td>
                  <td>{c.room}</td>
                  <td>{c.serverId}</td>
                  <td>{c.handlers.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
