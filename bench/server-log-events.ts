// What the servers did in a window that a steady cluster never does: a standby claiming fires
// its preferred holder did not, fires adopted from a peer judged gone, ZooKeeper sessions
// suspended for silence. Counted from each server's JSON log lines (their `time`, ms epoch).
// Under a CPU cap these mark a server falling behind and its peers stepping in; a run whose
// lateness collapses shows which came first (docs/cluster.md, "A cap that binds").

/** Per server: fires claimed by standbys, fires adopted, suspensions, in the window. */
export interface LogEvents {
  readonly stoodIn: number;
  readonly adopted: number;
  readonly suspended: number;
}

const STOOD_IN = 'standby claimed fires the preferred holder did not';
const ADOPTED = 'adopted fires a gone server claimed and did not dispatch';
const SUSPENDED = 'coordinator: no answer from ZooKeeper; suspended';

/** Counts the events of one server's `output` with `from <= time < to`. */
export function logEvents(output: string, from: number, to: number): LogEvents {
  let stoodIn = 0;
  let adopted = 0;
  let suspended = 0;
  for (const line of output.split('\n')) {
    // Most lines are none of these: a substring test before parsing.
    if (!line.includes(STOOD_IN) && !line.includes(ADOPTED) && !line.includes(SUSPENDED)) continue;
    let entry: { time?: number; msg?: string; fires?: number; adopted?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (entry.time === undefined || entry.time < from || entry.time >= to) continue;
    if (entry.msg === STOOD_IN) stoodIn += entry.fires ?? 0;
    else if (entry.msg === ADOPTED) adopted += entry.adopted ?? 0;
    else if (entry.msg === SUSPENDED) suspended += 1;
  }
  return { stoodIn, adopted, suspended };
}
