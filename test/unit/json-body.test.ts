import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan, nonFinitePath } from '../../src/plugins/json-body.ts';

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

describe('nonFinitePath', () => {
  const at = (text: string) => nonFinitePath(text, JSON.parse(text));

  it('names where a number too large for a double sits', () => {
    expect(at('[{"amount":7},{"amount":1e400}]')).toBe('[1].amount');
    expect(at('{"definitionId":-1e999}')).toBe('definitionId');
    expect(at('1E309')).toBe('body');
    expect(at(`[1${'0'.repeat(250)}e60]`)).toBe('[0]');
  });

  it('lets every finite number through, the largest included', () => {
    expect(at('[1.7976931348623157e308, -1e308, 1e-400, 5e-324]')).toBeNull();
    fc.assert(fc.property(fc.jsonValue(), (value) => nonFinitePath(JSON.stringify(value), value) === null));
  });
});
