import type { Client, ClientEvents } from '@carillon/client';

/**
 * The next `event` of `client` that `match` accepts; rejects after `timeoutMs`. Subscribe
 * before triggering what causes the event.
 */
export function nextEvent<K extends keyof ClientEvents>(
  client: Client,
  event: K,
  match: (...args: ClientEvents[K]) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<ClientEvents[K][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(event, listener as never);
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: ClientEvents[K]): void => {
      if (!match(...args)) return;
      clearTimeout(timer);
      client.off(event, listener as never);
      resolve(args[0]);
    };
    client.on(event, listener as never);
  });
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
