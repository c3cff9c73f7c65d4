import { useState } from 'preact/hooks';
import { api, query } from '../api';
import type { Subtask, SubtaskPage, SubtaskProgress } from '../types';
import { Empty, ErrorBox, Pager, StateBadge, duration, useLoad, when } from '../ui';

const STATES = [
  'pending',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
];
const ENDED_BADLY = 'failed,timed_out,cancelled';
const PAGE_SIZE = 50;

/** The bar's figures: done is succeeded; failed counts every end that is not a success. */
function figuresOf(p: SubtaskProgress) {
  const done = p.succeeded;
  const failed = p.failed + p.timedOut + p.cancelled;
  const busy = p.dispatched + p.running;
  return { done, failed, busy, pending: p.pending, total: p.total };
}

/**
 * A parallel execution's progress: a bar in three parts (done, failed, in flight) over the
 * pending rest, and the figures in words. Drawn in SVG, so that the page's CSP (no inline
 * styles) still allows widths that change.
 */
export function SubtaskProgressBar({ progress }: { progress: SubtaskProgress }) {
  const f = figuresOf(progress);
  const width = (n: number): number => (f.total === 0 ? 0 : (n / f.total) * 1000);
  const parts: [string, number][] = [
    ['done', width(f.done)],
    ['failed', width(f.failed)],
    ['busy', width(f.busy)],
  ];
  let x = 0;
  const text = `${f.done} done, ${f.failed} failed of ${f.total}`;
  return (
    <div class="subtask-progress">
      <div
        role="progressbar"
        aria-label="Subtasks finished"
        aria-valuemin={0}
        aria-valuemax={f.total}
        aria-valuenow={f.done + f.failed}
        aria-valuetext={text}
      >
        <svg class="progress-bar" viewBox="0 0 1000 12" preserveAspectRatio="none" aria-hidden>
          <rect class="rest" x={0} y={0} width={1000} height={12} />
          {parts.map(([name, w]) => {
            const rect = <rect key={name} class={name} x={x} y={0} width={w} height={12} />;
            x += w;
            return rect;
          })}
        </svg>
      </div>
      <p class="progress-figures" data-testid="subtask-progress">
        <span>
          <strong data-figure="done">{f.done}</strong> done
        </span>
        <span>
          <strong data-figure="failed">{f.failed}</strong> failed
        </span>
        <span>
          <strong data-figure="busy">{f.busy}</strong> in flight
        </span>
        <span>
          <strong data-figure="pending">{f.pending}</strong> pending
        </span>
        <span>
          of <strong data-figure="total">{f.total}</strong>
        </span>
      </p>
    </div>
  );
}

function runTime(s: Subtask): string {
  return s.startedAt !== null && s.finishedAt !== null ? duration(s.finishedAt - s.startedAt) : '—';
}

/** Text cut by the API ends in an ellipsis, so that nobody takes it for the whole. */
function shown(s: Subtask, field: 'payload' | 'result' | 'reason'): string {
  const text = s[field] ?? '—';
  return s.truncated.includes(field) ? `${text}…` : text;
}

/**
 * The subtasks of an execution, a page at a time by position, filtered by state. The page on
 * show is read again every second while the execution runs, so that its states stay current.
 */
export function SubtasksTable({ executionId, live }: { executionId: string; live: boolean }) {
  const [state, setState] = useState('');
  // The `after` of each page seen so far: back pops one, next pushes the page's nextAfter.
  const [afters, setAfters] = useState<number[]>([0]);
  const after = afters[afters.length - 1] ?? 0;
  const page = useLoad(
    () =>
      api<SubtaskPage>(
        'GET',
        `/executions/${executionId}/subtasks${query({ state, after: after === 0 ? undefined : after, limit: PAGE_SIZE })}`,
      ),
    [executionId, state, after],
    live ? 1000 : undefined,
  );
  const items = page.data?.items ?? [];
  const nextAfter = page.data?.nextAfter ?? null;
  return (
    <>
      <form class="inline-form filters" onSubmit={(e) => e.preventDefault()}>
        <label class="radio">
          State
          <select
            name="subtaskState"
            value={state}
            onChange={(e) => {
              setState(e.currentTarget.value);
              setAfters([0]);
            }}
          >
            <option value="">Any state</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
            <option value={ENDED_BADLY}>failed, timed out or cancelled</option>
          </select>
        </label>
      </form>
      <ErrorBox error={page.error} />
      {items.length === 0 && !page.loading && page.error === undefined ? (
        <Empty>
          {state !== ''
            ? 'No subtasks in this state.'
            : live
              ? 'No subtasks yet: they appear once the job’s dispatch has produced them.'
              : 'This execution has no subtasks.'}
        </Empty>
      ) : (
        <table class="subtasks" aria-label="Subtasks">
          <thead>
            <tr>
              <th>#</th>
              <th>State</th>
              <th>Attempt</th>
              <th>Client</th>
              <th>Payload</th>
              <th>Result or reason</th>
              <th>Dispatched</th>
              <th>Run time</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id} data-seq={s.seq} data-state={s.state}>
                <td>{s.seq}</td>
                <td>
                  <StateBadge state={s.state} />
                </td>
                <td>{s.attempt}</td>
                <td>{s.clientId ?? '—'}</td>
                <td class="payload">
                  <code>{shown(s, 'payload')}</code>
                </td>
                <td class={s.reason === null ? 'result' : 'reason'}>
                  {s.reason === null ? shown(s, 'result') : shown(s, 'reason')}
                </td>
                <td>{when(s.dispatchedAt)}</td>
                <td>{runTime(s)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        back="← Earlier"
        forward="Later →"
        page={afters.length}
        backDisabled={afters.length === 1}
        forwardDisabled={nextAfter === null}
        onBack={() => setAfters(afters.slice(0, -1))}
        onForward={() => nextAfter !== null && setAfters([...afters, nextAfter])}
      />
    </>
  );
}
