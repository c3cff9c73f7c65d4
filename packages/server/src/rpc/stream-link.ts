import { splitDispatches } from '@carillon/protocol';
import type {
  CancelReason,
  DispatchOrder,
  Heartbeat,
  Hello,
  ServerMessage,
  StreamStatus,
} from '@carillon/protocol';
import type { ClientLink } from '../dispatch/client-link.js';

/** A client's gRPC stream, as the dispatcher's {@link ClientLink}. */
export class StreamLink implements ClientLink {
  readonly clientId: string;
  readonly groupId: string;
  readonly room: string;
  readonly labels: readonly string[];
  readonly handlers: ReadonlyMap<string, number>;
  readonly capacity: number;
  /** SHA-256 of the client token the stream authenticated with, for the token watch. */
  readonly tokenHash: string;
  /** The client's own count of work in flight, from its last heartbeat. */
  reportedInFlight = 0;
  /** Set once a refused report or a second hello was logged: each stream logs one. */
  refusalLogged = false;
  /** Slots the client reports lost to handlers that outlived their timeout, by handler. */
  hungSlots: ReadonlyMap<string, number> = new Map();
  readonly #write: (message: ServerMessage) => boolean;
  readonly #end: (status?: StreamStatus) => void;

  constructor(
    hello: Hello,
    tokenHash: string,
    write: (message: ServerMessage) => boolean,
    end: (status?: StreamStatus) => void,
  ) {
    this.clientId = hello.clientId;
    this.tokenHash = tokenHash;
    this.groupId = hello.groupId;
    this.room = hello.room;
    this.labels = hello.labels ?? [];
    this.handlers = new Map(hello.handlers.map((h) => [h.name, h.concurrency]));
    this.capacity = hello.capacity;
    this.#write = write;
    this.#end = end;
  }

  send(orders: readonly DispatchOrder[]): void {
    // As few messages as the size limit allows: measured, splitting a thousand orders into
    // messages of 50 or 250 made fires later, not earlier. Large parameters still must not
    // push one message past the limit that would end the stream.
    for (const chunk of splitDispatches(orders))
      this.#write({ kind: 'dispatchBatch', dispatches: chunk });
  }

  cancel(executionId: string, attempt: number, reason: CancelReason, message: string): void {
    this.#write({ kind: 'cancel', executionId, attempt, reason, message });
  }

  /** Takes a heartbeat in; true when its count of hung slots changed. */
  heartbeat(beat: Heartbeat): boolean {
    this.reportedInFlight = beat.inFlight;
    const hung = new Map(beat.handlers.filter((h) => h.hung > 0).map((h) => [h.name, h.hung]));
    const changed =
      hung.size !== this.hungSlots.size ||
      [...hung].some(([name, count]) => this.hungSlots.get(name) !== count);
    this.hungSlots = hung;
    return changed;
  }

  /** Ends the stream, with `status` (default OK) telling the client why. */
  end(status?: StreamStatus): void {
    this.#end(status);
  }
}
