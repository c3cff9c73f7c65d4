import { useState } from 'preact/hooks';
import { api, query } from '../api';
import type { Page } from '../types';
import { Empty, ErrorBox, Header, Pager, useLoad, when } from '../ui';

interface AuditEvent {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: string | null;
}

/** The audit log, newest first, a page at a time. */
export function AuditPage() {
  const [before, setBefore] = useState<number[]>([]);
  const beforeId = before[before.length - 1];
  const page = useLoad(
    () => api<Page<AuditEvent>>('GET', `/audit${query({ limit: 100, beforeId })}`),
    [beforeId],
  );
  const items = page.data?.items ?? [];
  const oldest = items[items.length - 1];
  return (
    <>
      <Header title="Audit log" />
      <ErrorBox error={page.error} />
      {items.length === 0 && !page.loading ? (
        <Empty>Nothing audited yet. Every change made through the console lands here.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
              <th>Target</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id}>
                <td>{when(e.at)}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{e.target}</td>
                <td>
                  <code class="detail">{e.detail ?? ''}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        back="← Newer"
        forward="Older →"
        backDisabled={before.length === 0}
        forwardDisabled={oldest === undefined || items.length < 100}
        onBack={() => setBefore(before.slice(0, -1))}
        onForward={() => oldest !== undefined && setBefore([...before, oldest.id])}
      />
    </>
  );
}
