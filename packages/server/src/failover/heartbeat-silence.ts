import type { ServerBeat } from '@carillon/core';

/**
 * How long `peer` has been silent, as this server (`own`) can tell from the database alone (ms):
 * both beats are stamped by the database's clock, so no server host's clock enters, and no
 * history is kept. Infinite for a peer with no beat at all (once `own` has beaten steadily).
 *
 * A gap in this server's own beats (it stalled, its session was suspended, or the database
 * stalled and held every server's beats up alike) makes a peer's old beat prove nothing: its
 * next beat may be about to land. So silence counts only from the start of this server's
 * current run of beats (`beatingSince`) until that run has lasted `steadyMs`; from then on a
 * live peer would have beaten within the run, and its whole silence counts.
 */
export function heartbeatSilence(
  own: ServerBeat,
  peer: ServerBeat | undefined,
  steadyMs: number,
): number {
  const steady = own.lastSeenAt - own.beatingSince;
  const silence = peer === undefined ? Number.POSITIVE_INFINITY : own.lastSeenAt - peer.lastSeenAt;
  return Math.max(0, steady >= steadyMs ? silence : Math.min(silence, steady));
}
