import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import type { Execution, ExecutionDetail, ExecutionLog, Job, Page } from '../types';
import { ErrorBox, Header, Link, StateBadge, duration, useLoad, when } from '../ui';
import { SubtaskProgressBar, SubtasksTable } from './execution-subtasks';

const FINAL = new Set([
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
  'partially_failed',
]);

function Timeline({ x }: { x: Execution }) {
  const steps: [string, number | null][] = [
    ['scheduled', x.scheduledAt],
    ['claimed', x.createdAt],
    ['dispatched', x.dispatchedAt],
    ['started', x.startedAt],
    ['finished', x.finishedAt],
  ];
  return (
    <ol class="timeline">
      {steps.map(([label, at], i) => {
        const previous = steps[i - 1]?.[1];
        return (
          <li key={label} class={at === null ? 'pending' : 'done'}>
            <span class="step">{label}</span>
            <span>{when(at)}</span>
            {at !== null && previous !== null && previous !== undefined ? (
              <small class="muted">
                {at >= previous ? '+' : '−'}
                {duration(Math.abs(at - previous))}
              </small>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}

/**
 * One execution: its timeline, result and log, and for a parallel job its subtasks' progress and
 * a table of them, following all of it live while it runs.
 */
export function ExecutionPage({ id }: { id: string }) {
  const [running, setRunning] = useState(true);
  const execution = useLoad(
    () => api<ExecutionDetail>('GET', `/executions/${id}`),
    [id],
    running ? 1000 : undefined,
  );
  const [logs, setLogs] = useState<ExecutionLog[]>([]);
  const [logError, setLogError] = useState<unknown>(undefined);
  const lastSeq = useRef(0);
  const x = execution.data;
  const jobId = x?.jobId;
  const job = useLoad(
    () => (jobId === undefined ? Promise.resolve(undefined) : api<Job>('GET', `/jobs/${jobId}`)),
    [jobId],
  );
  const final = x !== undefined && FINAL.has(x.state);
  const finalRef = useRef(false);
  finalRef.current = final;
  const [cancelError, setCancelError] = useState<unknown>(undefined);
  const cancel = (): void => {
    if (!confirm('Ask the client to cancel this execution?')) return;
    api('POST', `/executions/${id}/cancel`).then(execution.reload, setCancelError);
  };

  useEffect(() => {
    if (final) setRunning(false);
  }, [final]);

  useEffect(() => {
    lastSeq.current = 0;
    setLogs([]);
    let stopped = false;
    let drained = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      try {
        for (;;) {
          const page = await api<Page<ExecutionLog>>(
            'GET',
            `/executions/${id}/logs?afterSeq=${lastSeq.current}&limit=500`,
          );
          if (stopped) return;
          if (page.items.length > 0) {
            lastSeq.current = page.items[page.items.length - 1]?.seq ?? lastSeq.current;
            setLogs((old) => [...old, ...page.items]);
          }
          if (page.items.length < 500) break;
        }
        setLogError(undefined);
      } catch (error) {
        setLogError(error);
      }
      // One last read after the execution ended picks up lines written just before; then stop.
      if (!stopped && !finalRef.current) timer = setTimeout(() => void poll(), 1000);
      else if (!stopped && !drained) {
        drained = true;
        timer = setTimeout(() => void poll(), 1000);
      }
    };
    void poll();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [id]);

  return (
    <>
      <Header title={`Execution`}>
        {x !== undefined && !final ? (
          <button type="button" class="secondary" onClick={cancel}>
            Cancel
          </button>
        ) : null}
        {x !== undefined ? (
          <Link class="button secondary" href={`/executions?jobId=${x.jobId}`}>
            All executions of job {x.jobId}
          </Link>
        ) : null}
      </Header>
      <ErrorBox error={execution.error} />
      <ErrorBox error={cancelError} />
      {x === undefined ? null : (
        <>
          <dl class="facts">
            <dt>Id</dt>
            <dd>
              <code>{x.id}</code>
            </dd>
            <dt>State</dt>
            <dd>
              <StateBadge state={x.state} />{' '}
              {final ? null : <span class="live">following live</span>}
            </dd>
            <dt>Job</dt>
            <dd>
              <Link href={`/groups/${x.groupId}/jobs/${x.jobId}`}>
                {job.data === undefined ? `#${x.jobId}` : `#${x.jobId} ${job.data.name}`}
              </Link>{' '}
              in <Link href={`/groups/${x.groupId}`}>{x.groupId}</Link>
            </dd>
            <dt>Cause</dt>
            <dd>{x.cause}</dd>
            <dt>Attempt</dt>
            <dd>{x.attempt}</dd>
            <dt>Client</dt>
            <dd>{x.clientId ?? '—'}</dd>
            <dt>Server</dt>
            <dd>{x.ownerServerId ?? '—'}</dd>
            <dt>Parameter</dt>
            <dd>{x.param ?? '—'}</dd>
            <dt>Result</dt>
            <dd class="result">{x.result ?? '—'}</dd>
            {x.reason !== null ? (
              <>
                <dt>Reason</dt>
                <dd class="reason">{x.reason}</dd>
              </>
            ) : null}
          </dl>
          <Timeline x={x} />
          {x.subtaskProgress === null ? null : (
            <section aria-labelledby="subtasks-heading">
              <h2 id="subtasks-heading">Subtasks</h2>
              <SubtaskProgressBar progress={x.subtaskProgress} />
              <SubtasksTable executionId={x.id} live={!final} />
            </section>
          )}
        </>
      )}
      <section>
        <h2>Log</h2>
        <ErrorBox error={logError} />
        {logs.length === 0 ? (
          <p class="muted">{final ? 'This execution wrote no log.' : 'No log lines yet.'}</p>
        ) : (
          <pre class="log" data-testid="execution-log">
            {logs.map((l) => (
              <div key={l.seq} class={`log-${l.level}`}>
                <span class="muted">{when(l.at)}</span> {l.level.padEnd(5)} {l.message}
              </div>
            ))}
          </pre>
        )}
      </section>
    </>
  );
}
