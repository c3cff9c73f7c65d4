import { hashTokenSecret } from '@carillon/core';
import type { StreamStatus } from '@carillon/protocol';
import { GrpcStatus } from '@carillon/protocol';
import { describe, expect, it } from 'vitest';
import { RateCoolDown } from './rate-cool-down.js';
import type { CooledStream } from './rate-cool-down.js';

const coolDownOf = (coolDownMs: number) =>
  new RateCoolDown({ coolDownMs, maxMessagesPerSecond: 100, holdMaxMs: 1_000 });
const tokenA = hashTokenSecret('token-a');
const client = (groupId: string, clientId: string, tokenHash = tokenA) => ({
  groupId,
  clientId,
  tokenHash,
});

/** A stream that records how it was ended; `close()` ends it as a client would. */
class FakeStream implements CooledStream {
  status: StreamStatus | undefined;
  readonly #onClose: Array<() => void> = [];
  end(status: StreamStatus): void {
    this.status = status;
  }
  once(_event: 'close', listener: () => void): unknown {
    return this.#onClose.push(listener);
  }
  close(): void {
    for (const listener of this.#onClose) listener();
  }
}

describe('RateCoolDown', () => {
  it('keeps a client off for the cool-down, and only that client', () => {
    const coolDown = coolDownOf(3_000);
    expect(coolDown.leftMs('101-1-2-1', 'a', 1_000)).toBe(0);
    coolDown.start(client('101-1-2-1', 'a'), 1_000);
    expect(coolDown.leftMs('101-1-2-1', 'a', 1_000)).toBe(3_000);
    expect(coolDown.leftMs('101-1-2-1', 'a', 3_500)).toBe(500);
    expect(coolDown.leftMs('101-1-2-1', 'a', 4_000)).toBe(0);
    // The same client id in another group, and another client of the group, are not kept off.
    expect(coolDown.leftMs('101-1-2-9', 'a', 1_000)).toBe(0);
    expect(coolDown.leftMs('101-1-2-1', 'b', 1_000)).toBe(0);
    expect(coolDown.tokenLeftMs(tokenA, 1_000)).toBe(0);
  });

  it('starts again from a later cut; 0 ms keeps no one off', () => {
    const coolDown = coolDownOf(3_000);
    coolDown.start(client('g', 'a'), 1_000);
    coolDown.start(client('g', 'a'), 2_000);
    expect(coolDown.leftMs('g', 'a', 4_500)).toBe(500);
    // One id cut twice is not a rotation: its token's other clients stay free.
    expect(coolDown.tokenLeftMs(tokenA, 2_000)).toBe(0);
    const none = coolDownOf(0);
    none.start(client('g', 'a'), 1_000);
    none.start(client('g', 'b'), 1_000);
    expect(none.leftMs('g', 'a', 1_000)).toBe(0);
    expect(none.tokenLeftMs(tokenA, 1_000)).toBe(0);
  });

  it('keeps a token off when a second client id of it is cut within 10 s', () => {
    const coolDown = coolDownOf(3_000);
    coolDown.start(client('g', 'a'), 1_000);
    coolDown.start(client('g', 'b'), 5_000);
    expect(coolDown.tokenLeftMs(tokenA, 5_000)).toBe(3_000);
    // Another token of the group is not kept off.
    expect(coolDown.tokenLeftMs(hashTokenSecret('token-b'), 5_000)).toBe(0);
    // Cuts further apart than 10 s are not counted together.
    const apart = coolDownOf(3_000);
    apart.start(client('g', 'a'), 1_000);
    apart.start(client('g', 'b'), 11_000);
    expect(apart.tokenLeftMs(tokenA, 11_000)).toBe(0);
  });

  it('turns away a new id of a token kept off, holding one stream at a time', () => {
    const coolDown = coolDownOf(3_000);
    const now = Date.now();
    coolDown.start(client('g', 'a'), now);
    coolDown.start(client('g', 'b'), now);
    const held = new FakeStream();
    expect(coolDown.turnAway('g', 'c', 'token-a', held)).toBe(true);
    expect(held.status).toBeUndefined();
    const second = new FakeStream();
    expect(coolDown.turnAway('g', 'd', 'token-a', second)).toBe(true);
    expect(second.status?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(second.status?.details).toMatch(/kept off for 3 s/);
    // Another token, even with a cut id's name in another group, is let through.
    expect(coolDown.turnAway('h', 'c', 'token-b', new FakeStream())).toBe(false);
    held.close();
    const after = new FakeStream();
    expect(coolDown.turnAway('g', 'e', 'token-a', after)).toBe(true);
    expect(after.status).toBeUndefined();
    after.close();
  });
});
