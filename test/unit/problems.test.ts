import { describe, expect, it } from 'vitest';
import { fieldPath } from '../../src/plugins/problems.ts';

describe('fieldPath', () => {
  it('names the item index and field of a body array', () => {
    expect(fieldPath('body', '/3/contactId')).toBe('[3].contactId');
  });
  it('names the query or path parameter', () => {
    expect(fieldPath('querystring', '/count')).toBe('query.count');
    expect(fieldPath('params', '/id')).toBe('params.id');
  });
  it('names the body itself for whole-body problems', () => {
    expect(fieldPath('body', '')).toBe('body');
  });
  it('walks nested objects', () => {
    expect(fieldPath('body', '/settings/url')).toBe('settings.url');
  });
});
