import { api } from '../api';
import { Empty, ErrorBox, Header, Link, duration, useLoad } from '../ui';
import { loadCluster } from './cluster';
import type { ServerInfo, ClientInfo } from './cluster';

interface Figures {
  truncated: boolean;
  minutes: { at: number; fired: number; succeeded: number; failed: number }[];
  slowest: { jobId: number; groupId: string; runs: number; maxMs: number; avgMs: number }[];
  failing: {
    jobId: number;
    groupId: string;
    failures: number;
    runs: number;
    lastReason: string | null;
  }[];
}

function Bars(props: {
  values: number[];
  max: number;
  label: string;
  unit: string;
  class: string;
}) {
  const width = 600;
  const height = 120;
  const w = width / Math.max(1, props.values.length);
  return (
    <svg
      viewBox={`0 0 ${width} ${height + 16}`}
      class={`chart ${props.class}`}
      role="img"
      aria-label={props.label}
    >
      {props.values.map((v, i) => {
        const h = props.max === 0 ? 0 : (v / props.max) * height;
        return (
          <rect key={i} x={i * w + 1} y={height - h} width={Math.max(1, w - 2)} height={h}>
            <title>{`${60 - i} min ago: ${v}${props.unit}`}</title>
          </rect>
        );
      })}
      <line x1="0" y1={height} x2={width} y2={height} class="axis" />
      <text x="0" y={height + 14}>
        −60 min
      </text>
      <text x={width} y={height + 14} text-anchor="end">
        now
      </text>
    </svg>
  );
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return map;
}

function Topology({ servers, clients }: { servers: ServerInfo[]; clients: ClientInfo[] }) {
  const byGroup = groupBy(servers, (s) => `ServerGroup ${s.serverGroup}`);
  if (servers.length === 0) return <Empty>No server has registered yet.</Empty>;
  return (
    <div class="topology">
      {[...byGroup].map(([name, members]) => (
        <div class="card" key={name}>
          <h3>{name}</h3>
          {[...groupBy(members, (s) => s.room)].map(([room, inRoom]) => (
            <div key={room} class="room">
              <div class="muted">room {room}</div>
              {inRoom.map((s) => {
                const connected = clients.filter((c) => c.serverId === s.serverId);
                return (
                  <div key={s.serverId} class="server">
                    <span class={`dot ${s.live ? 'up' : 'down'}`} /> {s.serverId}{' '}
                    <span class="muted">
                      {connected.length} client{connected.length === 1 ? '' : 's'}
                    </span>
                  </div>
                );
              })}
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}

/** The dashboard: cluster topology, fires and success over the last hour, slowest and failing jobs. */
export function DashboardPage() {
  const figures = useLoad(() => api<Figures>('GET', '/dashboard'), [], 15_000);
  const cluster = useLoad(loadCluster, [], 5_000);
  const minutes = figures.data?.minutes ?? [];
  const fired = minutes.map((m) => m.fired);
  const rate = minutes.map((m) =>
    m.succeeded + m.failed === 0 ? 0 : Math.round((100 * m.succeeded) / (m.succeeded + m.failed)),
  );
  const total = fired.reduce((a, b) => a + b, 0);
  const ok = minutes.reduce((a, m) => a + m.succeeded, 0);
  const bad = minutes.reduce((a, m) => a + m.failed, 0);
  return (
    <>
      <Header title="Dashboard" />
      <ErrorBox error={figures.error ?? cluster.error} />
      <section>
        <h2>Servers and clients</h2>
        <Topology servers={cluster.data?.servers ?? []} clients={cluster.data?.clients ?? []} />
      </section>
      <div class="columns">
        <section>
          <h2>
            Fires per minute <span class="muted">last hour: {total}</span>
          </h2>
          <Bars
            values={fired}
            max={Math.max(1, ...fired)}
            label="Fires per minute"
            unit=" fires"
            class="fires"
          />
        </section>
        <section>
          <h2>
            Success rate{' '}
            <span class="muted">
              {ok + bad === 0
                ? 'no finished fires'
                : `${Math.round((100 * ok) / (ok + bad))} % of ${ok + bad}`}
            </span>
          </h2>
          <Bars values={rate} max={100} label="Success rate per minute" unit=" %" class="rate" />
        </section>
      </div>
      {figures.data?.truncated === true ? (
        <p class="muted">Figures cover the newest 20,000 fires of the hour.</p>
      ) : null}
      <div class="columns">
        <section>
          <h2>Slowest jobs</h2>
          {(figures.data?.slowest ?? []).length === 0 ? (
            <Empty>No finished runs in the last hour.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Job</th>
                  <th>Longest</th>
                  <th>Average</th>
                  <th>Runs</th>
                </tr>
              </thead>
              <tbody>
                {figures.data?.slowest.map((j) => (
                  <tr key={j.jobId}>
                    <td>
                      <Link href={`/executions?jobId=${j.jobId}`}>{j.jobId}</Link>
                    </td>
                    <td>{duration(j.maxMs)}</td>
                    <td>{duration(j.avgMs)}</td>
                    <td>{j.runs}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section>
          <h2>Failing jobs</h2>
          {(figures.data?.failing ?? []).length === 0 ? (
            <Empty>No failures in the last hour.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Job</th>
                  <th>Failures</th>
                  <th>Last reason</th>
                </tr>
              </thead>
              <tbody>
                {figures.data?.failing.map((j) => (
                  <tr key={j.jobId}>
                    <td>
                      <Link href={`/executions?jobId=${j.jobId}&state=failed,timed_out`}>
                        {j.jobId}
                      </Link>
                    </td>
                    <td>{j.failures}</td>
                    <td>{j.lastReason ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </>
  );
}
