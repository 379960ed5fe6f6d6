import { subtractFigures } from './amounts.ts';

/**
 * The member level rules, without I/O. db/levels.repository.ts computes the
 * qualifying figure in SQL with the same filters; the property test holds this
 * to a straightforward model.
 *
 * Assumptions (docs/member-levels.md says the same):
 * - An entry counts by its transactionDate (the master's timeStamp), not by
 *   validFrom/validTo: points earned stay earned when they expire or are spent.
 * - The window at time `at` is [from, at], both ends included; entries dated
 *   after `at` count once their time comes. Rolling: `from` is `at` minus N
 *   calendar months in UTC (the 31st falls back to the month's last day).
 *   CalendarYear: `from` is 1 January 00:00 of at's year in the tenant's time
 *   zone, and the window ends at the next 1 January 00:00 there.
 * - PointsEarned counts the amounts of positive Addition entries except those
 *   with source Reconciliation or OpeningBalance; returns (Deductions) do not
 *   lower it. Purchases counts entries with source Purchase minus those with
 *   source Return, whatever their amounts.
 * - A threshold is met when the figure is equal to it or above. The first
 *   level (threshold 0) is the floor: a negative figure (more returns than
 *   purchases) still holds it.
 */
export const LEVEL_BASES = ['PointsEarned', 'Purchases'] as const;
export type LevelBasis = (typeof LEVEL_BASES)[number];

export type LevelWindow = { type: 'Rolling'; months: number } | { type: 'CalendarYear' };

export interface Level {
  key: string;
  name: string;
  threshold: number;
}

export interface Ladder {
  definitionId: number;
  basis: LevelBasis;
  window: LevelWindow;
  levels: Level[];
  /** Send loyalty.levelChanged webhooks to the master. */
  announce: boolean;
}

/** Why a change was recorded: a batch moved the ledger, time moved the window, or the operator changed the ladder. */
export const LEVEL_CHANGE_REASONS = ['Transactions', 'WindowMoved', 'LadderChanged'] as const;
export type LevelChangeReason = (typeof LEVEL_CHANGE_REASONS)[number];

/** Sources that carry points the contact did not earn: a drift repair, a balance carried over from balance-only mode. */
const NOT_EARNED_SOURCES: readonly string[] = ['Reconciliation', 'OpeningBalance'];

export interface LevelEntry {
  type: 'Addition' | 'Deduction' | 'Expiry';
  amount: number;
  source: string;
  transactionDate: Date;
}

/** What one entry adds to the qualifying figure, wherever it falls in time. */
export function contribution(basis: LevelBasis, entry: Omit<LevelEntry, 'transactionDate'>): number {
  if (basis === 'Purchases') return entry.source === 'Purchase' ? 1 : entry.source === 'Return' ? -1 : 0;
  return entry.type === 'Addition' && entry.amount > 0 && !NOT_EARNED_SOURCES.includes(entry.source) ? entry.amount : 0;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** An IANA time zone name this runtime knows ("Europe/Stockholm", "UTC"). */
export function isTimeZone(name: string): boolean {
  try {
    zoneFormat(name);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `at` in `timeZone`. */
function wallClock(at: Date, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const fields: Record<string, number> = {};
  for (const part of zoneFormat(timeZone).formatToParts(at)) if (part.type !== 'literal') fields[part.type] = Number(part.value);
  return { year: fields.year!, month: fields.month!, day: fields.day!, hour: fields.hour!, minute: fields.minute!, second: fields.second! };
}

/** How far `timeZone` is ahead of UTC at `at`, in ms. */
function zoneOffsetMs(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone);
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wallAsUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant of 1 January `year`, 00:00 on the wall clock of `timeZone`. */
export function startOfYear(year: number, timeZone: string): Date {
  const wall = new Date(0);
  wall.setUTCFullYear(year, 0, 1);
  // The offset at a guess, then at the instant that guess gives: exact unless midnight itself is skipped by a DST jump.
  const first = wall.getTime() - zoneOffsetMs(wall, timeZone);
  return new Date(wall.getTime() - zoneOffsetMs(new Date(first), timeZone));
}

/** `at` moved by `months` calendar months in UTC, the day clamped to the target month's last day. */
export function addMonthsUtc(at: Date, months: number): Date {
  const total = at.getUTCFullYear() * 12 + at.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month + 1, 0);
  const result = new Date(at.getTime());
  result.setUTCFullYear(year, month, Math.min(at.getUTCDate(), lastDay.getUTCDate()));
  return result;
}

export interface WindowSpan {
  /** The earliest transactionDate that counts. */
  from: Date;
  /** Where the window ends: the reading time for a rolling window, the next 1 January for a calendar year. */
  to: Date;
}

export function windowAt(window: LevelWindow, at: Date, timeZone: string): WindowSpan {
  if (window.type === 'Rolling') return { from: addMonthsUtc(at, -window.months), to: at };
  const year = wallClock(at, timeZone).year;
  let from = startOfYear(year, timeZone);
  // Within a second of midnight the wall clock's year can be one ahead of the instant; step back if so.
  if (from.getTime() > at.getTime()) from = startOfYear(year - 1, timeZone);
  return { from, to: startOfYear(wallClock(from, timeZone).year + 1, timeZone) };
}

/** Whether an entry dated `date` counts in `span` read at `at`. */
function inWindow(date: Date, span: WindowSpan, at: Date): boolean {
  return date.getTime() >= span.from.getTime() && date.getTime() <= at.getTime();
}

/** The index of the highest level whose threshold `qualifying` meets; the first level is the floor. */
export function levelIndex(levels: readonly Level[], qualifying: number): number {
  let index = 0;
  for (let i = 1; i < levels.length; i++) if (qualifying >= levels[i]!.threshold) index = i;
  return index;
}

export interface MemberLevel {
  level: Level;
  qualifying: number;
  window: WindowSpan;
  next: (Level & { remaining: number }) | null;
}

/** The level a qualifying figure gives, and what the next level still needs. */
export function levelFor(ladder: Pick<Ladder, 'levels'>, qualifying: number, window: WindowSpan): MemberLevel {
  const index = levelIndex(ladder.levels, qualifying);
  const next = ladder.levels[index + 1];
  return {
    level: ladder.levels[index]!,
    qualifying,
    window,
    next: next ? { ...next, remaining: subtractFigures(next.threshold, qualifying) } : null,
  };
}

/** A contact's level at `at`, from its entries on the ladder's definition. */
export function memberLevel(entries: Iterable<LevelEntry>, ladder: Ladder, at: Date, timeZone: string): MemberLevel {
  const span = windowAt(ladder.window, at, timeZone);
  let qualifying = 0;
  for (const entry of entries) if (inWindow(entry.transactionDate, span, at)) qualifying += contribution(ladder.basis, entry);
  return levelFor(ladder, qualifying, span);
}

/** The ladder's rules beyond field types: at least one level, the first at 0, thresholds strictly increasing, keys unique. */
export function ladderProblems(levels: readonly Level[]): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (levels.length === 0) return [{ path: ['levels'], message: 'must hold at least one level' }];
  if (levels[0]!.threshold !== 0) problems.push({ path: ['levels', 0, 'threshold'], message: 'must be 0: the first level is where every contact starts' });
  const seen = new Set<string>();
  levels.forEach((level, i) => {
    if (i > 0 && level.threshold <= levels[i - 1]!.threshold) {
      problems.push({ path: ['levels', i, 'threshold'], message: `must be greater than the threshold before it (${levels[i - 1]!.threshold})` });
    }
    if (seen.has(level.key)) problems.push({ path: ['levels', i, 'key'], message: `duplicates key ${level.key}` });
    seen.add(level.key);
  });
  return problems;
}

export const LEVEL_CHANGED_EVENT = 'loyalty.levelChanged' as const;

/** A recorded change as the webhook announces it. */
export interface LevelChangeEvent {
  contactId: string;
  fromKey: string;
  toKey: string;
  changedAt: Date;
  reason: LevelChangeReason;
}

/** The decrypted payload of a loyalty.levelChanged webhook, in the PascalCase of Engage's webhook payloads; levels by key. */
export function levelChangedPayload(change: LevelChangeEvent): Record<string, string> {
  return {
    ContactId: change.contactId,
    FromLevel: change.fromKey,
    ToLevel: change.toKey,
    ChangedAt: change.changedAt.toISOString(),
    Reason: change.reason,
  };
}
