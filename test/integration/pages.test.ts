import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listing, pageOf } from '../../src/db/pages.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { TEST_POSTGRES_URL } from '../support/env.ts';

// pageOf is the one paging statement of every listing (accounts, ledger entries, deliveries, drifts, ...).
describe('a page of a listing and its total, in one statement', () => {
  let pool: Pool;
  let client: pg.PoolClient;
  const listing = (where: string): Listing => ({ columns: 'id, kind', from: `page_probe WHERE ${where}`, orderBy: 'id DESC' });

  beforeAll(async () => {
    pool = createPool(TEST_POSTGRES_URL, 1, pino({ level: 'silent' }));
    client = await pool.connect();
    await client.query('CREATE TEMP TABLE page_probe (id int PRIMARY KEY, kind text NOT NULL)');
    await client.query(`INSERT INTO page_probe SELECT i, CASE WHEN i % 3 = 0 THEN 'three' ELSE 'other' END FROM generate_series(1, 10) AS i`);
  });
  afterAll(async () => {
    client.release();
    await pool.end();
  });

  it('answers the rows of the page in order, without the total riding on them, and the total of all matches', async () => {
    const page = await pageOf<{ id: number; kind: string }>(client, listing('kind = $1'), ['other'], { offset: 2, count: 3 });
    expect(page).toEqual({
      items: [
        { id: 7, kind: 'other' },
        { id: 5, kind: 'other' },
        { id: 4, kind: 'other' },
      ],
      totalCount: 7,
    });
  });

  it('answers the total for a page past the end, which has no row to carry it', async () => {
    expect(await pageOf(client, listing('kind = $1'), ['three'], { offset: 3, count: 5 })).toEqual({ items: [], totalCount: 3 });
    expect(await pageOf(client, listing('kind = $1'), ['three'], { offset: 0, count: 0 })).toEqual({ items: [], totalCount: 3 });
  });

  it('answers 0 for a listing with no rows', async () => {
    expect(await pageOf(client, listing('kind = $1'), ['none'], { offset: 0, count: 5 })).toEqual({ items: [], totalCount: 0 });
  });

  it('counts countFrom when the listing joins more than the rows it lists, also past the end with parameters only the joins use', async () => {
    const joined: Listing = {
      columns: 'p.id, f.doubled',
      from: 'page_probe p CROSS JOIN LATERAL (SELECT p.id * 2 AS doubled) f WHERE p.id <= $1',
      countFrom: 'page_probe p WHERE p.id <= $1',
      orderBy: 'p.id',
    };
    expect(await pageOf(client, { ...joined, from: `${joined.from} AND $2::int > 0` }, [4, 1], { offset: 9, count: 2 })).toEqual({ items: [], totalCount: 4 });
    expect(await pageOf(client, joined, [4], { offset: 1, count: 2 })).toEqual({
      items: [
        { id: 2, doubled: 4 },
        { id: 3, doubled: 6 },
      ],
      totalCount: 4,
    });
  });
});
