import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, query } from '../api';
import { navigate } from '../router';
import type { Job } from '../types';
import { ErrorBox, Header, Link, when } from '../ui';
import type { KindState } from './kind-fields';
import { KindInputs, NEW_KIND, kindFields, kindOf } from './kind-fields';
import type { RoutingRetryState } from './routing-retry-fields';
import {
  NEW_ROUTING_RETRY,
  RoutingRetryInputs,
  routingRetryFields,
  routingRetryOf,
} from './routing-retry-fields';

// The API's documented choices (see the Job schema in /api/v1/openapi.json), in words.
const OVERLAP: readonly [string, string][] = [
  ['allow', 'Run both'],
  ['skip', 'Skip the new fire'],
  ['queue_one', 'Queue one, run it after'],
  ['cancel_previous', 'Cancel the running one'],
];
const MISFIRE: readonly [string, string][] = [
  ['fire_once', 'Fire once for all missed'],
  ['fire_all', 'Fire every missed instant'],
  ['skip', 'Skip missed instants'],
];

function Choice(props: {
  label: string;
  name: string;
  value: string;
  options: readonly [string, string][];
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {props.label}
      <select
        name={props.name}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

interface FireTimes {
  timeZone: string | null;
  description: string | null;
  items: { at: number; iso: string }[];
}

// The instant in the job's time zone, as the page cannot assume the browser's.
function inZone(ms: number, timeZone: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(ms);
    const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
    return `${part('weekday')} ${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}`;
  } catch {
    return when(ms);
  }
}

function CronPreview({ cron, timeZone }: { cron: string; timeZone: string }) {
  const [result, setResult] = useState<FireTimes | ApiError | undefined>(undefined);
  useEffect(() => {
    if (cron.trim() === '') {
      setResult(undefined);
      return undefined;
    }
    let live = true;
    // Asks the API as the user types, a moment after the last key.
    const timer = setTimeout(() => {
      api<FireTimes>('GET', `/cron/next${query({ cron, timeZone, count: 10 })}`).then(
        (r) => live && setResult(r),
        (e: unknown) =>
          live && setResult(e instanceof ApiError ? e : new ApiError(0, 'X', String(e))),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [cron, timeZone]);
  if (result === undefined) return null;
  if (result instanceof ApiError) {
    return (
      <div class="cron-preview invalid" role="alert" data-testid="cron-preview">
        {result.message}
      </div>
    );
  }
  return (
    <div class="cron-preview" data-testid="cron-preview">
      <strong>{result.description}</strong>
      <ol>
        {result.items.map((i) => (
          <li key={i.at}>{inZone(i.at, timeZone)}</li>
        ))}
      </ol>
      <small class="muted">Next 10 fires in {timeZone}.</small>
    </div>
  );
}

/** Create or edit a job; the cron field is checked and explained by the API as you type. */
export function JobFormPage({ groupId, jobId }: { groupId: string; jobId: number | undefined }) {
  const [job, setJob] = useState<Job | undefined>(undefined);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [handler, setHandler] = useState('');
  const [triggerType, setTriggerType] = useState<'cron' | 'api'>('cron');
  const [cron, setCron] = useState('0 0/1 * * * ?');
  const [timeZone, setTimeZone] = useState('UTC');
  const [param, setParam] = useState('');
  const [timeoutMs, setTimeoutMs] = useState('0');
  const [maxRetries, setMaxRetries] = useState('0');
  const [overlap, setOverlap] = useState('allow');
  const [misfire, setMisfire] = useState('fire_once');
  const [routingRetry, setRoutingRetry] = useState<RoutingRetryState>(NEW_ROUTING_RETRY);
  const [kind, setKind] = useState<KindState>(NEW_KIND);
  const [error, setError] = useState<unknown>(undefined);

  useEffect(() => {
    if (jobId === undefined) return;
    api<Job>('GET', `/jobs/${jobId}`).then((j) => {
      setJob(j);
      setName(j.name);
      setDescription(j.description);
      setHandler(j.handler);
      setTriggerType(j.trigger.type);
      if (j.trigger.type === 'cron') {
        setCron(j.trigger.cron);
        setTimeZone(j.trigger.timeZone);
      }
      setParam(j.param ?? '');
      setTimeoutMs(String(j.timeoutMs));
      setMaxRetries(String(j.maxRetries));
      setOverlap(j.overlap);
      setMisfire(j.misfire);
      setRoutingRetry(routingRetryOf(j));
      setKind(kindOf(j));
    }, setError);
  }, [jobId]);

  const save = (event: Event): void => {
    event.preventDefault();
    setError(undefined);
    const fields = {
      name,
      description,
      handler,
      trigger: triggerType === 'cron' ? { type: 'cron', cron, timeZone } : { type: 'api' },
      param: param === '' ? null : param,
      timeoutMs: Number(timeoutMs),
      maxRetries: Number(maxRetries),
      overlap,
      misfire,
      ...routingRetryFields(routingRetry),
      ...kindFields(kind),
    };
    const request =
      job === undefined
        ? api<Job>('POST', '/jobs', { groupId, ...fields })
        : api<Job>('PATCH', `/jobs/${job.id}`, { ...fields, version: job.version });
    request.then(() => navigate(`/groups/${groupId}`), setError);
  };

  return (
    <>
      <Header title={job === undefined ? 'New job' : `Edit job ${job.id}`}>
        <Link class="button secondary" href={`/groups/${groupId}`}>
          Back to {groupId}
        </Link>
      </Header>
      <form class="job-form" onSubmit={save}>
        <div class="fields">
          <label>
            Name
            <input
              name="name"
              required
              autoFocus
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label>
            Handler <small class="muted">the job type a client registers</small>
            <input
              name="handler"
              required
              value={handler}
              onInput={(e) => setHandler(e.currentTarget.value)}
            />
          </label>
          <label>
            Description
            <input
              name="description"
              value={description}
              onInput={(e) => setDescription(e.currentTarget.value)}
            />
          </label>
          <fieldset>
            <legend>Trigger</legend>
            <label class="radio">
              <input
                type="radio"
                name="triggerType"
                checked={triggerType === 'cron'}
                onChange={() => setTriggerType('cron')}
              />
              Cron (Quartz, with seconds)
            </label>
            <label class="radio">
              <input
                type="radio"
                name="triggerType"
                checked={triggerType === 'api'}
                onChange={() => setTriggerType('api')}
              />
              Only by API or “Trigger once”
            </label>
          </fieldset>
          {triggerType === 'cron' ? (
            <>
              <label>
                Cron expression
                <input
                  name="cron"
                  class="mono"
                  required
                  value={cron}
                  onInput={(e) => setCron(e.currentTarget.value)}
                />
              </label>
              <label>
                Time zone
                <input
                  name="timeZone"
                  required
                  value={timeZone}
                  onInput={(e) => setTimeZone(e.currentTarget.value)}
                />
              </label>
            </>
          ) : null}
          <label>
            Parameter
            <input name="param" value={param} onInput={(e) => setParam(e.currentTarget.value)} />
          </label>
          <label>
            Timeout (ms, 0 for none)
            <input
              name="timeoutMs"
              type="number"
              min={0}
              value={timeoutMs}
              onInput={(e) => setTimeoutMs(e.currentTarget.value)}
            />
          </label>
          <label>
            Retries
            <input
              name="maxRetries"
              type="number"
              min={0}
              value={maxRetries}
              onInput={(e) => setMaxRetries(e.currentTarget.value)}
            />
          </label>
          <Choice
            label="When a fire comes while the last still runs"
            name="overlap"
            value={overlap}
            options={OVERLAP}
            onChange={setOverlap}
          />
          <Choice
            label="When fires were missed"
            name="misfire"
            value={misfire}
            options={MISFIRE}
            onChange={setMisfire}
          />
          <KindInputs value={kind} onChange={setKind} />
          <RoutingRetryInputs value={routingRetry} onChange={setRoutingRetry} />
          <ErrorBox error={error} />
          <div class="row-actions">
            <button type="submit">{job === undefined ? 'Create job' : 'Save changes'}</button>
            {job === undefined ? null : (
              <button
                type="button"
                class="secondary"
                onClick={() => {
                  if (!confirm(`Delete job ${job.id} "${job.name}"? Its executions stay.`)) return;
                  api('DELETE', `/jobs/${job.id}`).then(
                    () => navigate(`/groups/${groupId}`),
                    setError,
                  );
                }}
              >
                Delete job
              </button>
            )}
          </div>
        </div>
        {triggerType === 'cron' ? <CronPreview cron={cron} timeZone={timeZone} /> : <div />}
      </form>
    </>
  );
}
