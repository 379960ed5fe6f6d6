import type { z } from 'zod';
import type { delivery } from '../../contracts/integrations.ts';
import type { StreamPosition } from '../../services/sync.service.ts';
import { gapAlerting } from '../../domain/sync.ts';
import type { TenantRecord } from '../../domain/tenants.ts';
import { canReplay, DELIVERY_STATES, type DeliveryState } from '../../domain/deliveries.ts';
import { followedByLater, type ReconciliationRecord, reconciliationOutcome, unrepairedDrifts } from '../../domain/reconciliations.ts';
import { type AttentionReason, attentionReasons } from '../../domain/attention.ts';
import { OUTCOME_WORDS } from '../reconciliation-words.ts';
import { formatDuration, formatPoints, formatSignedPoints, zoneLabel } from '../format.ts';
import { timeElement } from '../time.ts';
import { barChart, perMinuteChart } from '../charts.ts';
import type { OperationsOverview, TenantHealth } from '../../services/operations.service.ts';
import { html, type SafeHtml } from '../html.ts';
import { page } from './layout.ts';
import { alert, csrfField, notice, pager, pill, type PillTone, problemBox, type ShownProblem } from '../kit.ts';

export interface QueueSummary {
  name: string;
  counts: Record<string, number> | null;
}

const COUNT_LABELS: [string, string][] = [
  ['waiting', 'Waiting'],
  ['active', 'Running'],
  ['delayed', 'Retrying later'],
  ['failed', 'Failed'],
];

export const adminNav = (current: 'home' | 'deliveries' | 'none') => [
  { href: '/ui/admin', label: 'Overview', current: current === 'home' },
  { href: '/ui/admin/deliveries', label: 'Webhook deliveries', current: current === 'deliveries' },
  { href: '/ui/admin/queues', label: 'Queues', current: false },
];

export const adminAccount = (csrfToken: string) => ({
  name: 'Operator',
  detail: 'signed in with the admin token',
  logoutAction: '/ui/admin/logout',
  csrfToken,
});

/**
 * A tenant's stream position: what has arrived, what is missing, and each of
 * the first gaps, in red once it is older than the alert age.
 */
function syncCell(state: StreamPosition | undefined, now: Date): SafeHtml | string {
  if (!state || state.highestSequence === 0) return html`<span class="hint">No sequences yet</span>`;
  const shown = state.gaps.slice(0, 5);
  return html`<span>through ${formatPoints(state.contiguousThrough)} of ${formatPoints(state.highestSequence)}</span>
    ${
      state.missingCount === 0
        ? html` ${pill('In step', 'active')}`
        : html` ${pill(`${formatPoints(state.missingCount)} missing`, state.alerting ? 'failed' : 'waiting')}
          <ul class="sync-gaps">
            ${shown.map((gap) => {
              const since = new Date(gap.since);
              const late = gapAlerting(since, now, state.gapAlertSeconds);
              return html`<li class="${late ? 'sync-gap sync-gap-alert' : 'sync-gap'}" data-alert="${late ? 'true' : 'false'}">
                ${gap.from === gap.to ? formatPoints(gap.from) : html`${formatPoints(gap.from)}–${formatPoints(gap.to)}`} missing for
                ${formatDuration(now.getTime() - since.getTime())}
              </li>`;
            })}
          </ul>`
    }`;
}

/** One tenant's row of the overview; red where a person is needed. */
function tenantHealthRow(row: TenantHealth, sync: StreamPosition | undefined, at: Date, reasons: AttentionReason[]): SafeHtml {
  const { tenant } = row;
  const needsPerson = reasons.length > 0;
  const deliveries = (state?: DeliveryState) => deliveriesUrl({ tenantId: tenant.id, state });
  return html`<tr class="${needsPerson ? 'needs-person-row' : ''}" data-tenant-id="${tenant.id}" data-needs-person="${String(needsPerson)}">
    <td data-label="Tenant"><a href="/ui/admin/tenants/${tenant.id}"><strong><bdi>${tenant.name}</bdi></strong></a><br /><span class="muted">${tenant.mode}${tenant.pointSystemActive ? '' : ' · point system off'}</span></td>
    <td data-label="Last push" class="${row.overdue ? 'needs-person' : ''}">${
      row.lastPushAt ? timeElement(row.lastPushAt, 'time', at) : html`<span class="muted">never</span>`
    }${row.overdue ? html`<br /><span data-testid="overdue">no push for over ${formatDuration((tenant.expectedPushMinutes ?? 0) * 60_000)}</span>` : ''}</td>
    <td data-label="Pushes (24 h)" class="num">${formatPoints(row.pushes)}</td>
    <td data-label="Items (24 h)" class="num">${formatPoints(row.items)}</td>
    <td data-label="Batches with errors (24 h)" class="num">${row.batchesWithErrors > 0 ? pill(formatPoints(row.batchesWithErrors), 'waiting') : '0'}</td>
    <td data-label="Deliveries waiting" class="num"><a href="${deliveries()}">${formatPoints(row.deliveriesWaiting)}</a></td>
    <td data-label="Deliveries failed" class="num">${
      row.deliveriesFailed > 0 ? html`<a class="needs-person" href="${deliveries('Failed')}">${formatPoints(row.deliveriesFailed)}</a>` : '0'
    }</td>
    <td data-label="Sync">${syncCell(sync, at)}</td>
  </tr>`;
}

/** Why a tenant needs a person, from its figures (domain/attention.ts decides). */
const reasonsOf = (row: TenantHealth, sync: StreamPosition | undefined, latest: ReconciliationRecord | undefined) =>
  attentionReasons({
    overdue: row.overdue,
    deliveriesFailed: row.deliveriesFailed,
    gapAlerting: sync?.alerting === true,
    unrepairedDrifts: latest ? unrepairedDrifts(latest) : 0,
  });

/** One tenant under "needs a person": each reason in words, with a link to where it is fixed. */
function attentionItem(row: TenantHealth, reasons: AttentionReason[], latest: ReconciliationRecord | undefined): SafeHtml {
  const { tenant } = row;
  const said: Record<AttentionReason, () => SafeHtml> = {
    'deliveries-failed': () =>
      html`<a href="${deliveriesUrl({ tenantId: tenant.id, state: 'Failed' })}">${formatPoints(row.deliveriesFailed)} webhook deliver${row.deliveriesFailed === 1 ? 'y' : 'ies'} failed</a>`,
    'push-overdue': () => html`no push for over ${formatDuration((tenant.expectedPushMinutes ?? 0) * 60_000)}`,
    'sequence-gap': () => html`sequences missing for longer than the alert age`,
    drift: () => {
      const n = latest ? unrepairedDrifts(latest) : 0;
      return html`<a href="/ui/admin/reconciliations/${tenant.id}/${latest?.id ?? ''}">${formatPoints(n)} account${n === 1 ? '' : 's'} differ from the master</a>
        (reconciliation as of ${latest ? timeElement(latest.asOf) : ''}), not repaired`;
    },
  };
  return html`<li data-tenant-id="${tenant.id}" data-reasons="${reasons.join(' ')}">
    <a href="/ui/admin/tenants/${tenant.id}"><strong><bdi>${tenant.name}</bdi></strong></a>:
    ${reasons.map((reason, i) => html`${i > 0 ? '; ' : ''}${said[reason]()}`)}
  </li>`;
}

export function adminHomePage(input: {
  csrfToken: string;
  queues: QueueSummary[];
  overview: OperationsOverview;
  syncStates: ReadonlyMap<string, StreamPosition>;
  reconciliations: LatestReconciliation[];
  /** Each tenant's latest completed reconciliation. */
  latestCompleted: ReadonlyMap<string, ReconciliationRecord>;
}): string {
  const { overview } = input;
  const rows = overview.tenants.map((row) => {
    const latest = input.latestCompleted.get(row.tenant.id);
    const sync = input.syncStates.get(row.tenant.id);
    return { row, sync, latest, reasons: reasonsOf(row, sync, latest) };
  });
  const needing = rows.filter((r) => r.reasons.length > 0);
  const attention = needing.length;
  const outcomes = overview.webhookOutcomes;
  return page(
    {
      title: 'Operations',
      nav: adminNav('home'),
      account: adminAccount(input.csrfToken),
    },
    html`<section class="card-head">
        <div>
          <p class="eyebrow">Operations</p>
          <h1>Overview</h1>
        </div>
        <p class="card-meta">
          <span class="muted">Read ${timeElement(overview.at)}</span> <span class="muted" data-testid="time-zone">${zoneLabel('UTC', overview.at)}</span>
          <a class="button" href="/ui/admin/tenants/new">Create a tenant</a>
          <a class="button button-primary" href="/ui/admin/queues">Open the queue dashboard</a>
        </p>
      </section>
      <section class="panel" aria-labelledby="tenants-title">
        <h2 id="tenants-title">Is every master still syncing?</h2>
        ${
          overview.tenants.length === 0
            ? html`<p class="empty">No tenants yet. <a href="/ui/admin/tenants/new">Create one</a> here, with the admin API or with <code>npm run cli -- tenants:create</code>.</p>`
            : html`${
                attention > 0
                  ? alert(
                      'error',
                      {
                        title: `${attention} tenant${attention === 1 ? ' needs' : 's need'} a person`,
                        body: html`<ul class="needs-person-list" data-testid="needs-person">${needing.map((r) => attentionItem(r.row, r.reasons, r.latest))}</ul>`,
                      },
                      { 'data-testid': 'attention' },
                    )
                  : html`<p class="hint" data-testid="attention">Nothing needs a person right now.</p>`
              }
              <div class="table-wrap">
              <table class="history">
                <thead><tr>
                  <th scope="col">Tenant</th><th scope="col">Last push</th><th scope="col" class="num">Pushes (24 h)</th><th scope="col" class="num">Items (24 h)</th>
                  <th scope="col" class="num">Batches with errors (24 h)</th><th scope="col" class="num">Deliveries waiting</th><th scope="col" class="num">Deliveries failed</th>
                  <th scope="col">Sync</th>
                </tr></thead>
                <tbody>${rows.map((r) => tenantHealthRow(r.row, r.sync, overview.at, r.reasons))}</tbody>
              </table>
            </div>
            <p class="hint">A tenant's name opens its page: its API keys and contact card users.</p>
            <p class="hint">Red: failed webhook deliveries, no push for longer than the tenant's expected interval (<code>expectedPushMinutes</code>, set with PATCH /admin/v1/tenants/{id}), sequences missing for longer than <code>SYNC_GAP_ALERT_SECONDS</code>, or accounts the latest reconciliation found differing and nobody repaired.</p>`
        }
      </section>
      <section class="panel" aria-labelledby="charts-title">
        <h2 id="charts-title">The last 24 hours</h2>
        ${perMinuteChart({
          title: 'Items applied per minute',
          from: overview.since,
          to: overview.at,
          points: overview.appliedPerMinute.map((p) => ({ minute: p.minute, value: p.applied })),
        })}
        ${barChart({
          title: 'Webhook outcomes: delivered and failed in the last 24 hours; retrying and waiting now',
          bars: [
            { label: 'Delivered', value: outcomes.delivered, tone: 'delivered' },
            { label: 'Retrying', value: outcomes.retrying, tone: 'waiting' },
            { label: 'Waiting', value: outcomes.waiting, tone: 'waiting' },
            { label: 'Failed', value: outcomes.failed, tone: 'failed' },
          ],
        })}
      </section>
      <section class="panel" aria-labelledby="queues-title">
        <h2 id="queues-title">Queues</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr><th scope="col">Queue</th>${COUNT_LABELS.map(([, label]) => html`<th scope="col" class="num">${label}</th>`)}</tr>
            </thead>
            <tbody>
              ${input.queues.map(
                (queue) => html`<tr>
                  <td data-label="Queue"><a href="/ui/admin/queues/queue/${encodeURIComponent(queue.name)}">${queue.name}</a></td>
                  ${
                    queue.counts
                      ? COUNT_LABELS.map(([key, label]) => html`<td data-label="${label}" class="num">${formatPoints(queue.counts?.[key] ?? 0)}</td>`)
                      : html`<td colspan="${COUNT_LABELS.length}">${pill('Redis unreachable', 'failed')}</td>`
                  }
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        <p class="hint">Postgres holds every batch; a job lost with Redis is queued again by the worker's recovery sweep.</p>
      </section>
      ${latestReconciliations(input.reconciliations)}`,
  );
}

/** A reconciliation on the overview, with its tenant's name. */
export type LatestReconciliation = ReconciliationRecord & { tenantName: string };

/** A reconciliation's outcome as a pill (green only when nothing is left differing). */
export function outcomePill(r: ReconciliationRecord, followed = false): SafeHtml {
  const outcome = reconciliationOutcome(r, followed);
  const words = OUTCOME_WORDS[outcome];
  return pill(words.label, words.tone, { 'data-outcome': outcome });
}

function latestReconciliations(items: LatestReconciliation[]): SafeHtml {
  const followed = followedByLater(items);
  return html`<section class="panel" aria-labelledby="reconciliations-title">
    <h2 id="reconciliations-title">Latest reconciliations</h2>
    ${
      items.length === 0
        ? html`<p class="empty">No reconciliation yet. A point master opens one with <code>POST /api/v2/point-accounts/reconciliations</code>.</p>`
        : html`<div class="table-wrap">
          <table data-testid="reconciliations">
            <thead>
              <tr>
                <th scope="col">Tenant</th><th scope="col">As of</th><th scope="col">Scope</th><th scope="col">Status</th>
                <th scope="col" class="num">Compared</th><th scope="col" class="num">Matched</th><th scope="col" class="num">Drifted</th>
                <th scope="col" class="num">Repaired</th><th scope="col"><span class="visually-hidden">Drifts</span></th>
              </tr>
            </thead>
            <tbody>
              ${items.map(
                (r) => html`<tr data-reconciliation-id="${r.id}">
                  <td data-label="Tenant"><bdi>${r.tenantName}</bdi></td>
                  <td data-label="As of">${timeElement(r.asOf)}</td>
                  <td data-label="Scope">${r.scope}${r.repair ? ' · repair' : ''}</td>
                  <td data-label="Status">${outcomePill(r, followed.has(r.id))}</td>
                  <td data-label="Compared" class="num">${formatPoints(r.compared)}</td>
                  <td data-label="Matched" class="num">${formatPoints(r.matched)}</td>
                  <td data-label="Drifted" class="num">${formatPoints(r.drifted)}</td>
                  <td data-label="Repaired" class="num">${r.repair ? formatPoints(r.repaired) : '—'}</td>
                  <td data-label="Drifts"><a href="/ui/admin/reconciliations/${r.tenantId}/${r.id}">Drifts</a></td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
    }
  </section>`;
}

/** A delivery as the admin API lists it (dates as ISO strings). */
type DeliveryRow = z.output<typeof delivery>;

/** The states as operators read them; the API's names stay in the address. */
const STATE_LABEL: Record<DeliveryState, string> = {
  AwaitingConfiguration: 'Waiting for a webhook URL',
  Pending: 'Pending',
  Retrying: 'Retrying',
  Delivered: 'Delivered',
  Failed: 'Failed',
};

const STATE_TONE: Record<DeliveryState, PillTone> = {
  AwaitingConfiguration: 'waiting',
  Pending: 'waiting',
  Retrying: 'waiting',
  Delivered: 'delivered',
  Failed: 'failed',
};

export function deliveriesUrl(view: { tenantId?: string | undefined; state?: DeliveryState | undefined; offset?: number }): string {
  const query = new URLSearchParams();
  if (view.tenantId) query.set('tenant', view.tenantId);
  if (view.state) query.set('state', view.state);
  if (view.offset) query.set('offset', String(view.offset));
  const qs = query.toString();
  return `/ui/admin/deliveries${qs ? `?${qs}` : ''}`;
}

export interface DeliveriesView {
  csrfToken: string;
  now: Date;
  tenants: TenantRecord[];
  tenant: TenantRecord | null;
  state: DeliveryState | undefined;
  list: { items: DeliveryRow[]; totalCount: number; offset: number; count: number } | null;
  notice?: string | null;
  problem?: ShownProblem | null;
}

function replayForm(view: DeliveriesView, action: string, fields: Record<string, string>, label: string, quiet: boolean): SafeHtml {
  return html`<form method="post" action="${action}" class="inline-form">
    ${csrfField(view.csrfToken)}
    ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
    <button type="submit" class="${quiet ? 'button button-quiet' : 'button button-primary'}">${label}</button>
  </form>`;
}

export function deliveriesPage(view: DeliveriesView): string {
  const { tenant, list } = view;
  const states: (DeliveryState | undefined)[] = [undefined, ...DELIVERY_STATES];
  return page(
    { title: 'Webhook deliveries', nav: adminNav('deliveries'), account: adminAccount(view.csrfToken) },
    html`<section class="card-head">
        <div>
          <p class="eyebrow">Operations</p>
          <h1>Webhook deliveries</h1>
        </div>
      </section>
      <section class="panel">
        <form method="get" action="/ui/admin/deliveries" class="search">
          <div class="field">
            <label for="tenant">Tenant</label>
            <div class="search-row">
              <select id="tenant" name="tenant">
                <option value="">Choose a tenant</option>
                ${view.tenants.map((t) => html`<option value="${t.id}" ${t.id === tenant?.id ? html`selected` : ''}>${t.name}</option>`)}
              </select>
              <button type="submit" class="button button-primary">Show deliveries</button>
            </div>
          </div>
        </form>
        ${view.notice ? notice(view.notice) : ''}
        ${problemBox(view.problem)}
      </section>
      ${
        tenant && list
          ? html`<section class="panel" aria-labelledby="deliveries-title" id="history">
            <div class="panel-head">
              <h2 id="deliveries-title"><bdi>${tenant.name}</bdi> <span class="muted" data-testid="time-zone">${zoneLabel(tenant.timeZone, view.now)}</span></h2>
              <nav class="segmented" aria-label="Delivery state">
                ${states.map(
                  (state) =>
                    html`<a href="${deliveriesUrl({ tenantId: tenant.id, state })}" ${state === view.state ? html`aria-current="true"` : ''}>${state ? STATE_LABEL[state] : 'All'}</a>`,
                )}
              </nav>
              ${replayForm(view, '/ui/admin/deliveries/replay-failed', { tenantId: tenant.id }, 'Replay all failed', false)}
            </div>
            ${
              list.items.length === 0
                ? html`<p class="empty">No deliveries${view.state ? ` in state “${STATE_LABEL[view.state]}”` : ''}.</p>`
                : html`<div class="table-wrap">
                  <table class="history">
                    <thead>
                      <tr>
                        <th scope="col">Created</th>
                        <th scope="col">Contact</th>
                        <th scope="col" class="num">Points</th>
                        <th scope="col">Source</th>
                        <th scope="col">State</th>
                        <th scope="col" class="num">Attempts</th>
                        <th scope="col">Last answer</th>
                        <th scope="col"><span class="visually-hidden">Action</span></th>
                      </tr>
                    </thead>
                    <tbody>
                      ${list.items.map((row) => {
                        const next = row.nextAttemptAt ? new Date(row.nextAttemptAt) : null;
                        return html`<tr data-delivery-id="${row.id}">
                          <td data-label="Created">${timeElement(new Date(row.createdAt), 'datetime', view.now, tenant.timeZone)}</td>
                          <td data-label="Contact"><code>${row.contactId}</code></td>
                          <td data-label="Points" class="num">${formatSignedPoints(row.amount)}</td>
                          <td data-label="Source">${row.source}</td>
                          <td data-label="State">${pill(STATE_LABEL[row.state], STATE_TONE[row.state])}${row.state === 'Retrying' && next ? html`<br /><span class="muted" data-testid="next-try">next try at ${timeElement(next, 'time', view.now, tenant.timeZone)}</span>` : ''}</td>
                          <td data-label="Attempts" class="num">${row.attempts}</td>
                          <td data-label="Last answer" class="description">${row.lastError ? html`<bdi>${row.lastError}</bdi>` : row.lastStatus ? `HTTP ${row.lastStatus}` : '—'}</td>
                          <td data-label="Action">${canReplay(row.state) ? replayForm(view, '/ui/admin/deliveries/replay', { tenantId: tenant.id, id: row.id }, 'Replay', true) : ''}</td>
                        </tr>`;
                      })}
                    </tbody>
                  </table>
                </div>`
            }
            ${pager(list, {
              label: 'Delivery pages',
              at: (offset) => deliveriesUrl({ tenantId: tenant.id, state: view.state, offset }),
              words: ['← Newer', 'Older →'],
            })}
          </section>`
          : html`<p class="empty">Choose a tenant to see its deliveries.</p>`
      }`,
  );
}
