import type { Db } from './pool.ts';
import { countRow, parseFirstRow } from './rows.ts';

/** Which rows of a listing to answer, as Engage pages them. */
export interface PageRequest {
  offset: number;
  count: number;
}

/** One page of a listing, and how many rows the listing holds in all. */
export interface Page<T> {
  items: T[];
  totalCount: number;
}

/** A listing: `SELECT columns FROM from ORDER BY orderBy`, where `from` carries the joins and the WHERE. */
export interface Listing {
  columns: string;
  from: string;
  orderBy: string;
  /**
   * What the count reads when `from` joins more than the rows listed (a join
   * that computes figures per row); `from` otherwise. It may use the first
   * parameters only ($1 to $n of `params`): the rest are for `from`'s joins.
   */
  countFrom?: string;
}

/**
 * One page of a listing and its total, in one statement: the total is an
 * uncorrelated subquery that Postgres runs once, and the page still stops
 * reading at its last row (`count(*) OVER ()` would read every match in
 * full). Only a page past the end, which has no row to carry the total,
 * reads the count alone.
 */
export async function pageOf<Row extends object>(db: Db, listing: Listing, params: readonly unknown[], page: PageRequest): Promise<Page<Row>> {
  const counted = listing.countFrom ?? listing.from;
  const { rows } = await db.query<Row & { page_total?: number }>(
    `SELECT ${listing.columns}, (SELECT count(*) FROM ${counted}) AS page_total FROM ${listing.from}
      ORDER BY ${listing.orderBy} OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
    [...params, page.offset, page.count],
  );
  const first = rows[0];
  if (first === undefined) {
    if (page.offset === 0 && page.count > 0) return { items: [], totalCount: 0 };
    // Postgres refuses a parameter the statement never names, so the count alone takes only those it does.
    const named = Math.max(0, ...[...counted.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])));
    const { rows: alone } = await db.query(`SELECT count(*) AS n FROM ${counted}`, params.slice(0, named));
    return { items: [], totalCount: parseFirstRow(countRow, alone)?.n ?? 0 };
  }
  const totalCount = countRow.parse({ n: first.page_total }).n;
  for (const row of rows) delete row.page_total;
  return { items: rows, totalCount };
}
