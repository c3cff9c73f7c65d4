import type { Job } from '../types';

// The API's job kinds and client-lost policies (see the Job schema in /api/v1/openapi.json).
const KINDS: readonly [string, string][] = [
  ['simple', 'Simple (one handler call per fire)'],
  ['parallel', 'Parallel (dispatch, process each item, reduce)'],
  ['sharded', 'Sharded (a fixed number of shards per fire)'],
];
const CLIENT_LOST: readonly [string, string][] = [
  ['retry', 'Run it again on another client'],
  ['fail', 'Record it failed'],
];

/** The kind, sharding and dispatch inputs of the job form, as the inputs hold them (text). */
export interface KindState {
  kind: string;
  shardCount: string;
  /** The text form, `0=Beijing,1=Shanghai`. */
  shardParams: string;
  /** The stored list and its text, so that an untouched field sends the list back as it was. */
  storedParams?: { text: string; list: (string | null)[] };
  dispatchTimeoutMs: string;
  onClientLost: string;
}

/** The inputs of a new job: the API's defaults. */
export const NEW_KIND: KindState = {
  kind: 'simple',
  shardCount: '0',
  shardParams: '',
  dispatchTimeoutMs: '60000',
  onClientLost: 'retry',
};

/** The inputs for a stored job. */
export function kindOf(j: Job): KindState {
  const text = j.shardParams.flatMap((p, i) => (p === null ? [] : [`${i}=${p}`])).join(',');
  return {
    kind: j.kind,
    shardCount: String(j.shardCount),
    shardParams: text,
    storedParams: { text, list: j.shardParams },
    dispatchTimeoutMs: String(j.dispatchTimeoutMs),
    onClientLost: j.onClientLost,
  };
}

/** The request fields; the API checks them and answers a 400 naming a bad one. */
export function kindFields(s: KindState): Record<string, unknown> {
  const sharded = s.kind === 'sharded';
  const params =
    s.storedParams !== undefined && s.storedParams.text === s.shardParams
      ? s.storedParams.list
      : s.shardParams;
  return {
    kind: s.kind,
    shardCount: sharded ? Number(s.shardCount) : 0,
    shardParams: sharded ? params : [],
    dispatchTimeoutMs: Number(s.dispatchTimeoutMs),
    onClientLost: s.onClientLost,
  };
}

type Key = Exclude<keyof KindState, 'storedParams'>;

/** What a job is (simple, parallel, sharded with its shards) and how long a fire may wait. */
export function KindInputs(props: { value: KindState; onChange: (value: KindState) => void }) {
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
  return (
    <>
      {select('Kind', 'kind', KINDS)}
      {props.value.kind === 'sharded' ? (
        <>
          <label>
            Shards per fire <small class="muted">1 to 1000</small>
            <input
              name="shardCount"
              type="number"
              min={1}
              max={1000}
              value={props.value.shardCount}
              onInput={set('shardCount')}
            />
          </label>
          <label>
            Shard parameters{' '}
            <small class="muted">index=parameter, as in 0=Beijing,1=Shanghai</small>
            <input
              name="shardParams"
              value={props.value.shardParams}
              onInput={set('shardParams')}
            />
          </label>
        </>
      ) : null}
      <label>
        Dispatch timeout (ms){' '}
        <small class="muted">how long a fire may wait for a client, then skipped</small>
        <input
          name="dispatchTimeoutMs"
          type="number"
          min={100}
          max={86400000}
          value={props.value.dispatchTimeoutMs}
          onInput={set('dispatchTimeoutMs')}
        />
      </label>
      {select('When its client dies mid-run', 'onClientLost', CLIENT_LOST)}
    </>
  );
}
