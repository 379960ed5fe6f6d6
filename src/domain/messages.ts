import type { z } from 'zod';

/**
 * The message catalogue for people: every way a value can be refused, as the
 * end of a sentence that starts with the field's name ("Amount must be at
 * most 100,000"). The API's `errors[].message`, the pages and the CLI all read
 * these; the validator's own wording never reaches a person, and its issue
 * code travels beside the message (`errors[].code`) for programs.
 */

const count = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 4 });

/** A limit as people write it: thousands separated, dates as ISO dates. */
function limitText(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return count.format(value);
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** "A", "A or B", "A, B or C": the words of a closed list. */
export function orList(values: readonly unknown[]): string {
  const words = values.map((value) => (typeof value === 'string' ? `“${value}”` : String(value)));
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

const plural = (n: number | bigint, one: string, many: string) => `${limitText(n)} ${Number(n) === 1 ? one : many}`;

const KINDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object with named fields',
  date: 'a date',
  null: 'empty (null)',
};

const FORMATS: Record<string, string> = {
  uuid: 'must be a uuid, like 2f1c9a4e-0b7d-4c2e-9a51-6f3e8d2b7c10',
  guid: 'must be a uuid, like 2f1c9a4e-0b7d-4c2e-9a51-6f3e8d2b7c10',
  email: 'must be an email address',
  url: 'must be a web address (URL)',
  datetime: 'must be a date and time, like 2026-12-07T09:30:00Z',
  date: 'must be a date, like 2026-12-07',
  time: 'must be a time of day, like 09:30',
  base64: 'must be base64 text',
  base64url: 'must be base64url text',
};

type Sized = { origin: string; inclusive?: boolean | undefined };

function tooBig(issue: Sized & { maximum: unknown }): string {
  const max = issue.maximum as number | bigint;
  switch (issue.origin) {
    case 'string':
      return `must be at most ${plural(max, 'character', 'characters')}`;
    case 'array':
    case 'set':
      return `may hold at most ${plural(max, 'item', 'items')}`;
    case 'date':
      return `must be no later than ${limitText(max)}`;
    default:
      return issue.inclusive === false ? `must be less than ${limitText(max)}` : `must be at most ${limitText(max)}`;
  }
}

function tooSmall(issue: Sized & { minimum: unknown }): string {
  const min = issue.minimum as number | bigint;
  switch (issue.origin) {
    case 'string':
      return Number(min) <= 1 ? 'must not be empty' : `must be at least ${plural(min, 'character', 'characters')}`;
    case 'array':
    case 'set':
      return Number(min) <= 1 ? 'must hold at least one item' : `must hold at least ${plural(min, 'item', 'items')}`;
    case 'date':
      return `must be no earlier than ${limitText(min)}`;
    default:
      return issue.inclusive === false ? `must be more than ${limitText(min)}` : `must be at least ${limitText(min)}`;
  }
}

/** The sentence for one refusal the schema gave no words of its own. */
export function peopleMessage(issue: z.core.$ZodRawIssue): string {
  if (issue.input === undefined && issue.code !== 'unrecognized_keys' && issue.code !== 'custom') return 'is required';
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${KINDS[issue.expected] ?? issue.expected}`;
    case 'too_big':
      return tooBig(issue);
    case 'too_small':
      return tooSmall(issue);
    case 'invalid_format':
      if (issue.format === 'starts_with' && 'prefix' in issue) return `must start with “${String(issue.prefix)}”`;
      if (issue.format === 'ends_with' && 'suffix' in issue) return `must end with “${String(issue.suffix)}”`;
      if (issue.format === 'includes' && 'includes' in issue) return `must contain “${String(issue.includes)}”`;
      return FORMATS[issue.format] ?? 'is not in the form this field takes';
    case 'not_multiple_of':
      return `must be a multiple of ${limitText(issue.divisor)}`;
    case 'unrecognized_keys':
      return issue.keys.length === 1
        ? `has a field this request does not take: ${orList(issue.keys)}`
        : `has ${issue.keys.length} fields this request does not take: ${issue.keys.map((k) => `“${k}”`).join(', ')}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${orList(issue.values)}` : `must be one of ${orList(issue.values)}`;
    case 'invalid_union':
      return 'is not in any of the forms this field takes';
    case 'invalid_key':
      return 'has a key this field does not take';
    case 'invalid_element':
      return 'has a value this field does not take';
    default:
      return 'is not valid';
  }
}

/** The problem detail for refused fields: how many, and where. */
export function invalidFieldsDetail(fields: number, where: string): string {
  return fields === 1 ? `One field of the ${where} is not valid` : `${fields} fields of the ${where} are not valid`;
}

/** One issue per field, the first the schema found: a person reads one sentence per field, not every rule it broke. */
export function onePerField<T extends { path: string }>(issues: readonly T[]): T[] {
  const seen = new Set<string>();
  return issues.filter((issue) => !seen.has(issue.path) && seen.add(issue.path));
}
