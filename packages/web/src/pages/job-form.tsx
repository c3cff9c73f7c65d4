import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, query } from '../api';
import { navigate } from '../router';
import type { Job } from '../types';
import { ErrorBox, Header, Link, when } from '../ui';

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
          <ErrorBox error={error} />
          <button type="submit">{job === undefined ? 'Create job' : 'Save changes'}</button>
        </div>
        {triggerType === 'cron' ? <CronPreview cron={cron} timeZone={timeZone} /> : <div />}
      </form>
    </>
  );
}
