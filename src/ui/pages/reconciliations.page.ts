import { RECONCILIATION_DRIFTS_PAGE_SIZE } from '../../contracts/ui.ts';
import {
  DRIFT_KINDS,
  type DriftKind,
  type DriftRecord,
  type ReconciliationRecord,
  reconciliationOutcome,
  unrepairedDrifts,
} from '../../domain/reconciliations.ts';
import type { TenantRecord } from '../../domain/tenants.ts';
import { formatPoints, formatSignedPoints, zoneLabel } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { DRIFT_KIND_WORDS } from '../reconciliation-words.ts';
import { timeElement } from '../time.ts';
import { adminAccount, adminNav, outcomePill } from './admin.page.ts';
import { page } from './layout.ts';
import { alert, csrfField, pager } from '../kit.ts';

export const reconciliationUrl = (r: Pick<ReconciliationRecord, 'tenantId' | 'id'>) => `/ui/admin/reconciliations/${r.tenantId}/${r.id}`;

const pageUrl = (r: ReconciliationRecord, view: { kind?: DriftKind | undefined; offset?: number }) => {
  const query = new URLSearchParams();
  if (view.kind) query.set('kind', view.kind);
  if (view.offset) query.set('offset', String(view.offset));
  const qs = query.toString();
  return `${reconciliationUrl(r)}${qs ? `?${qs}` : ''}`;
};

/** The reconciliation's head: where it stands in words, the zone of its times, and the repair action while accounts are left differing. */
function head(tenant: TenantRecord, r: ReconciliationRecord, now: Date, action: SafeHtml | string): SafeHtml {
  return html`<section class="card-head">
    <div>
      <p class="eyebrow">Reconciliation · <bdi>${tenant.name}</bdi></p>
      <h1>As of ${timeElement(r.asOf, 'datetime', now, tenant.timeZone)}</h1>
    </div>
    <p class="card-meta">${outcomePill(r)} <code class="long-id">${r.id}</code> <span class="muted" data-testid="time-zone">${zoneLabel(tenant.timeZone, now)}</span> ${action}</p>
  </section>`;
}

/** One reconciliation for operators: its counts and its drifted accounts, by kind, a page at a time. */
export function reconciliationPage(view: {
  csrfToken: string;
  now: Date;
  tenant: TenantRecord;
  reconciliation: ReconciliationRecord;
  kind: DriftKind | undefined;
  offset: number;
  drifts: { items: DriftRecord[]; totalCount: number };
  /** Set right after a repair was started from this page: the repair reconciliation's id. */
  repairedBy?: string | undefined;
}): string {
  const r = view.reconciliation;
  const { offset, kind, tenant } = view;
  const size = RECONCILIATION_DRIFTS_PAGE_SIZE;
  const kinds: (DriftKind | undefined)[] = [undefined, ...DRIFT_KINDS];
  const unrepaired = unrepairedDrifts(r);
  const repairLink =
    reconciliationOutcome(r) === 'drifted'
      ? html`<a class="button button-primary" href="${reconciliationUrl(r)}/repair" data-testid="repair">Repair these accounts</a>`
      : '';
  return page(
    { title: `Reconciliation ${r.id}`, nav: adminNav('none'), account: adminAccount(view.csrfToken) },
    html`${head(tenant, r, view.now, repairLink)}
      ${
        view.repairedBy
          ? alert(
              'success',
              {
                title: 'Repair started',
                body: html`<p>The drifted accounts were listed in a <a href="${reconciliationUrl({ tenantId: tenant.id, id: view.repairedBy })}">repair reconciliation</a>; the worker compares them again and brings each one still differing to the master's figure.</p>`,
              },
              { role: 'status', 'data-testid': 'repair-started' },
            )
          : ''
      }
      ${
        unrepaired > 0
          ? alert(
              'warning',
              {
                title: `${formatPoints(unrepaired)} account${unrepaired === 1 ? '' : 's'} differ${unrepaired === 1 ? 's' : ''} from the master and ${unrepaired === 1 ? 'was' : 'were'} not repaired`,
                body: html`<p>Check why below. “Repair these accounts” brings each to the master's figure as of this reconciliation's time, with an entry that says so.</p>`,
              },
              { 'data-testid': 'unrepaired' },
            )
          : ''
      }
      <section class="panel" aria-labelledby="counts-title">
        <h2 id="counts-title">Counts</h2>
        <dl class="account-tile-facts counts" data-testid="counts">
          <div><dt>Scope</dt><dd>${r.scope}${r.repair ? ' · repair' : ''}</dd></div>
          <div><dt>Listed</dt><dd>${formatPoints(r.listed)}</dd></div>
          <div><dt>Compared</dt><dd>${formatPoints(r.compared)}</dd></div>
          <div><dt>Matched</dt><dd>${formatPoints(r.matched)}</dd></div>
          ${DRIFT_KINDS.map((k) => html`<div><dt>${DRIFT_KIND_WORDS[k].name}</dt><dd>${formatPoints(r.byKind[k])}</dd></div>`)}
          <div><dt>Repaired</dt><dd>${formatPoints(r.repaired)}</dd></div>
        </dl>
        ${r.error ? alert('error', { body: html`<p><bdi>${r.error}</bdi></p>` }) : ''}
      </section>
      <section class="panel" aria-labelledby="drifts-title">
        <div class="panel-head">
          <h2 id="drifts-title">Drifted accounts</h2>
          <nav class="segmented segmented-wrap" aria-label="Drift kind">
            ${kinds.map((k) => html`<a href="${pageUrl(r, { kind: k })}" ${k === kind ? html`aria-current="true"` : ''}>${k ? DRIFT_KIND_WORDS[k].name : 'All'}</a>`)}
          </nav>
        </div>
        <dl class="legend" aria-label="What the kinds mean" data-testid="kind-legend">
          ${DRIFT_KINDS.map((k) => html`<div><dt>${DRIFT_KIND_WORDS[k].name}</dt><dd>${DRIFT_KIND_WORDS[k].sentence}</dd></div>`)}
        </dl>
        ${
          view.drifts.items.length === 0
            ? html`<p class="empty">No drifted accounts${kind ? ` of the kind “${DRIFT_KIND_WORDS[kind].name}”` : ''}.</p>`
            : html`<div class="table-wrap">
              <table data-testid="drifts">
                <thead>
                  <tr>
                    <th scope="col">Contact</th><th scope="col" class="num">Definition</th><th scope="col">Kind</th>
                    <th scope="col" class="num">Master</th><th scope="col" class="num">Follower</th><th scope="col" class="num">Difference</th>
                  </tr>
                </thead>
                <tbody>
                  ${view.drifts.items.map(
                    (d) => html`<tr>
                      <td data-label="Contact"><code class="long-id">${d.contactId}</code></td>
                      <td data-label="Definition" class="num">${d.definitionId}</td>
                      <td data-label="Kind" data-kind="${d.kind}">${DRIFT_KIND_WORDS[d.kind].name}</td>
                      <td data-label="Master" class="num">${formatPoints(d.masterBalance)}</td>
                      <td data-label="Follower" class="num">${formatPoints(d.followerBalance)}</td>
                      <td data-label="Difference" class="num">${formatSignedPoints(d.difference)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        }
        ${pager(
          { offset, count: size, totalCount: view.drifts.totalCount, items: view.drifts.items },
          { label: 'Drift pages', at: (at) => pageUrl(r, { kind, offset: at }), words: ['← Previous', 'Next →'] },
        )}
      </section>`,
  );
}

/** Asks before a repair: what it does, to how many accounts, as of when. */
export function repairConfirmPage(view: { csrfToken: string; now: Date; tenant: TenantRecord; reconciliation: ReconciliationRecord }): string {
  const r = view.reconciliation;
  const n = unrepairedDrifts(r);
  return page(
    { title: 'Repair drifted accounts', nav: adminNav('none'), account: adminAccount(view.csrfToken) },
    html`${head(view.tenant, r, view.now, '')}
      <section class="panel" aria-labelledby="repair-title">
        <h2 id="repair-title">Repair ${formatPoints(n)} drifted account${n === 1 ? '' : 's'}?</h2>
        <p>Each account this reconciliation found differing is brought to the master's figure as of
          ${timeElement(r.asOf, 'datetime', view.now, view.tenant.timeZone)}: ${
            view.tenant.mode === 'all-transaction'
              ? 'by one ledger entry per account (source Reconciliation), which the contact sees in their history.'
              : 'by a balance at that time (history source Reconciliation); a newer balance from the master still wins.'
          }</p>
        <p>This runs a new reconciliation with repair, through the same steps as the point master's API: accounts that match by now are left alone.</p>
        <form method="post" action="${reconciliationUrl(r)}/repair" class="form-actions">
          ${csrfField(view.csrfToken)}
          <button type="submit" class="button button-primary">Yes, repair these accounts</button>
          <a class="button" href="${reconciliationUrl(r)}">Cancel</a>
        </form>
      </section>`,
  );
}
