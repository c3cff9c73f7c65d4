import { describe, expect, it } from 'vitest';
import { CoreErrorCode } from '../errors.js';
import { assertTimeZone, zoneRules } from './time-zone.js';

const seconds = (iso: string): number => Date.parse(iso) / 1000;
const HOUR = 3600;

describe('zoneRules', () => {
  it('knows offsets on both sides of a transition, to the second', () => {
    // New York springs forward at 2024-03-10T07:00:00Z.
    const zone = zoneRules('America/New_York');
    expect(zone.offsetAt(seconds('2024-03-10T06:59:59Z'))).toBe(-5 * HOUR);
    expect(zone.offsetAt(seconds('2024-03-10T07:00:00Z'))).toBe(-4 * HOUR);
    expect(zone.offsetAt(seconds('2024-11-03T05:59:59Z'))).toBe(-4 * HOUR);
    expect(zone.offsetAt(seconds('2024-11-03T06:00:00Z'))).toBe(-5 * HOUR);
    expect(zoneRules('Asia/Kolkata').offsetAt(seconds('2024-06-01T00:00:00Z'))).toBe(5.5 * HOUR);
    expect(zoneRules('Australia/Lord_Howe').offsetAt(seconds('2024-07-01T00:00:00Z'))).toBe(
      10.5 * HOUR,
    );
  });

  it('maps wall times to instants: gap is NaN, overlap is the later instant', () => {
    const zone = zoneRules('America/New_York');
    const wall = (iso: string): number => seconds(iso);
    expect(zone.instantOf(wall('2024-03-10T01:59:59Z'))).toBe(seconds('2024-03-10T06:59:59Z'));
    expect(zone.instantOf(wall('2024-03-10T02:30:00Z'))).toBeNaN();
    expect(zone.instantOf(wall('2024-03-10T03:00:00Z'))).toBe(seconds('2024-03-10T07:00:00Z'));
    expect(zone.gapEnd(wall('2024-03-10T02:30:00Z'))).toBe(wall('2024-03-10T03:00:00Z'));
    expect(zone.instantOf(wall('2024-11-03T01:30:00Z'))).toBe(seconds('2024-11-03T06:30:00Z'));
    expect(zone.wallOf(seconds('2024-11-03T05:30:00Z'))).toBe(wall('2024-11-03T01:30:00Z'));
  });

  it('finds the end of a 30-minute gap (Lord Howe)', () => {
    const zone = zoneRules('Australia/Lord_Howe');
    const wall = seconds('2024-10-06T02:10:00Z');
    expect(zone.instantOf(wall)).toBeNaN();
    expect(zone.gapEnd(wall)).toBe(seconds('2024-10-06T02:30:00Z'));
  });

  it('shares one rules object between spellings of a zone', () => {
    expect(zoneRules('US/Eastern')).toBe(zoneRules('America/New_York'));
    expect(zoneRules('america/new_york').name).toBe('America/New_York');
    expect(zoneRules('Etc/UTC').offsetAt(0)).toBe(0);
  });

  it.each(['Mars/Olympus_Mons', '', 'UTC ', '+05:30', 42 as unknown as string])(
    'rejects %j with InvalidTimeZone',
    (name) => {
      expect(() => assertTimeZone(name)).toThrow(
        expect.objectContaining({ code: CoreErrorCode.InvalidTimeZone }),
      );
    },
  );

  it('accepts known zones', () => {
    expect(() => assertTimeZone('Europe/Berlin')).not.toThrow();
    expect(() => assertTimeZone('UTC')).not.toThrow();
  });
});
