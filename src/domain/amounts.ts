/**
 * Point amounts as Engage keeps them: exact decimals with up to 4 places
 * (its answers show `250.0000`). Postgres stores them as numeric(19,4) and
 * does every sum; JavaScript only carries single values between JSON and SQL.
 *
 * Why a JS number is enough to carry them. A decimal of at most 15
 * significant digits survives the trip into an IEEE double and back out as
 * the shortest string that names that double (what JSON.stringify and
 * pg's array literals write): the double nearest to it prints as it. With 4
 * places that holds for every value below 2^39 (about 5.5 * 10^11) in
 * magnitude, where doubles lie closer together than 0.0001 (the test
 * amounts.domain.test.ts shows it, and shows it failing above). So:
 * - an amount the API accepts lies within AMOUNT_RANGE (Postgres `integer`'s
 *   range, as before decimals), 14 significant digits at most, and crosses
 *   exactly on its way in and out;
 * - a balance or a difference, a sum Postgres made exactly, is answered
 *   exactly while its magnitude is below EXACT_FIGURE_LIMIT; beyond that its
 *   fourth decimal can be off by one unit in the answer (never in storage).
 * Scaling by 10^4 into an integer (value * 10^4 < 2^53) is not the bound that
 * matters: the value itself, not its scaled form, is what passes through.
 */
export const AMOUNT_DECIMALS = 4;

/** The most and least one amount (a row, a balance pushed, an adjustment, a reconciliation line) may be. */
export const AMOUNT_RANGE = { min: -2147483648, max: 2147483647 } as const;

/** Below this magnitude a figure with 4 decimal places passes through a JS number unchanged (2^39). */
export const EXACT_FIGURE_LIMIT = 2 ** 39;

const SCALE = 10 ** AMOUNT_DECIMALS;

/**
 * True when `value` is the number a decimal with at most 4 places reads as.
 * Scaling and rounding finds the nearest such decimal; dividing it back gives
 * the double nearest to that decimal, which is `value` only if `value` was it.
 */
export function hasAtMostFourDecimals(value: number): boolean {
  return Math.round(value * SCALE) / SCALE === value;
}

/** An amount the API accepts: a finite number within AMOUNT_RANGE with at most 4 decimal places. */
export function isAmount(value: unknown): value is number {
  return typeof value === 'number' && value >= AMOUNT_RANGE.min && value <= AMOUNT_RANGE.max && hasAtMostFourDecimals(value);
}

/**
 * a - b for two figures with at most 4 decimal places, exact: in ten-thousandths, whole numbers that a JS number
 * holds exactly below 2^53. Subtracting the numbers themselves would not be (1 - 0.9 gives 0.09999999999999998).
 */
export function subtractFigures(a: number, b: number): number {
  return (Math.round(a * SCALE) - Math.round(b * SCALE)) / SCALE;
}
