/** One line of a contact's points log, as the master serves it (transactionDate: an ISO date-time with an offset). */
export interface PointsLogEntry {
  transactionDate: string;
  amount: number;
  description: string;
}

export const CONTACT_ID_PLACEHOLDER = '{contactId}';

/** The master's URL for one contact. The id is encoded, so it can sit in a path segment or a query value. */
export function pointsLogUrl(template: string, contactId: string): string {
  return template.replaceAll(CONTACT_ID_PLACEHOLDER, encodeURIComponent(contactId));
}

/** Newest first by the instant of transactionDate (offsets compared correctly); equal instants keep the master's order. */
export function newestFirst(entries: readonly PointsLogEntry[]): PointsLogEntry[] {
  return [...entries].sort((a, b) => Date.parse(b.transactionDate) - Date.parse(a.transactionDate));
}

/** `[2].amount`-style location of a problem inside the master's answer. */
export function answerPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out ? `.${String(segment)}` : String(segment);
  return out || 'the answer';
}
