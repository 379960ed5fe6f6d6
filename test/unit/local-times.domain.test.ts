import { describe, expect, it } from 'vitest';
import { isLocalTime, localTimeToInstant, offsetAt, readLocalTimes } from '../../src/domain/local-times.ts';

const STOCKHOLM = 'Europe/Stockholm';

describe('localTimeToInstant', () => {
  it('reads a date-time without an offset on the wall clock of the zone, winter and summer', () => {
    expect(localTimeToInstant('2026-12-01T12:20:03', STOCKHOLM)).toBe('2026-12-01T11:20:03.000Z');
    expect(localTimeToInstant('2026-07-01T12:20:03', STOCKHOLM)).toBe('2026-07-01T10:20:03.000Z');
    expect(localTimeToInstant('2026-07-01T12:20:03', 'America/New_York')).toBe('2026-07-01T16:20:03.000Z');
    expect(localTimeToInstant('2026-07-01T12:20:03', 'UTC')).toBe('2026-07-01T12:20:03.000Z');
    expect(localTimeToInstant('2026-07-01T12:20:03', 'Asia/Kolkata')).toBe('2026-07-01T06:50:03.000Z');
  });

  it('keeps the fraction to the millisecond, and takes a time without seconds', () => {
    expect(localTimeToInstant('2026-12-01T12:20:03.5', STOCKHOLM)).toBe('2026-12-01T11:20:03.500Z');
    expect(localTimeToInstant('2026-12-01T12:20:03.123456789', STOCKHOLM)).toBe('2026-12-01T11:20:03.123Z');
    expect(localTimeToInstant('2026-12-01T12:20', STOCKHOLM)).toBe('2026-12-01T11:20:00.000Z');
  });

  it('reads a date alone as the start of that day in the zone', () => {
    expect(localTimeToInstant('2030-01-01', STOCKHOLM)).toBe('2029-12-31T23:00:00.000Z');
    expect(localTimeToInstant('2030-07-01', STOCKHOLM)).toBe('2030-06-30T22:00:00.000Z');
    expect(localTimeToInstant('2030-01-01', 'Pacific/Auckland')).toBe('2029-12-31T11:00:00.000Z');
  });

  it('reads a skipped wall-clock time (DST start) with the offset before the change: 02:30 is 03:30 summer time', () => {
    // Stockholm moved from +01:00 to +02:00 at 2026-03-29T01:00:00Z: 02:00-02:59 did not happen.
    expect(localTimeToInstant('2026-03-29T02:30:00', STOCKHOLM)).toBe('2026-03-29T01:30:00.000Z');
    expect(localTimeToInstant('2026-03-29T01:59:59', STOCKHOLM)).toBe('2026-03-29T00:59:59.000Z');
    expect(localTimeToInstant('2026-03-29T03:00:00', STOCKHOLM)).toBe('2026-03-29T01:00:00.000Z');
    expect(localTimeToInstant('2026-03-08T02:30:00', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
  });

  it('reads a repeated wall-clock time (DST end) as its first occurrence', () => {
    // Stockholm moved from +02:00 to +01:00 at 2026-10-25T01:00:00Z: 02:00-02:59 happened twice.
    expect(localTimeToInstant('2026-10-25T02:30:00', STOCKHOLM)).toBe('2026-10-25T00:30:00.000Z');
    expect(localTimeToInstant('2026-10-25T01:59:59', STOCKHOLM)).toBe('2026-10-24T23:59:59.000Z');
    expect(localTimeToInstant('2026-10-25T03:00:00', STOCKHOLM)).toBe('2026-10-25T02:00:00.000Z');
    expect(localTimeToInstant('2026-11-01T01:30:00', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
  });

  it('gives a day whose midnight is skipped its real first instant', () => {
    // Santiago moves from -04:00 to -03:00 at local midnight on 2026-09-06: the day starts at 01:00.
    expect(localTimeToInstant('2026-09-06', 'America/Santiago')).toBe('2026-09-06T04:00:00.000Z');
    expect(offsetAt(Date.parse('2026-09-06T04:00:00Z'), 'America/Santiago')).toBe(-3 * 3_600_000);
  });

  it('answers null for what is not a local date or date-time, or names no real date or time', () => {
    for (const value of [
      '2026-12-01T12:20:03Z',
      '2026-12-01T12:20:03+01:00',
      '2026-02-30',
      '2026-13-01',
      '2026-12-01T24:00:00',
      '2026-12-01T12:60',
      '01/12/2026',
      '2026-12-01 12:20:03',
      '',
    ]) {
      expect(localTimeToInstant(value, STOCKHOLM), value).toBeNull();
    }
    expect(localTimeToInstant('2028-02-29', STOCKHOLM)).toBe('2028-02-28T23:00:00.000Z');
  });
});

describe('offsetAt', () => {
  it('is the wall clock minus UTC', () => {
    expect(offsetAt(Date.parse('2026-12-01T11:20:03.456Z'), STOCKHOLM)).toBe(3_600_000);
    expect(offsetAt(Date.parse('2026-07-01T11:20:03Z'), STOCKHOLM)).toBe(7_200_000);
    expect(offsetAt(Date.parse('2026-07-01T11:20:03Z'), 'America/St_Johns')).toBe(-2.5 * 3_600_000);
  });
});

describe('readLocalTimes', () => {
  it('replaces only the named fields that hold local forms, in an object or each object of an array', () => {
    const row = { timeStamp: '2026-12-01T12:20:03', validFrom: '2026-12-01T12:00:00Z', validTo: '2030-01-01', description: '2026-12-01' };
    expect(readLocalTimes(row, ['timeStamp', 'validFrom', 'validTo'], STOCKHOLM)).toEqual({
      timeStamp: '2026-12-01T11:20:03.000Z',
      validFrom: '2026-12-01T12:00:00Z',
      validTo: '2029-12-31T23:00:00.000Z',
      description: '2026-12-01',
    });
    expect(row.timeStamp).toBe('2026-12-01T12:20:03');
    expect(readLocalTimes([row, 'x', null], ['timeStamp'], STOCKHOLM)).toEqual([{ ...row, timeStamp: '2026-12-01T11:20:03.000Z' }, 'x', null]);
  });

  it('answers the very value when nothing needed reading, and leaves what is wrong for the contract to word', () => {
    const rows = [{ timeStamp: '2026-12-01T12:20:03Z' }, { timeStamp: '2026-02-30' }, { timeStamp: 42 }];
    expect(readLocalTimes(rows, ['timeStamp'], STOCKHOLM)).toBe(rows);
    expect(isLocalTime('2026-02-30')).toBe(true);
    expect(isLocalTime(42)).toBe(false);
  });
});
