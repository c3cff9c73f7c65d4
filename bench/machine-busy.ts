// How busy the whole machine was over a window, and how often it had no core to spare. Under
// --server-cpu each server is capped, but MariaDB, ZooKeeper and the clients share the real
// cores, and every job of the bench fires at the same instant: averaged over a second the
// machine looks half idle while at each instant's burst it may have no core free. Sampled from
// /proc/stat every SAMPLE_MS: `busyPct` is the share of all core time not idle, `saturatedPct`
// the share of samples in which no core was idle at all (at USER_HZ 100, a sample of 50 ms on
// 2 cores holds 10 ticks: "no idle tick" means at least 90 % busy).
import { readFileSync } from 'node:fs';

const SAMPLE_MS = 50;

/** Busy and idle ticks of all cores together since boot. */
function ticks(): { busy: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is counted in user already)
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const all = fields.slice(0, 8).reduce((sum, v) => sum + v, 0);
  return { busy: all - idle, idle };
}

export interface MachineBusyReading {
  readonly busyPct: number;
  readonly saturatedPct: number;
}

/** Samples the machine from now until {@link stop}. */
export class MachineBusy {
  readonly #timer: NodeJS.Timeout;
  readonly #first = ticks();
  #last = this.#first;
  #samples = 0;
  #saturated = 0;

  constructor() {
    this.#timer = setInterval(() => {
      const now = ticks();
      if (now.idle === this.#last.idle && now.busy > this.#last.busy) this.#saturated++;
      if (now.busy + now.idle > this.#last.busy + this.#last.idle) this.#samples++;
      this.#last = now;
    }, SAMPLE_MS);
  }

  stop(): MachineBusyReading {
    clearInterval(this.#timer);
    const end = ticks();
    const busy = end.busy - this.#first.busy;
    const all = busy + end.idle - this.#first.idle;
    const pct = (part: number, whole: number): number =>
      whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10;
    return { busyPct: pct(busy, all), saturatedPct: pct(this.#saturated, this.#samples) };
  }
}
