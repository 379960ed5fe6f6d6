import { RECONCILIATION_DRIFTS_PAGE_SIZE } from '../../contracts/ui.ts';
import { DRIFT_KINDS, type DriftKind, type DriftRecord, type ReconciliationRecord } from '../../domain/reconciliations.ts';
import type { TenantRecord } from '../../domain/tenants.ts';
import { formatDateTime, formatPoints, formatSignedPoints } from '../format.ts';
import { html } from '../html.ts';
import { adminAccount, adminNav, RECONCILIATION_TONE } from './admin.page.ts';
import { page } from './layout.ts';

const pageUrl = (r: ReconciliationRecord, view: { kind?: DriftKind | undefined; offset?: number }) => {
  const query = new URLSearchParams();
  if (view.kind) query.set('kind', view.kind);
  if (view.offset) query.set('offset', String(view.offset));
  const qs = query.toString();
  return `/ui/admin/reconciliations/${r.tenantId}/${r.id}${qs ? `?${qs}` : ''}`;
};

/** One reconciliation for operators: its counts and its drifted accounts, by kind, a page at a time. */
export function reconciliationPage(view: {
  csrfToken: string;
  tenant: TenantRecord;
  reconciliation: ReconciliationRecord;
  kind: DriftKind | undefined;
  offset: number;
  drifts: { items: DriftRecord[]; totalCount: number };
}): string {
  const r = view.reconciliation;
  const { offset, kind } = view;
  const size = RECONCILIATION_DRIFTS_PAGE_SIZE;
  const kinds: (DriftKind | undefined)[] = [undefined, ...DRIFT_KINDS];
  return page(
    { title: `Reconciliation ${r.id}`, nav: adminNav('none'), account: adminAccount(view.csrfToken) },
    html`<section class="card-head">
        <div>
          <p class="eyebrow">Reconciliation · ${view.tenant.name}</p>
          <h1>As of ${formatDateTime(r.asOf)}</h1>
        </div>
        <p class="card-meta"><span class="pill pill-${RECONCILIATION_TONE[r.status]}">${r.status}</span> <code>${r.id}</code></p>
      </section>
      <section class="panel" aria-labelledby="counts-title">
        <h2 id="counts-title">Counts</h2>
        <dl class="account-tile-facts" data-testid="counts">
          <div><dt>Scope</dt><dd>${r.scope}${r.repair ? ' · repair' : ''}</dd></div>
          <div><dt>Listed</dt><dd>${formatPoints(r.listed)}</dd></div>
          <div><dt>Compared</dt><dd>${formatPoints(r.compared)}</dd></div>
          <div><dt>Matched</dt><dd>${formatPoints(r.matched)}</dd></div>
          ${DRIFT_KINDS.map((kind) => html`<div><dt>${kind}</dt><dd>${formatPoints(r.byKind[kind])}</dd></div>`)}
          <div><dt>Repaired</dt><dd>${formatPoints(r.repaired)}</dd></div>
        </dl>
        ${r.error ? html`<div class="alert alert-error"><p>${r.error}</p></div>` : ''}
      </section>
      <section class="panel" aria-labelledby="drifts-title">
        <div class="panel-head">
          <h2 id="drifts-title">Drifted accounts</h2>
          <nav class="segmented" aria-label="Drift kind">
            ${kinds.map((k) => html`<a href="${pageUrl(r, { kind: k })}" ${k === kind ? html`aria-current="true"` : ''}>${k ?? 'All'}</a>`)}
          </nav>
        </div>
        ${
          view.drifts.items.length === 0
            ? html`<p class="empty">No drifted accounts${kind ? ` of kind ${kind}` : ''}.</p>`
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
                      <td data-label="Contact"><code>${d.contactId}</code></td>
                      <td data-label="Definition" class="num">${d.definitionId}</td>
                      <td data-label="Kind">${d.kind}</td>
                      <td data-label="Master" class="num">${formatPoints(d.masterBalance)}</td>
                      <td data-label="Follower" class="num">${formatPoints(d.followerBalance)}</td>
                      <td data-label="Difference" class="num">${formatSignedPoints(d.difference)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        }
        <nav class="pager" aria-label="Drift pages">
          <p class="pager-status">
            ${view.drifts.items.length === 0 ? '' : `Showing ${offset + 1}–${offset + view.drifts.items.length} of ${formatPoints(view.drifts.totalCount)}`}
          </p>
          <div class="pager-links">
            ${offset > 0 ? html`<a class="button" rel="prev" href="${pageUrl(r, { kind, offset: Math.max(0, offset - size) })}">← Previous</a>` : ''}
            ${offset + size < view.drifts.totalCount ? html`<a class="button" rel="next" href="${pageUrl(r, { kind, offset: offset + size })}">Next →</a>` : ''}
          </div>
        </nav>
      </section>`,
  );
}
