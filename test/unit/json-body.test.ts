import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../src/plugins/json-body.ts';

/** How deep a parsed JSON value nests arrays and objects (a scalar is 0). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('nestsDeeperThan', () => {
  it('agrees with the depth of the parsed value, brackets and escapes inside strings included', () => {
    const text = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ' ') });
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(text, tie('node'), { maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 6 }), (parsed, max) => {
        expect(nestsDeeperThan(JSON.stringify(parsed), max)).toBe(depthOf(parsed) > max);
      }),
      { numRuns: 2000 },
    );
  });

  it('ends a string only at a quote with an even run of backslashes before it', () => {
    expect(nestsDeeperThan(String.raw`["\\", [[1]]]`, 2)).toBe(true);
    expect(nestsDeeperThan(String.raw`["\\\"[[[[", 1]`, 2)).toBe(false);
    expect(nestsDeeperThan(String.raw`["\\\\", [[1]]]`, 2)).toBe(true);
  });

  it('leaves an unterminated string to the parser', () => {
    expect(nestsDeeperThan('["abc [[[', 1)).toBe(false);
  });
});
