import type { Job } from '../types';

// The API's routing strategies (see the Job schema in /api/v1/openapi.json), in words.
export const ROUTING: readonly [string, string][] = [
  ['least_loaded', 'Least loaded client'],
  ['round_robin', 'Round robin'],
  ['random', 'Random'],
  ['consistent_hash', 'Consistent hash (same client per job)'],
  ['first', 'First client (by client id)'],
  ['last', 'Last client (by client id)'],
  ['failover', 'Failover (first client with room)'],
  ['busy_over', 'Busy-over (next client on refusal)'],
  ['broadcast', 'Broadcast (every client once; simple jobs)'],
];
const BACKOFF: readonly [string, string][] = [
  ['exponential', 'Exponential (doubling)'],
  ['fixed', 'Fixed'],
];

/** The routing and retry inputs of the job form, as the inputs hold them (text). */
export interface RoutingRetryState {
  routing: string;
  routeLabels: string;
  routeRoom: string;
  retryBackoff: string;
  retryDelayMs: string;
  retryMaxDelayMs: string;
  retryJitter: string;
  subtaskMaxRetries: string;
  subtaskRetryBackoff: string;
  subtaskRetryDelayMs: string;
  subtaskRetryMaxDelayMs: string;
  subtaskRetryJitter: string;
}

/** The inputs of a new job: the API's defaults. */
export const NEW_ROUTING_RETRY: RoutingRetryState = {
  routing: 'least_loaded',
  routeLabels: '',
  routeRoom: '',
  retryBackoff: 'exponential',
  retryDelayMs: '1000',
  retryMaxDelayMs: '86400000',
  retryJitter: '0',
  subtaskMaxRetries: '0',
  subtaskRetryBackoff: 'exponential',
  subtaskRetryDelayMs: '1000',
  subtaskRetryMaxDelayMs: '86400000',
  subtaskRetryJitter: '0',
};

/** The inputs for a stored job. */
export function routingRetryOf(j: Job): RoutingRetryState {
  return {
    routing: j.routing,
    routeLabels: j.routeLabels.join(', '),
    routeRoom: j.routeRoom ?? '',
    retryBackoff: j.retryBackoff,
    retryDelayMs: String(j.retryDelayMs),
    retryMaxDelayMs: String(j.retryMaxDelayMs),
    retryJitter: String(j.retryJitter),
    subtaskMaxRetries: String(j.subtaskMaxRetries),
    subtaskRetryBackoff: j.subtaskRetryBackoff,
    subtaskRetryDelayMs: String(j.subtaskRetryDelayMs),
    subtaskRetryMaxDelayMs: String(j.subtaskRetryMaxDelayMs),
    subtaskRetryJitter: String(j.subtaskRetryJitter),
  };
}

/** The request fields; the API checks them and answers a 400 naming a bad one. */
export function routingRetryFields(s: RoutingRetryState): Record<string, unknown> {
  return {
    routing: s.routing,
    routeLabels: s.routeLabels
      .split(/[\s,]+/)
      .map((l) => l.trim())
      .filter((l) => l !== ''),
    routeRoom: s.routeRoom.trim() === '' ? null : s.routeRoom.trim(),
    retryBackoff: s.retryBackoff,
    retryDelayMs: Number(s.retryDelayMs),
    retryMaxDelayMs: Number(s.retryMaxDelayMs),
    retryJitter: Number(s.retryJitter),
    subtaskMaxRetries: Number(s.subtaskMaxRetries),
    subtaskRetryBackoff: s.subtaskRetryBackoff,
    subtaskRetryDelayMs: Number(s.subtaskRetryDelayMs),
    subtaskRetryMaxDelayMs: Number(s.subtaskRetryMaxDelayMs),
    subtaskRetryJitter: Number(s.subtaskRetryJitter),
  };
}

type Key = keyof RoutingRetryState;

/** Which client runs a job (strategy and pins) and how its failures are retried. */
export function RoutingRetryInputs(props: {
  value: RoutingRetryState;
  onChange: (value: RoutingRetryState) => void;
}) {
  const set = (key: Key) => (e: { currentTarget: { value: string } }) =>
    props.onChange({ ...props.value, [key]: e.currentTarget.value });
  const select = (label: string, key: Key, options: readonly [string, string][]) => (
    <label>
      {label}
      <select name={key} value={props.value[key]} onChange={set(key)}>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
  const number = (label: string, key: Key, step = '1', max?: number) => (
    <label>
      {label}
      <input
        name={key}
        type="number"
        min={0}
        max={max}
        step={step}
        value={props.value[key]}
        onInput={set(key)}
      />
    </label>
  );
  const retry = (prefix: '' | 'subtask') => {
    const k = (field: string): Key =>
      (prefix === '' ? `retry${field}` : `subtaskRetry${field}`) as Key;
    return (
      <>
        {select('Retry backoff', k('Backoff'), BACKOFF)}
        {number('Retry delay (ms)', k('DelayMs'))}
        {number('Longest retry delay (ms)', k('MaxDelayMs'))}
        {number('Retry jitter (0 to 1; 1 = full)', k('Jitter'), '0.05', 1)}
      </>
    );
  };
  return (
    <>
      {select('Which client runs it', 'routing', ROUTING)}
      <label>
        Only on clients with labels <small class="muted">comma-separated; empty for any</small>
        <input name="routeLabels" value={props.value.routeLabels} onInput={set('routeLabels')} />
      </label>
      <label>
        Only on clients in room <small class="muted">empty for any</small>
        <input name="routeRoom" value={props.value.routeRoom} onInput={set('routeRoom')} />
      </label>
      {retry('')}
      <details>
        <summary>Subtask retries (parallel jobs)</summary>
        {number('Subtask retries', 'subtaskMaxRetries')}
        {retry('subtask')}
      </details>
    </>
  );
}
