import { describe, expect, it } from 'vitest';
import { contactSearch, emailKey, memberNumberKey, nameKey, phoneDigits, searchKeys } from '../../src/domain/contacts.ts';
import { loggedUrl } from '../../src/logger.ts';

describe('the search forms of contact details', () => {
  it('folds names to lower case without accents, one space between words', () => {
    expect(nameKey('  Åsa-Anna   LINDQVIST ')).toBe('asa anna lindqvist');
    expect(nameKey('Søren Æbeløe Straße')).toBe('soren aebeloe strasse');
    expect(nameKey("O'Brien, José")).toBe('o brien jose');
  });

  it('compares emails without case, and member numbers without case, spaces or hyphens', () => {
    expect(emailKey(' Anna.L@Example.COM ')).toBe('anna.l@example.com');
    expect(memberNumberKey('m-0042 17')).toBe('M004217');
  });

  it('keeps the digits of a phone number, an international prefix left off, and its last 8 as the tail', () => {
    expect(phoneDigits('+46 (0)70-123 45 67')).toBe('460701234567');
    expect(phoneDigits('0046 70 123 45 67')).toBe('46701234567');
    expect(phoneDigits('070-123 45 67')).toBe('0701234567');
    expect(searchKeys({ phone: '+46 70 123 45 67' })).toMatchObject({ phoneDigits: '46701234567', phoneTail: '01234567', nameKey: null });
  });
});

describe('what a search text is looked for as', () => {
  it('opens a contact id, looks up an address with "@" as an email', () => {
    expect(contactSearch(' 3FA85F64-5717-4562-B3FC-2C963F66AFA6 ')).toEqual({ kind: 'contactId', contactId: '3fa85f64-5717-4562-b3fc-2c963f66afa6' });
    expect(contactSearch('Anna@Example.com')).toEqual({ kind: 'email', emailKey: 'anna@example.com' });
    expect(contactSearch('   ')).toEqual({ kind: 'empty' });
  });

  it('tries digits as a member number and a phone number, and words as a name and a member number', () => {
    expect(contactSearch('070-123 45 67')).toEqual({
      kind: 'text',
      memberNumberKey: '0701234567',
      phone: { digits: '0701234567', ending: '701234567', tail: '01234567' },
      nameWords: null,
    });
    expect(contactSearch('10042')).toMatchObject({ memberNumberKey: '10042', phone: null, nameWords: null });
    expect(contactSearch('Lindqvist Åsa')).toMatchObject({ memberNumberKey: 'LINDQVISTÅSA', phone: null, nameWords: ['lindqvist', 'asa'] });
    // Without a word of three letters it is no name to search by (the index could not narrow it); it may still be a member number.
    expect(contactSearch('Ek')).toMatchObject({ nameWords: null, memberNumberKey: 'EK' });
    expect(contactSearch('Anna Ek')).toMatchObject({ nameWords: ['anna', 'ek'] });
  });
});

describe('log lines', () => {
  it('leave out the query of the card search address, and keep other addresses whole', () => {
    expect(loggedUrl('/ui/contacts?contactId=anna%40example.com')).toBe('/ui/contacts?[redacted]');
    expect(loggedUrl('/ui/contacts/3fa85f64-5717-4562-b3fc-2c963f66afa6?filter=Pending')).toBe(
      '/ui/contacts/3fa85f64-5717-4562-b3fc-2c963f66afa6?filter=Pending',
    );
    expect(loggedUrl('/ui/contacts')).toBe('/ui/contacts');
  });
});
