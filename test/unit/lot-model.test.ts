import { describe, expect, it } from 'vitest';
import { expiriesBy, figuresAt, type ModelRow } from '../support/lot-model.ts';

/** The model the property tests hold the service to, on the worked examples of docs/point-master-guide.md. */
const P = 10_000n;
const t = (seconds: number) => Date.UTC(2030, 0, 1) + seconds * 1000;
const lot = (id: number, points: number, from: number, to: number | null = null): ModelRow => ({
  id,
  amount: BigInt(points) * P,
  validFrom: t(from),
  validTo: to === null ? null : t(to),
});

describe('the lot model', () => {
  it('spent points do not expire a second time: +100 expiring, -100, then the expiry leaves 0', () => {
    const rows = [lot(1, 100, 0, 8), lot(2, -100, 0)];
    expect(figuresAt(rows, t(1), true).balance).toBe(0n);
    expect(figuresAt(rows, t(9), true)).toMatchObject({ balance: 0n, balanceExpires: null });
    expect(expiriesBy(rows, t(9))).toEqual([]);
  });

  it('a deduction uses the expiring lot first: +100 expiring, +50 never, -120 leaves 30 before and after the expiry', () => {
    const rows = [lot(1, 100, 0, 8), lot(2, 50, 0), lot(3, -120, 0)];
    expect(figuresAt(rows, t(1), true)).toMatchObject({ balance: 30n * P, balanceExpires: null });
    expect(figuresAt(rows, t(9), true)).toMatchObject({ balance: 30n * P, balanceExpires: null });
    expect(expiriesBy(rows, t(9))).toEqual([]);
  });

  it('expiry takes only what is left: +100 expiring, -30 expires 70', () => {
    const rows = [lot(1, 100, 0, 8), lot(2, -30, 0)];
    expect(figuresAt(rows, t(1), true)).toMatchObject({ balance: 70n * P, balanceExpires: t(8), expiresAmount: 70n * P });
    expect(figuresAt(rows, t(9), true).balance).toBe(0n);
    expect(expiriesBy(rows, t(9))).toEqual([{ lot: 1, at: t(8), amount: 70n * P }]);
  });

  it('what cannot be covered is owed, and the next lot to turn active pays it first', () => {
    const rows = [lot(1, -40, 0), lot(2, 100, 10, 20)];
    expect(figuresAt(rows, t(1), true)).toMatchObject({ balance: -40n * P, pendingPoints: 100n * P });
    expect(figuresAt(rows, t(11), true)).toMatchObject({ balance: 60n * P, pendingPoints: 0n, expiresAmount: 60n * P });
    expect(expiriesBy(rows, t(21))).toEqual([{ lot: 2, at: t(20), amount: 60n * P }]);
  });

  it('pending lots cannot be used, and a master that owns expiry keeps what is left until it sends the expiry', () => {
    const rows = [lot(1, 50, 0, 8), lot(2, 80, 100), lot(3, -60, 1)];
    expect(figuresAt(rows, t(2), true)).toMatchObject({ balance: -10n * P, pendingPoints: 80n * P });
    expect(figuresAt(rows, t(9), false)).toMatchObject({ balance: -10n * P, balanceExpires: null });
    expect(figuresAt(rows, t(101), true).balance).toBe(70n * P);
  });

  it('counts a repair as what is left of it after netting, from its validFrom, never expiring', () => {
    // +50 repair at 5 stood in for a lot of 50 (valid 2 to 8) that arrived later: netted whole, it counts nothing
    const late = [lot(1, 100, 0), lot(2, 50, 2, 8), { ...lot(3, 50, 5), netted: 50n * P }];
    expect(figuresAt(late, t(6), true).balance).toBe(150n * P);
    expect(figuresAt(late, t(9), true).balance).toBe(100n * P);
    // netted in part: a lot of 20 from 5
    const part = [lot(1, 100, 0), { ...lot(3, 50, 5), netted: 30n * P }, lot(4, -130, 6)];
    expect(figuresAt(part, t(4), true).balance).toBe(100n * P);
    expect(figuresAt(part, t(7), true)).toMatchObject({ balance: -10n * P, pendingPoints: 0n });
  });
});
