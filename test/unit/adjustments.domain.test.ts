import { describe, expect, it } from 'vitest';
import { confirmationOf, confirmationThreshold, needsConfirmation } from '../../src/domain/adjustments.ts';

describe('needsConfirmation', () => {
  const max = 100_000;
  const form = (amount: number, confirmed?: string) => ({ definitionId: 1, direction: 'give', amount, confirmed });

  it('asks above a tenth of the limit, up to the limit, until that very form is confirmed', () => {
    expect(confirmationThreshold(max)).toBe(10_000);
    expect(needsConfirmation(form(10_000), max)).toBe(false);
    expect(needsConfirmation(form(10_001), max)).toBe(true);
    expect(needsConfirmation(form(100_000), max)).toBe(true);
    expect(needsConfirmation(form(100_000, confirmationOf(form(100_000))), max)).toBe(false);
  });

  it('asks again when anything confirmed changes, and leaves an amount above the limit to the service', () => {
    const confirmed = confirmationOf(form(50_000));
    expect(needsConfirmation(form(50_001, confirmed), max)).toBe(true);
    expect(needsConfirmation({ ...form(50_000, confirmed), direction: 'remove' }, max)).toBe(true);
    expect(needsConfirmation(form(100_001), max)).toBe(false);
  });
});
