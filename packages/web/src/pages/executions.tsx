import { useState } from 'preact/hooks';
import { api, query } from '../api';
import { navigate, useLocation } from '../router';
import type { Execution, Page } from '../types';
import { Empty, ErrorBox, Header, Link, Pager, StateBadge, duration, useLoad, when } from '../ui';

const STATES = [
  'claimed',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
  'partially_failed',
];

// `datetime-local` inputs speak the browser's local time; the API speaks ms since the epoch.
function toLocalInput(ms: string): string {
  if (ms === '') return '';
  const d = new Date(Number(ms) - new Date(Number(ms)).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function fromLocalInput(value: string): string {
  if (value === '') return '';
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? '' : String(ms);
}

/**
 * Executions filtered by job, group and state, a page at a time from the API's cursor (the
 * page never holds more than one page of rows, however many there are).
 */
export function ExecutionsPage() {
  const { search } = useLocation();
  const jobId = search.get('jobId') ?? '';
  const groupId = search.get('groupId') ?? '';
  const state = search.get('state') ?? '';
  const from = search.get('from') ?? '';
  const to = search.get('to') ?? '';
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const key = `${jobId}|${groupId}|${state}|${from}|${to}`;
  const [lastKey, setLastKey] = useState(key);
  if (key !== lastKey) {
    setLastKey(key);
    setCursors([undefined]);
  }
  const page = useLoad(
    () =>
      api<Page<Execution>>(
        'GET',
        `/executions${query({ jobId, groupId, state, from, to, limit: 50, cursor })}`,
      ),
    [jobId, groupId, state, from, to, cursor],
    cursors.length === 1 ? 5000 : undefined,
  );
  const setFilter = (name: string, value: string): void => {
    const next = new URLSearchParams(search);
    if (value === '') next.delete(name);
    else next.set(name, value);
    const text = next.toString();
    navigate(`/executions${text === '' ? '' : `?${text}`}`);
  };
  const items = page.data?.items ?? [];
  return (
    <>
      <Header title="Executions" />
      <form class="inline-form filters" onSubmit={(e) => e.preventDefault()}>
        <input
          type="search"
          name="jobId"
          placeholder="Job id"
          value={jobId}
          onChange={(e) => setFilter('jobId', e.currentTarget.value.trim())}
        />
        <input
          name="groupId"
          placeholder="Task group id"
          value={groupId}
          onChange={(e) => setFilter('groupId', e.currentTarget.value.trim())}
        />
        <select
          name="state"
          value={state}
          onChange={(e) => setFilter('state', e.currentTarget.value)}
        >
          <option value="">Any state</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {s.replace('_', ' ')}
            </option>
          ))}
          <option value="failed,timed_out,partially_failed">
            failed, timed out or partly failed
          </option>
        </select>
        <label class="radio">
          From
          <input
            type="datetime-local"
            name="from"
            value={toLocalInput(from)}
            onChange={(e) => setFilter('from', fromLocalInput(e.currentTarget.value))}
          />
        </label>
        <label class="radio">
          to
          <input
            type="datetime-local"
            name="to"
            value={toLocalInput(to)}
            onChange={(e) => setFilter('to', fromLocalInput(e.currentTarget.value))}
          />
        </label>
      </form>
      <ErrorBox error={page.error} />
      {items.length === 0 && !page.loading && page.error === undefined ? (
        <Empty>
          {jobId === '' && groupId === ''
            ? 'Pick a job or a task group to see its executions (admins see all).'
            : 'No executions match. A job’s executions appear here once it fires.'}
        </Empty>
      ) : (
        <table class="executions">
          <thead>
            <tr>
              <th>Scheduled</th>
              <th>Job</th>
              <th>State</th>
              <th>Cause</th>
              <th>Attempt</th>
              <th>Client</th>
              <th>Run time</th>
            </tr>
          </thead>
          <tbody>
            {items.map((x) => (
              <tr key={x.id} class="clickable" onClick={() => navigate(`/executions/${x.id}`)}>
                <td>
                  <Link href={`/executions/${x.id}`}>{when(x.scheduledAt)}</Link>
                </td>
                <td>{x.jobId}</td>
                <td>
                  <StateBadge state={x.state} />
                </td>
                <td>{x.cause}</td>
                <td>{x.attempt}</td>
                <td>{x.clientId ?? '—'}</td>
                <td>
                  {x.startedAt !== null && x.finishedAt !== null
                    ? duration(x.finishedAt - x.startedAt)
                    : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        back="← Newer"
        forward="Older →"
        page={cursors.length}
        backDisabled={cursors.length === 1}
        forwardDisabled={page.data?.nextCursor == null}
        onBack={() => setCursors(cursors.slice(0, -1))}
        onForward={() => setCursors([...cursors, page.data?.nextCursor ?? undefined])}
      />
    </>
  );
}
