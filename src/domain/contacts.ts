/**
 * How a contact's personal details are kept and found: the search form of
 * each (what a support agent types must meet what was stored), and what a
 * search text is looked for as. Pure: no I/O.
 */

export interface ContactDetails {
  displayName?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  memberNumber?: string | undefined;
}

/** The search forms stored beside the details (columns *_key of table contact). */
export interface ContactSearchKeys {
  nameKey: string | null;
  emailKey: string | null;
  phoneDigits: string | null;
  phoneTail: string | null;
  memberNumberKey: string | null;
}

/** A number typed in national form and one stored with its country code share at least their last 8 digits. */
const PHONE_TAIL_DIGITS = 8;
/** Fewer digits than this is not a phone number anyone would search by. */
export const PHONE_MIN_DIGITS = 7;
/**
 * A name is searched when one of its words has this many characters: the
 * trigram index narrows by three-letter pieces, so shorter words alone would
 * read every contact of the tenant ("Anna Ek" is fine, "Ek" alone is not).
 */
const NAME_WORD_MIN_CHARS = 3;
/** The most contacts one search lists. */
export const SEARCH_LIMIT = 20;

/** Letters NFKD does not take apart, spelt as people type them without the accent. */
const FOLDED: Record<string, string> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/** Lower case, accents and marks taken off, anything but letters and digits a single space: "Åsa  Ek-Lund" -> "asa ek lund". */
export function nameKey(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[øæœßłđðþı]/g, (letter) => FOLDED[letter] ?? letter)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export const emailKey = (email: string): string => email.trim().toLowerCase();

/** The digits of a phone number, an international "00" or "+" prefix left off: "+46 70-123 45 67" -> "46701234567". */
export function phoneDigits(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return phone.trim().startsWith('+') ? digits : digits.replace(/^00/, '');
}

/** Member numbers are compared without case, spaces or hyphens, as printed on cards ("M-0012 34" = "m001234"). */
export const memberNumberKey = (memberNumber: string): string => memberNumber.replace(/[\s-]/g, '').toUpperCase();

export function searchKeys(details: ContactDetails): ContactSearchKeys {
  const digits = details.phone === undefined ? null : phoneDigits(details.phone);
  return {
    nameKey: details.displayName === undefined ? null : nameKey(details.displayName),
    emailKey: details.email === undefined ? null : emailKey(details.email),
    phoneDigits: digits,
    phoneTail: digits === null ? null : digits.slice(-PHONE_TAIL_DIGITS),
    memberNumberKey: details.memberNumber === undefined ? null : memberNumberKey(details.memberNumber),
  };
}

/**
 * What a search text is looked for as. A contact id opens its card; an
 * address with "@" is an email; anything else is a member number, a phone
 * number when it is one (digits, spaces, "+", "-", "(", ")", ".", and at
 * least 7 digits) and a name when it has a letter; all of them at once, since
 * "10042" may be a member number and "Anna 2" a name.
 */
export type ContactSearch =
  | { kind: 'contactId'; contactId: string }
  | { kind: 'email'; emailKey: string }
  | {
      kind: 'text';
      memberNumberKey: string;
      /** Phone: the digits as typed, and those that must end the stored number (the national form, its leading 0 left off). */
      phone: { digits: string; ending: string; tail: string } | null;
      /** Name: every word must appear in the name; null when the text is no name. */
      nameWords: string[] | null;
    }
  | { kind: 'empty' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PHONE_LIKE = /^\+?[\d\s().-]+$/;

export function contactSearch(text: string): ContactSearch {
  const value = text.trim();
  if (value === '') return { kind: 'empty' };
  if (UUID.test(value)) return { kind: 'contactId', contactId: value.toLowerCase() };
  if (value.includes('@')) return { kind: 'email', emailKey: emailKey(value) };
  const digits = phoneDigits(value);
  const phone =
    PHONE_LIKE.test(value) && digits.length >= PHONE_MIN_DIGITS ? { digits, ending: digits.replace(/^0+/, ''), tail: digits.slice(-PHONE_TAIL_DIGITS) } : null;
  const key = nameKey(value);
  const words = key === '' ? [] : key.split(' ');
  const nameWords = /\p{L}/u.test(value) && words.some((word) => word.length >= NAME_WORD_MIN_CHARS) ? words : null;
  return { kind: 'text', memberNumberKey: memberNumberKey(value), phone, nameWords };
}

/** How a contact was found, in the words of the results list. */
export type SearchMatch = 'email' | 'phone' | 'memberNumber' | 'name';
