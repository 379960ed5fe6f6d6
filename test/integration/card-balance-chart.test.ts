import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { figuresAt, units } from '../support/lot-model.ts';
import { manualClock } from '../support/clock.ts';
import { ADMIN_TOKEN, createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';
import { createUiUser, HTML, signIn, type UiSession } from '../support/ui.ts';

type Tenant = Awaited<ReturnType<typeof createTenant>>;

// Mid-June 2026: the chart's month ends are June 2025 to May 2026, then now.
const NOW = '2026-06-15T12:00:00.000Z';
const clock = manualClock(NOW);
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({}, { clock });
  await system.startWorker();
});
afterAll(async () => {
  await system?.close();
});
beforeEach(() => clock.set(NOW));

async function signedInTenant(mode: 'balance-only' | 'all-transaction', timeZone = 'Europe/Stockholm') {
  const tenant = await createTenant(system.app, { mode, definitions: [1] });
  const patched = await system.app.inject({
    method: 'PATCH',
    url: `/admin/v1/tenants/${tenant.id}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { timeZone },
  });
  expect(patched.statusCode, patched.body).toBe(200);
  const user = await createUiUser(system.app, tenant.id);
  const session = await signIn(system.app, { tenant: tenant.name, username: user.username, password: user.password });
  return { tenant, session };
}

async function transactions(tenant: Tenant, rows: object[]) {
  const response = await system.app.inject({ method: 'POST', url: '/api/v2/point-accounts/transactions', headers: tenant.headers, payload: rows });
  expect(response.statusCode, response.body).toBe(202);
  expect(response.json().notAccepted).toEqual([]);
  await waitForBatch(system.app, tenant.headers, response.json().id);
}

/** One balance per batch, in the order given: within one batch only the newest balance of an account is applied. */
async function balances(tenant: Tenant, contactId: string, pushes: [timeStamp: string, amount: number][]) {
  for (const [timeStamp, amount] of pushes) {
    const response = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: tenant.headers,
      payload: [{ contactId, definitionId: 1, amount, timeStamp }],
    });
    expect(response.statusCode, response.body).toBe(202);
    const status = await waitForBatch(system.app, tenant.headers, response.json().id);
    expect(status.status, JSON.stringify(status)).toBe('Completed');
  }
}

const card = async (session: UiSession, contactId: string) => {
  const response = await system.app.inject({ url: `/ui/contacts/${contactId}`, headers: { ...HTML, cookie: session.cookie } });
  expect(response.statusCode, response.body).toBe(200);
  return response.body;
};

/** The chart's figures as the page states them (the table in <details>), month by month, oldest first. */
function chartFigures(page: string): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const match of page.matchAll(/<tr data-month="([^"]+)" data-balance="(-?\d+)">/g)) figures[match[1]!] = Number(match[2]);
  return figures;
}

const svgOf = (page: string) => /<svg[^>]*role="img"[^>]*>[\s\S]*?<\/svg>/.exec(page)?.[0] ?? '';

describe('balance chart on the contact card', () => {
  it('balance-only: the balance the master set last by each month end, in the tenant time zone, and now', async () => {
    const { tenant, session } = await signedInTenant('balance-only');
    const contact = randomUUID();
    await balances(tenant, contact, [
      ['2025-09-10T10:00:00Z', 1200],
      ['2025-11-20T10:00:00Z', 1500],
      // 00:30 on 1 February in Stockholm: February's balance, not January's.
      ['2026-01-31T23:30:00Z', 1800],
      ['2026-03-20T10:00:00Z', 900],
      ['2026-04-05T10:00:00Z', 2000],
      ['2026-04-25T10:00:00Z', 1700],
      ['2026-06-01T10:00:00Z', 3100],
    ]);
    // Older than the balance the account holds: refused as stale, so it changes no month.
    const stale = await system.app.inject({
      method: 'POST',
      url: '/api/v2/point-accounts/balances',
      headers: tenant.headers,
      payload: [{ contactId: contact, definitionId: 1, amount: 5, timeStamp: '2026-02-15T10:00:00Z' }],
    });
    expect((await waitForBatch(system.app, tenant.headers, stale.json().id)).status).toBe('CompletedWithErrors');

    const page = await card(session, contact);
    // June to August 2025: no account yet, so no point (not a zero).
    expect(chartFigures(page)).toEqual({
      '2025-09': 1200,
      '2025-10': 1200,
      '2025-11': 1500,
      '2025-12': 1500,
      '2026-01': 1500,
      '2026-02': 1800,
      '2026-03': 900,
      '2026-04': 1700,
      '2026-05': 1700,
      now: 3100,
    });
    const svg = svgOf(page);
    expect(svg).toContain('Balance from 900 to 3,100 points over 9 months, now 3,100');
    expect(svg).toMatch(/<title id="[^"]+">Balance of Definition 1, last 12 months<\/title>/);
    // The first month and now on the time axis ("Sep" or "Sept", as the runtime's English abbreviates it).
    expect(svg).toMatch(/>Sept? 2025<\/text>/);
    expect(svg).toContain('>Now</text>');
    expect(svg).toContain('>3,100</text>');
    expect(svg).toContain('>900</text>');
    expect((svg.match(/<circle /g) ?? []).length).toBe(10);
    expect(page).toMatch(/<th scope="row">Sept? 2025<\/th><td>1,200<\/td>/);
  });

  it('all-transaction: what the ledger counts as active at each month end, leaving out expired and pending points', async () => {
    const { tenant, session } = await signedInTenant('all-transaction');
    const contact = randomUUID();
    const row = (amount: number, timeStamp: string, validTo?: string, validFrom = timeStamp) => ({
      contactId: contact,
      definitionId: 1,
      amount,
      source: amount > 0 ? 'Purchase' : 'Return',
      description: `${amount} at ${timeStamp}`,
      timeStamp,
      validFrom,
      ...(validTo ? { validTo } : {}),
    });
    await transactions(tenant, [
      row(1000, '2025-08-10T10:00:00.000Z'),
      // Lapses at midnight starting 1 February in Stockholm: still there at the end of January.
      row(500, '2025-10-05T10:00:00.000Z', '2026-01-31T23:00:00.000Z'),
      row(-200, '2025-12-15T10:00:00.000Z'),
      // Active from midnight starting 1 March in Stockholm: March's, not February's.
      row(400, '2026-02-28T23:00:00.000Z'),
      // Given in April, pending until July: in no point, not even now.
      row(300, '2026-04-10T10:00:00.000Z', undefined, '2026-07-01T00:00:00.000Z'),
      // Active in May, expired before now.
      row(250, '2026-05-02T10:00:00.000Z', '2026-06-10T10:00:00.000Z'),
    ]);

    const page = await card(session, contact);
    expect(chartFigures(page)).toEqual({
      '2025-08': 1000,
      '2025-09': 1000,
      '2025-10': 1500,
      '2025-11': 1500,
      '2025-12': 1300,
      '2026-01': 1300,
      // The return used 200 of the 500 (the soonest to expire): 300 of it expired, not 500.
      '2026-02': 1000,
      '2026-03': 1400,
      '2026-04': 1400,
      '2026-05': 1650,
      now: 1400,
    });
    // The last point is the balance the tile shows.
    expect(page).toMatch(/<span class="figure">1,400<\/span>/);
    expect(svgOf(page)).toContain('Balance from 1,000 to 1,650 points over 10 months, now 1,400');
  });

  it('all-transaction: the month-end balances equal the ledger rules applied entry by entry', async () => {
    const { tenant } = await signedInTenant('all-transaction', 'America/New_York');
    const contact = randomUUID();
    const start = Date.parse('2025-03-01T00:00:00Z');
    const span = Date.parse(NOW) + 60 * 86_400_000 - start;
    // A fixed spread of windows over fifteen months: endless, expiring, expired, pending, deductions.
    const rows = Array.from({ length: 300 }, (_, i) => {
      const from = start + Math.floor((((i * 7919) % 1000) / 1000) * span);
      const to = i % 3 === 0 ? null : from + ((i * 104729) % 200) * 86_400_000 + 3_600_000;
      return {
        contactId: contact,
        definitionId: 1,
        amount: i % 4 === 0 ? -((i % 50) + 1) : (i % 90) + 1,
        source: 'Purchase',
        description: `Entry ${i}`,
        timeStamp: new Date(from).toISOString(),
        validFrom: new Date(from).toISOString(),
        ...(to === null ? {} : { validTo: new Date(to).toISOString() }),
      };
    });
    await transactions(tenant, rows);
    const entries = rows.map((r, id) => ({
      id,
      amount: units(r.amount),
      validFrom: Date.parse(r.validFrom),
      validTo: r.validTo ? Date.parse(r.validTo) : null,
    }));
    const first = Math.min(...rows.map((r) => Date.parse(r.timeStamp)));

    const monthEnds = await system.runtime.db.ledger.monthEndBalances(tenant.id, contact, clock.now(), 'America/New_York');
    expect(monthEnds.map((m) => m.month)).toEqual([
      '2025-06',
      '2025-07',
      '2025-08',
      '2025-09',
      '2025-10',
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-04',
      '2026-05',
    ]);
    // Each month ends the millisecond before midnight on the 1st in New York (UTC-4 in summer, UTC-5 in winter).
    const zoneHours = [4, 4, 4, 4, 4, 5, 5, 5, 5, 4, 4, 4];
    monthEnds.forEach((monthEnd, i) => {
      const [year, month] = monthEnd.month.split('-').map(Number);
      expect(monthEnd.at.toISOString()).toBe(new Date(Date.UTC(year!, month, 1, zoneHours[i]) - 1).toISOString());
      expect(monthEnd.balance, monthEnd.month).toBe(
        monthEnd.at.getTime() >= first ? Number(figuresAt(entries, monthEnd.at.getTime(), true).balance) / 10_000 : null,
      );
    });
  });

  it('says so in words where the account has no month end behind it yet', async () => {
    const ledger = await signedInTenant('all-transaction');
    const fresh = randomUUID();
    await transactions(ledger.tenant, [{ contactId: fresh, definitionId: 1, amount: 75, source: 'Purchase', description: 'First purchase' }]);
    const page = await card(ledger.session, fresh);
    expect(page).toContain('data-testid="balance-chart-empty"');
    expect(page).toContain('No balance history yet');
    expect(page).not.toContain('data-testid="balance-chart"');
    expect(chartFigures(page)).toEqual({});

    const master = await signedInTenant('balance-only');
    const newcomer = randomUUID();
    await balances(master.tenant, newcomer, [['2026-06-02T08:00:00Z', 40]]);
    const balancePage = await card(master.session, newcomer);
    expect(balancePage).toContain('data-testid="balance-chart-empty"');
    expect(svgOf(balancePage)).toBe('');
  });

  it("never shows another tenant's history for the same contact id", async () => {
    const a = await signedInTenant('all-transaction');
    const b = await signedInTenant('all-transaction');
    const c = await signedInTenant('balance-only');
    const contact = randomUUID();
    await transactions(a.tenant, [
      {
        contactId: contact,
        definitionId: 1,
        amount: 300,
        source: 'Purchase',
        description: 'A',
        timeStamp: '2026-02-10T10:00:00.000Z',
        validFrom: '2026-02-10T10:00:00.000Z',
      },
    ]);
    await transactions(b.tenant, [
      {
        contactId: contact,
        definitionId: 1,
        amount: 9999,
        source: 'Purchase',
        description: 'B',
        timeStamp: '2025-07-10T10:00:00.000Z',
        validFrom: '2025-07-10T10:00:00.000Z',
      },
    ]);
    await balances(c.tenant, contact, [['2025-08-10T10:00:00Z', 7777]]);
    const c2 = await signedInTenant('balance-only');
    await balances(c2.tenant, contact, [['2025-06-10T10:00:00Z', 4444]]);

    const pageA = await card(a.session, contact);
    expect(chartFigures(pageA)).toEqual({ '2026-02': 300, '2026-03': 300, '2026-04': 300, '2026-05': 300, now: 300 });
    for (const other of ['9,999', '7,777', '4,444']) expect(pageA).not.toContain(other);

    const pageC = await card(c.session, contact);
    expect(Object.keys(chartFigures(pageC))).toHaveLength(11);
    expect(new Set(Object.values(chartFigures(pageC)))).toEqual(new Set([7777]));
    for (const other of ['9,999', '4,444']) expect(pageC).not.toContain(other);

    // A tenant where the contact has no account: no chart at all.
    const d = await signedInTenant('all-transaction');
    const pageD = await card(d.session, contact);
    expect(pageD).toContain('data-testid="no-accounts"');
    expect(chartFigures(pageD)).toEqual({});
    expect(pageD).not.toContain('data-testid="balance-chart-empty"');
  });
});
