import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMOUNT_RANGE, EXACT_FIGURE_LIMIT, hasAtMostFourDecimals, isAmount, subtractFigures } from '../../src/domain/amounts.ts';

/** The decimal text of a whole number of units of 10^-places (with 4 places, what Postgres answers for numeric(19,4)). */
const decimalOf = (units: bigint, places = 4) => {
  const sign = units < 0n ? '-' : '';
  const magnitude = units < 0n ? -units : units;
  const scale = 10n ** BigInt(places);
  return `${sign}${magnitude / scale}.${(magnitude % scale).toString().padStart(places, '0')}`;
};
/** The shortest form of it, as JSON writes the number. */
const shortest = (decimal: string) => {
  const trimmed = decimal.replace(/\.?0+$/, '');
  return trimmed === '-0' ? '0' : trimmed;
};

const SCALED_RANGE = { min: BigInt(AMOUNT_RANGE.min) * 10000n, max: BigInt(AMOUNT_RANGE.max) * 10000n };
const amountText = fc.bigInt(SCALED_RANGE).map(decimalOf);
const figureText = fc.bigInt({ min: -(BigInt(EXACT_FIGURE_LIMIT) * 10000n) + 1n, max: BigInt(EXACT_FIGURE_LIMIT) * 10000n - 1n }).map(decimalOf);

describe('amounts with 4 decimal places', () => {
  it('accepts every 4-place decimal in range as the number it reads as', () => {
    fc.assert(
      fc.property(amountText, (text) => {
        expect(isAmount(Number(text))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it('refuses a fifth decimal place however far out it is', () => {
    const fivePlaces = fc
      .bigInt({ min: SCALED_RANGE.min * 10n, max: SCALED_RANGE.max * 10n })
      .filter((n) => n % 10n !== 0n)
      .map((n) => decimalOf(n, 5));
    fc.assert(
      fc.property(fivePlaces, (text) => {
        expect(hasAtMostFourDecimals(Number(text))).toBe(false);
      }),
      { numRuns: 20000 },
    );
    expect(hasAtMostFourDecimals(0.00001)).toBe(false);
    expect(hasAtMostFourDecimals(2147483646.99999)).toBe(false);
  });

  it('carries every figure below 2^39 through a JS number and back unchanged', () => {
    fc.assert(
      fc.property(figureText, (text) => {
        expect(String(Number(text))).toBe(shortest(text));
      }),
      { numRuns: 30000 },
    );
  });

  it('would not above it: the bound is the real one, not |value| * 10^4 < 2^53', () => {
    const text = '697325967211.6457';
    expect(Number(text) * 10000).toBeLessThan(2 ** 53);
    expect(Number(text)).toBeGreaterThan(EXACT_FIGURE_LIMIT);
    expect(String(Number(text))).not.toBe(text);
  });

  it('subtracts exactly, as whole ten-thousandths would', () => {
    expect(subtractFigures(1, 0.9)).toBe(0.1);
    fc.assert(
      fc.property(amountText, amountText, (a, b) => {
        const scaled = (text: string) => BigInt(text.replace('.', ''));
        expect(String(subtractFigures(Number(a), Number(b)))).toBe(shortest(decimalOf(scaled(a) - scaled(b))));
      }),
      { numRuns: 20000 },
    );
  });
});
