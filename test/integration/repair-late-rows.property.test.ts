import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR, manualClock } from '../support/clock.ts';
import { figuresAt, type ModelRow, units } from '../support/lot-model.ts';
import { createTenant, startSystem, type TestSystem, waitForBatch } from '../support/system.ts';

/**
 * Issue 23 item 1, as a property: a point master over a link that drops
 * requests and sends some twice, re-sending what was lost at random moments,
 * and reconciling with repair at random moments as of an hour before. Once
 * everything has arrived, every balance the follower serves is the master's
 * (now, and after the lots have expired), and a Full reconciliation finds no
 * drift. All-transaction mode also holds, after every step, the follower's
 * served figures to the independent model (test/support/lot-model.ts) over
 * its own ledger, repairs counted as what is left of them after netting.
 *
 * The master's rows carry an externalId (so a row sent twice is applied
 * once), a sequence in half of the runs, and a validFrom in some rows (from
 * half the reconciliation lag before their timeStamp up to days after it):
 * a row the master records after a reconciliation never takes effect at or
 * before its asOf, which is what lets a late row be told from a new one.
 */
const clock = manualClock('2030-03-01T00:00:00.000Z');
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({}, { clock });
  await system.startWorker();
});
afterAll(() => system?.close());

type Tenant = Awaited<ReturnType<typeof createTenant>>;
const MINUTE = 60_000;
/** A reconciliation is as of this long before it runs. */
const LAG = HOUR;
const CONTACTS = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'] as const;
const RECONCILIATIONS = '/api/v2/point-accounts/reconciliations';

const inject = (tenant: Tenant, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  system.app.inject({ method, url, headers: tenant.headers, ...(payload === undefined ? {} : { payload: payload as object }) });

/** What the link does to a push: delivers it, loses it (the master keeps it in its outbox), or delivers it twice. */
const delivery = fc.constantFrom('delivered', 'delivered', 'lost', 'twice');

const clockStep = fc.record({ kind: fc.constant('clock' as const), by: fc.integer({ min: 10 * MINUTE, max: 3 * DAY }) });
const resendStep = fc.record({ kind: fc.constant('resend' as const), pick: fc.integer({ min: 0, max: 2 ** 20 }) });
const repairStep = fc.record({ kind: fc.constant('repair' as const) });

async function send(tenant: Tenant, url: string, rows: unknown[]) {
  if (rows.length === 0) return;
  const sent = await inject(tenant, 'POST', url, rows);
  expect(sent.statusCode, sent.body).toBe(202);
  const batch = await waitForBatch(system.app, tenant.headers, sent.json().id);
  expect(batch.status, JSON.stringify(batch)).toMatch(/^Completed/);
}

async function reconcile(tenant: Tenant, asOf: Date, repair: boolean, lines: { contactId: string; definitionId: number; balance: number }[]) {
  const opened = await inject(tenant, 'POST', RECONCILIATIONS, { asOf: asOf.toISOString(), scope: 'Full', repair });
  expect(opened.statusCode, opened.body).toBe(201);
  const id: string = opened.json().id;
  const listed = await inject(tenant, 'POST', `${RECONCILIATIONS}/${id}/accounts`, lines);
  expect(listed.statusCode, listed.body).toBe(200);
  expect((await inject(tenant, 'POST', `${RECONCILIATIONS}/${id}/complete`)).statusCode).toBe(202);
  const read = async () => (await inject(tenant, 'GET', `${RECONCILIATIONS}/${id}`)).json();
  await expect.poll(async () => (await read()).status, { timeout: 20_000 }).toBe('Completed');
  const result = await read();
  const drifts = (await inject(tenant, 'GET', `${RECONCILIATIONS}/${id}/drifts?count=100`)).json().items;
  return { result, drifts };
}

/** The accounts as served now, by contact. */
async function served(tenant: Tenant) {
  const figures = new Map<string, { balance: number; pendingPoints: number; balanceExpires: string | null }>();
  for (const contactId of CONTACTS) {
    const response = await inject(tenant, 'GET', `/api/v2/point-accounts?contactId=${contactId}`);
    expect(response.statusCode, response.body).toBe(200);
    const item = response.json().items[0];
    if (item) figures.set(contactId, { balance: item.balance, pendingPoints: item.pendingPoints, balanceExpires: item.balanceExpires ?? null });
  }
  return figures;
}

/** Which of the master's unsent pushes a resend step sends: the ones whose bit in `pick` is set (all of them at the end). */
const picked = (pick: number | 'all', index: number) => pick === 'all' || ((pick >> (index % 20)) & 1) === 1;

const points = (value: bigint) => Number(value) / 10_000;

describe('a repair never counts a row twice', () => {
  it('all-transaction: after everything arrives, served = master and a Full reconciliation finds 0 drift', async () => {
    const create = fc.record({
      kind: fc.constant('create' as const),
      account: fc.nat(1),
      amount: fc.integer({ min: -300, max: 500 }).filter((n) => n !== 0),
      /** validFrom relative to the timeStamp; left out of the row when null. */
      from: fc.option(fc.integer({ min: -LAG / 2, max: 3 * DAY }), { nil: null, freq: 2 }),
      /** How long the lot stays active; never expires when null. */
      length: fc.option(fc.integer({ min: MINUTE, max: 6 * DAY }), { nil: null, freq: 2 }),
      delivery,
    });
    const step = fc.oneof(
      { weight: 5, arbitrary: create },
      { weight: 3, arbitrary: clockStep },
      { weight: 1, arbitrary: resendStep },
      { weight: 2, arbitrary: repairStep },
    );
    type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;
    const lost = (amount: number, length: number | null = null): Step => ({ kind: 'create', account: 0, amount, from: null, length, delivery: 'lost' });
    const delivered = (amount: number): Step => ({ kind: 'create', account: 0, amount, from: null, length: null, delivery: 'delivered' });
    // Always tried first: Why case 1 (a lost row, repaired, then re-sent), and a lost lot that expires between two
    // repairs (the second repair takes back what the first added; the late lot offsets both).
    const examples: [boolean, Step[]][] = [
      [false, [delivered(100), lost(50), { kind: 'clock', by: 2 * HOUR }, { kind: 'repair' }, { kind: 'resend', pick: 0 }]],
      [
        true,
        [
          delivered(100),
          lost(50, 3 * HOUR),
          { kind: 'clock', by: 2 * HOUR },
          { kind: 'repair' },
          { kind: 'clock', by: DAY },
          { kind: 'repair' },
          delivered(-120),
          { kind: 'resend', pick: 0 },
        ],
      ],
    ];

    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(step, { minLength: 3, maxLength: 16 }), async (sequenced, steps) => {
        const tenant = await createTenant(system.app, { mode: 'all-transaction' });
        const url = '/api/v2/point-accounts/transactions';
        /** The master's rows in the order it recorded them, as first sent, with what the model needs. */
        const rows: { body: Record<string, unknown>; account: number; model: ModelRow }[] = [];
        const masterFigures = (account: number, at: number) =>
          figuresAt(
            rows.filter((r) => r.account === account).map((r) => r.model),
            at,
            true,
          );
        const resend = async (pick: number | 'all') => {
          const chosen = rows.filter((r, index) => picked(pick, index));
          // A resend repeats rows the follower has (duplicates) beside the lost ones, from the lowest, in requests of a few.
          for (let i = 0; i < chosen.length; i += 4)
            await send(
              tenant,
              url,
              chosen.slice(i, i + 4).map((r) => r.body),
            );
        };

        for (const s of steps) {
          clock.advance(1000);
          const now = clock.now().getTime();
          if (s.kind === 'create') {
            const n = rows.length + 1;
            const timeStamp = now;
            const validFrom = timeStamp + (s.from ?? 0);
            const validTo = s.length === null || s.amount < 0 ? null : validFrom + s.length;
            const body: Record<string, unknown> = {
              contactId: CONTACTS[s.account]!,
              definitionId: 1,
              amount: s.amount,
              source: s.amount > 0 ? 'Purchase' : 'Return',
              description: `Row ${n}`,
              timeStamp: new Date(timeStamp).toISOString(),
              externalId: `row-${n}`,
              ...(sequenced ? { sequence: n } : {}),
              ...(s.from === null ? {} : { validFrom: new Date(validFrom).toISOString() }),
              ...(validTo === null ? {} : { validTo: new Date(validTo).toISOString() }),
            };
            rows.push({ body, account: s.account, model: { id: n, amount: units(s.amount), validFrom, validTo } });
            if (s.delivery !== 'lost') await send(tenant, url, [body]);
            if (s.delivery === 'twice') await send(tenant, url, [body]);
          } else if (s.kind === 'clock') {
            clock.advance(s.by);
          } else if (s.kind === 'resend') {
            await resend(s.pick);
          } else {
            const asOf = now - LAG;
            const lines = CONTACTS.map((contactId, account) => ({ contactId, definitionId: 1, balance: points(masterFigures(account, asOf).balance) }));
            await reconcile(tenant, new Date(asOf), true, lines);
          }
          await expectLedgerModel(tenant);
        }

        await resend('all');
        const expectMaster = async () => {
          const now = clock.now().getTime();
          const figures = await served(tenant);
          for (const [account, contactId] of CONTACTS.entries()) {
            const master = masterFigures(account, now);
            const follower = figures.get(contactId);
            expect({ contactId, at: new Date(now).toISOString(), balance: follower?.balance ?? 0, pendingPoints: follower?.pendingPoints ?? 0 }).toEqual({
              contactId,
              at: new Date(now).toISOString(),
              balance: points(master.balance),
              pendingPoints: points(master.pendingPoints),
            });
          }
        };
        await expectMaster();
        const lines = CONTACTS.map((contactId, account) => ({
          contactId,
          definitionId: 1,
          balance: points(masterFigures(account, clock.now().getTime()).balance),
        }));
        const full = await reconcile(tenant, clock.now(), false, lines);
        expect({ drifted: full.result.drifted, drifts: full.drifts }).toEqual({ drifted: 0, drifts: [] });
        // Days later, with every lot expired or active: a repair taken over must not stand where the row's lot expired.
        clock.advance(10 * DAY);
        await expectMaster();
        await expectLedgerModel(tenant);
      }),
      { numRuns: 30, examples },
    );
  }, 600_000);

  it('balance-only: after everything arrives, served = master and a Full reconciliation finds 0 drift', async () => {
    const create = fc.record({ kind: fc.constant('create' as const), account: fc.nat(1), balance: fc.integer({ min: -100, max: 1000 }), delivery });
    const step = fc.oneof(
      { weight: 5, arbitrary: create },
      { weight: 2, arbitrary: clockStep },
      { weight: 2, arbitrary: resendStep },
      { weight: 2, arbitrary: repairStep },
    );

    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 14 }), async (steps) => {
        const tenant = await createTenant(system.app, { mode: 'balance-only' });
        const url = '/api/v2/point-accounts/balances';
        const pushes: { body: { contactId: string; definitionId: number; amount: number; timeStamp: string }; account: number; at: number }[] = [];
        /** The master's balance of an account at `at`: its last balance dated then or before (0 before any). */
        const masterAt = (account: number, at: number) => pushes.filter((p) => p.account === account && p.at <= at).at(-1)?.body.amount ?? 0;
        const resend = async (pick: number | 'all') => {
          const chosen = pushes.filter((_, index) => picked(pick, index));
          for (let i = 0; i < chosen.length; i += 4)
            await send(
              tenant,
              url,
              chosen.slice(i, i + 4).map((p) => p.body),
            );
        };

        for (const s of steps) {
          clock.advance(1000);
          const now = clock.now().getTime();
          if (s.kind === 'create') {
            const body = { contactId: CONTACTS[s.account]!, definitionId: 1, amount: s.balance, timeStamp: new Date(now).toISOString() };
            pushes.push({ body, account: s.account, at: now });
            if (s.delivery !== 'lost') await send(tenant, url, [body]);
            if (s.delivery === 'twice') await send(tenant, url, [body]);
          } else if (s.kind === 'clock') {
            clock.advance(s.by);
          } else if (s.kind === 'resend') {
            await resend(s.pick);
          } else {
            const asOf = now - LAG;
            const lines = CONTACTS.map((contactId, account) => ({ contactId, definitionId: 1, balance: masterAt(account, asOf) }));
            await reconcile(tenant, new Date(asOf), true, lines);
          }
        }

        await resend('all');
        const now = clock.now().getTime();
        const figures = await served(tenant);
        for (const [account, contactId] of CONTACTS.entries()) {
          expect({ contactId, balance: figures.get(contactId)?.balance ?? 0 }).toEqual({ contactId, balance: masterAt(account, now) });
        }
        const lines = CONTACTS.map((contactId, account) => ({ contactId, definitionId: 1, balance: masterAt(account, now) }));
        const full = await reconcile(tenant, clock.now(), false, lines);
        expect({ drifted: full.result.drifted, drifts: full.drifts }).toEqual({ drifted: 0, drifts: [] });
      }),
      { numRuns: 30 },
    );
  }, 600_000);
});

/**
 * Each account as served now equals the model over the follower's own
 * ledger: its rows and repairs, each repair counted as what is left of it
 * after netting; offset and Expiry entries are history, not rows.
 */
async function expectLedgerModel(tenant: Tenant) {
  const figures = await served(tenant);
  const now = clock.now().getTime();
  for (const contactId of CONTACTS) {
    const { rows } = await system.runtime.pool.query<{ id: number; amount: number; netted: number | null; validFrom: Date; validTo: Date | null }>(
      `SELECT e.id, e.amount, e.netted, e.valid_from AS "validFrom", e.valid_to AS "validTo"
         FROM ledger_entry e JOIN point_account a ON a.tenant_id = e.tenant_id AND a.id = e.account_id
        WHERE e.tenant_id = $1 AND a.contact_id = $2 AND e.type <> 'Expiry' AND e.offsets_entry_id IS NULL ORDER BY e.id`,
      [tenant.id, contactId],
    );
    const ledger: ModelRow[] = rows.map((r) => ({
      id: r.id,
      amount: units(r.amount),
      validFrom: r.validFrom.getTime(),
      validTo: r.validTo?.getTime() ?? null,
      ...(r.netted === null ? {} : { netted: units(r.netted) }),
    }));
    const model = figuresAt(ledger, now, true);
    const follower = figures.get(contactId);
    expect({ contactId, balance: follower?.balance ?? 0, pendingPoints: follower?.pendingPoints ?? 0 }).toEqual({
      contactId,
      balance: points(model.balance),
      pendingPoints: points(model.pendingPoints),
    });
  }
}
