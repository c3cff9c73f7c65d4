import { hashTokenSecret } from '@carillon/core';
import { describe, expect, it } from 'vitest';
import { RefusedHellos, addressOfPeer } from './refused-hellos.js';

const refusedHellos = (limit = 3) =>
  new RefusedHellos({ limit, windowMs: 10_000, coolDownMs: 5_000 });

describe('RefusedHellos', () => {
  it('keeps an address off once it is refused more often than the limit in a window', () => {
    const hellos = refusedHellos();
    expect(['a', 'a', 'a'].map((a) => hellos.refused(a, 1_000))).toEqual(['log', 'log', 'log']);
    expect(hellos.leftMs('a', 'secret', 1_000)).toBe(0);
    expect(hellos.refused('a', 2_000)).toBe('kept-off');
    expect(hellos.leftMs('a', 'secret', 2_000)).toBe(5_000);
    expect(hellos.leftMs('a', undefined, 6_500)).toBe(500);
    expect(hellos.leftMs('a', 'secret', 7_000)).toBe(0);
    // Another address is not kept off.
    expect(hellos.leftMs('b', 'secret', 2_000)).toBe(0);
  });

  it('counts per window: refusals spread out keep no one off', () => {
    const hellos = refusedHellos();
    for (let at = 0; at < 100_000; at += 4_000) expect(hellos.refused('a', at)).toBe('log');
  });

  it('counts nothing while an address is kept off, and has the whole budget again after', () => {
    const hellos = refusedHellos();
    for (let i = 0; i < 3; i++) hellos.refused('a', 0);
    expect(hellos.refused('a', 0)).toBe('kept-off');
    for (let i = 0; i < 10; i++) expect(hellos.refused('a', 4_999)).toBe('quiet');
    expect(['a', 'a', 'a'].map((a) => hellos.refused(a, 5_000))).toEqual(['log', 'log', 'log']);
    expect(hellos.refused('a', 5_000)).toBe('kept-off');
  });

  it('lets a token accepted here pass an address kept off, for ten minutes', () => {
    const hellos = refusedHellos(1);
    hellos.accepted(hashTokenSecret('good'), 0);
    hellos.refused('a', 1_000);
    hellos.refused('a', 1_000);
    expect(hellos.leftMs('a', 'good', 1_000)).toBe(0);
    expect(hellos.leftMs('a', 'other', 1_000)).toBe(5_000);
    // Accepted too long ago: it waits like any other.
    hellos.refused('a', 700_000);
    hellos.refused('a', 700_000);
    expect(hellos.leftMs('a', 'good', 700_000)).toBe(5_000);
  });

  it('keeps no one off with a limit of 0', () => {
    const hellos = refusedHellos(0);
    for (let i = 0; i < 100; i++) expect(hellos.refused('a', 0)).toBe('log');
    expect(hellos.leftMs('a', undefined, 0)).toBe(0);
  });
});

describe('addressOfPeer', () => {
  it('takes the port off, whatever the form', () => {
    expect(addressOfPeer('127.0.0.1:50051')).toBe('127.0.0.1');
    expect(addressOfPeer('[::1]:50051')).toBe('[::1]');
    expect(addressOfPeer('ipv4:10.0.0.2:4000')).toBe('ipv4:10.0.0.2');
    expect(addressOfPeer('unix:/tmp/s')).toBe('unix:/tmp/s');
  });
});
