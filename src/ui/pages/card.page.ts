import { randomUUID } from 'node:crypto';
import type { TransactionFilter } from '../../contracts/transactions.ts';
import type { LedgerEntryRecord } from '../../domain/ledger.ts';
import { entryState } from '../../domain/ledger.ts';
import type { CardAccount, CardAdjustment, CardDrift, ContactCard, LedgerHistory, PointsLogHistory } from '../../services/contact-card.service.ts';
import type { SignedInUser } from '../../services/ui-auth.service.ts';
import type { TenantRecord } from '../../domain/tenants.ts';
import { REASON_MAX_CHARS } from '../../contracts/ui.ts';
import { adjustmentStatus } from '../adjustment-status.ts';
import { balanceChart } from '../charts.ts';
import { formatPoints, formatSignedPoints, relativeTime } from '../format.ts';
import { timeElement } from '../time.ts';
import { html, type SafeHtml } from '../html.ts';
import { page, problemBox, type ShownProblem, technicalDetails } from './layout.ts';
import { memberLevelPanel } from './member-level.partial.ts';

const FILTERS: TransactionFilter[] = ['All', 'Active', 'Pending'];

export interface CardView {
  definition?: number | undefined;
  filter?: TransactionFilter | undefined;
  offset?: number | undefined;
}

/** The card's address for a view; defaults are left out so links stay short. */
export function cardUrl(contactId: string, view: CardView = {}): string {
  const query = new URLSearchParams();
  if (view.definition !== undefined) query.set('definition', String(view.definition));
  if (view.filter && view.filter !== 'All') query.set('filter', view.filter);
  if (view.offset) query.set('offset', String(view.offset));
  const qs = query.toString();
  return `/ui/contacts/${encodeURIComponent(contactId)}${qs ? `?${qs}` : ''}`;
}

const time = (at: Date, format: 'date' | 'datetime' = 'datetime') => timeElement(at, format);

/** The labels of the adjustment form's fields, so an error names the field as the form shows it. */
const ADJUSTMENT_LABELS: Record<string, string> = {
  definitionId: 'Point definition',
  direction: 'Change',
  amount: 'Amount',
  description: 'Reason',
  idempotencyKey: 'Form',
  confirmed: 'Form',
};

/** Problem details as the card shows them: a heading for people, each field by its label. */
export function adjustmentProblem(problem: ShownProblem): ShownProblem {
  return {
    title: 'The points were not sent',
    detail: problem.detail,
    errors: problem.errors?.map((error) => ({ ...error, label: ADJUSTMENT_LABELS[error.path] ?? error.path })),
  };
}

/**
 * The card asks to confirm an adjustment above a tenth of the tenant's limit
 * (10,000 points with the default limit of 100,000): large enough that daily
 * goodwill gestures go straight through, small enough to catch an extra zero.
 */
export const confirmationThreshold = (maxAdjustmentPoints: number) => Math.floor(maxAdjustmentPoints / 10);

/** What a confirmation confirms: change anything and the card asks again. */
export const confirmationOf = (form: { definitionId: number; direction: string; amount: number }) => `${form.direction}:${form.amount}:${form.definitionId}`;

function chromeFor(user: SignedInUser, csrfToken: string) {
  return {
    account: { name: user.displayName, detail: `${user.username} · ${user.tenant.name}`, logoutAction: '/ui/logout', csrfToken },
  };
}

function searchForm(value: string, problem: ShownProblem | null | undefined, prominent: boolean): SafeHtml {
  return html`<form class="${prominent ? 'search search-prominent' : 'search search-compact'}" method="get" action="/ui/contacts" role="search">
    <div class="field">
      <label for="contactId">Contact id</label>
      <div class="search-row">
        <input id="contactId" name="contactId" value="${value}" required spellcheck="false" autocomplete="off" ${prominent ? html`autofocus` : ''}
          placeholder="e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6" aria-describedby="contactId-hint${problem ? ' search-error' : ''}"
          ${problem ? html`aria-invalid="true"` : ''} />
        <button type="submit" class="button button-primary">Open card</button>
      </div>
      <p class="${prominent ? 'hint' : 'visually-hidden'}" id="contactId-hint">The Engage contact id (a uuid), as shown on the contact in Engage.</p>
    </div>
    ${problemBox(problem, 'search-error')}
  </form>`;
}

export function searchPage(input: { user: SignedInUser; csrfToken: string; value?: string; problem?: ShownProblem | null }): string {
  return page(
    { title: 'Find a contact', ...chromeFor(input.user, input.csrfToken) },
    html`<section class="panel hero">
      <h1>Find a contact</h1>
      <p class="muted">Open a customer's card to see how many points they have, why, and when they expire.</p>
      ${searchForm(input.value ?? '', input.problem, true)}
    </section>`,
  );
}

function accountTile(card: ContactCard, account: CardAccount, selected: boolean): SafeHtml {
  const expires = account.balanceExpires;
  return html`<li>
    <a class="${selected ? 'account-tile is-selected' : 'account-tile'}" href="${cardUrl(card.contactId, { definition: account.definitionId })}"
      ${selected ? html`aria-current="true"` : ''} data-definition-id="${account.definitionId}">
      <span class="account-tile-name">${account.definitionName}</span>
      <span class="account-tile-balance" data-testid="balance"><span class="figure">${formatPoints(account.balance)}</span> <span class="unit">points</span></span>
      <dl class="account-tile-facts">
        <div><dt>Pending</dt><dd data-testid="pending">${formatPoints(account.pendingPoints)}</dd></div>
        <div>
          <dt>Next expiry</dt>
          <dd data-testid="expiry">${
            expires
              ? html`${account.expiringPoints === undefined ? '' : html`<span data-testid="expiring-points">${formatPoints(account.expiringPoints)} points</span> on `}${time(expires)} <span class="muted">(${relativeTime(expires, card.readAt)})</span>`
              : html`<span class="muted">None</span>`
          }</dd>
        </div>
        ${account.expiringWithin90Days > 0 ? expiringSoon(account) : ''}
      </dl>
      ${account.drift ? driftNote(account.drift) : ''}
    </a>
    ${accountChart(account)}
  </li>`;
}

/** What is left of the lots that expire within 30, 60 and 90 days (each includes the shorter), as programmes show customers. */
function expiringSoon(account: CardAccount): SafeHtml {
  return html`<div>
    <dt>Expiring soon</dt>
    <dd data-testid="expiring-soon">
      ${formatPoints(account.expiringWithin30Days)} within 30 days, ${formatPoints(account.expiringWithin60Days)} within 60,
      ${formatPoints(account.expiringWithin90Days)} within 90
    </dd>
  </div>`;
}

/** The account's balance over the last twelve months, beside its tile (a chart with a table of figures is no part of a link). */
function accountChart(account: CardAccount): SafeHtml {
  return html`<div class="account-chart" data-definition-id="${account.definitionId}">
    ${
      account.balanceChart
        ? balanceChart({ id: `balance-chart-${account.definitionId}`, name: account.definitionName, series: account.balanceChart })
        : html`<p class="account-chart-empty" data-testid="balance-chart-empty">No balance history yet: the chart starts once the account has been through a month end.</p>`
    }
  </div>`;
}

/** The latest reconciliation found this account's balance differing from the master's, as of its asOf. */
function driftNote(drift: CardDrift): SafeHtml {
  return html`<span class="account-tile-drift" data-testid="drift">
    <strong>Drifted${drift.repaired ? ' (repaired)' : ''}</strong> at reconciliation as of ${time(drift.asOf)}:
    master <span data-testid="drift-master">${formatPoints(drift.masterBalance)}</span>, follower
    <span data-testid="drift-follower">${formatPoints(drift.followerBalance)}</span>
  </span>`;
}

/** Accounts the master reported at the latest reconciliation that the follower has no account for. */
function missingAccountsNote(card: ContactCard): SafeHtml | string {
  if (card.missingAccounts.length === 0) return '';
  return html`<div class="alert alert-warning" data-testid="missing-accounts">
    <p>The latest reconciliation found balances at the point master that this follower does not hold:</p>
    <ul>
      ${card.missingAccounts.map(
        (m) => html`<li>${m.definitionName}: master ${formatPoints(m.masterBalance)}, as of ${time(m.asOf)}${m.repaired ? ' (repaired)' : ''}</li>`,
      )}
    </ul>
  </div>`;
}

function entryStatus(entry: LedgerEntryRecord, at: Date): SafeHtml {
  if (entry.type === 'Expiry') return html`<span class="pill pill-neutral">Expiry</span>`;
  const state = entryState(entry, at);
  const label = { pending: 'Pending', active: 'Active', expired: 'Expired' }[state];
  return html`<span class="pill pill-${state}">${label}</span>`;
}

function validity(entry: LedgerEntryRecord, at: Date): SafeHtml {
  if (entry.type === 'Expiry') return html`<span class="muted">—</span>`;
  const from = entry.validFrom > at ? html`from ${time(entry.validFrom, 'date')}` : null;
  const to = entry.validTo ? html`until ${time(entry.validTo, 'date')}` : html`<span class="muted">no expiry</span>`;
  // One element, so the phone layout (label left, value right) keeps "until" next to its date.
  return html`<span>${from ? html`${from}<br />` : ''}${to}</span>`;
}

/** "Showing 21–40 of 57" with newer/older links; `at(offset)` is the address of another page. */
function pager(page: { offset: number; count: number; totalCount: number; items: unknown[] }, at: (offset: number) => string): SafeHtml {
  const first = page.totalCount === 0 ? 0 : page.offset + 1;
  const last = Math.min(page.offset + page.items.length, page.totalCount);
  return html`<nav class="pager" aria-label="History pages">
    <p class="pager-status" data-testid="pager-status">${page.totalCount === 0 ? '' : `Showing ${first}–${last} of ${formatPoints(page.totalCount)}`}</p>
    <div class="pager-links">
      ${
        page.offset > 0
          ? html`<a class="button" rel="prev" href="${at(Math.max(0, page.offset - page.count))}#history">← Newer</a>`
          : html`<span class="button is-disabled" aria-disabled="true">← Newer</span>`
      }
      ${
        page.offset + page.count < page.totalCount
          ? html`<a class="button" rel="next" href="${at(page.offset + page.count)}#history">Older →</a>`
          : html`<span class="button is-disabled" aria-disabled="true">Older →</span>`
      }
    </div>
  </nav>`;
}

/** What the status of a history row means, in one line each. */
const entryLegend = html`<dl class="legend" aria-label="What the statuses mean">
  <div><dt><span class="pill pill-pending">Pending</span></dt><dd>given, not yet usable: becomes active on its “from” date</dd></div>
  <div><dt><span class="pill pill-active">Active</span></dt><dd>counts in the balance now</dd></div>
  <div><dt><span class="pill pill-expired">Expired</span></dt><dd>passed its “until” date; no longer in the balance</dd></div>
  <div><dt><span class="pill pill-neutral">Expiry</span></dt><dd>the row that takes expired points off the balance</dd></div>
</dl>`;

function ledgerSection(card: ContactCard, history: LedgerHistory, account: CardAccount): SafeHtml {
  const view = (offset: number, filter: TransactionFilter = history.filter) => cardUrl(card.contactId, { definition: account.definitionId, filter, offset });
  const filterLabel: Record<TransactionFilter, string> = { All: 'All', Active: 'Active', Pending: 'Pending' };
  const empty: Record<TransactionFilter, string> = {
    All: 'No transactions on this account yet.',
    Active: 'No points are active on this account right now.',
    Pending: 'No pending points: nothing is waiting to become active.',
  };
  return html`<section class="panel" aria-labelledby="history-title" id="history">
    <div class="panel-head">
      <h2 id="history-title">History <span class="muted">· ${account.definitionName}</span></h2>
      <nav class="segmented" aria-label="Show transactions">
        ${FILTERS.map(
          (filter) => html`<a href="${view(0, filter)}#history" ${filter === history.filter ? html`aria-current="true"` : ''}>${filterLabel[filter]}</a>`,
        )}
      </nav>
    </div>
    ${
      history.items.length === 0
        ? html`<p class="empty">${empty[history.filter]}</p>`
        : html`<div class="table-wrap">
          <table class="history">
            <caption class="visually-hidden">Point transactions of ${account.definitionName}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Description</th>
                <th scope="col">Source</th>
                <th scope="col">Valid</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Points</th>
              </tr>
            </thead>
            <tbody>
              ${history.items.map(
                (entry) => html`<tr>
                  <td data-label="Date" class="nowrap">${time(entry.transactionDate)}</td>
                  <td data-label="Description" class="description">${entry.type === 'Expiry' ? `${formatPoints(-entry.amount)} points expired` : entry.description}</td>
                  <td data-label="Source">${entry.source}</td>
                  <td data-label="Valid" class="validity">${validity(entry, card.readAt)}</td>
                  <td data-label="Status">${entryStatus(entry, card.readAt)}</td>
                  <td data-label="Points" class="${entry.amount < 0 ? 'num points-negative' : 'num points-positive'}">${formatSignedPoints(entry.amount)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
    }
    ${history.items.length === 0 ? '' : entryLegend}
    ${pager(history, view)}
  </section>`;
}

function pointsLogSection(card: ContactCard, history: PointsLogHistory): SafeHtml {
  const head = html`<div class="panel-head">
    <h2 id="history-title">History <span class="muted">· from the point master</span></h2>
  </div>`;
  if (history.kind === 'points-log-unavailable') {
    const why =
      history.status === 404
        ? "The point master's points log is not set up for this organisation, so the history cannot be shown. Balances above are up to date as of the master's last sync."
        : "The point master could not be asked for the history right now. Balances above are up to date as of the master's last sync; try again in a moment.";
    return html`<section class="panel" aria-labelledby="history-title" id="history">
      ${head}
      <div class="alert alert-warning" role="status" data-testid="points-log-unavailable">
        <p class="alert-title">${history.status === 404 ? 'History not set up' : 'History not available right now'}</p>
        <p>${why}</p>
        ${technicalDetails(`${history.title}: ${history.detail}`)}
      </div>
    </section>`;
  }
  const at = (offset: number) => `${cardUrl(card.contactId, { offset })}`;
  return html`<section class="panel" aria-labelledby="history-title" id="history">
    ${head}
    ${
      history.items.length === 0
        ? html`<p class="empty">The point master has no history for this contact.</p>`
        : html`<div class="table-wrap">
          <table class="history">
            <caption class="visually-hidden">The point master's points log, newest first</caption>
            <thead><tr><th scope="col">Date</th><th scope="col">Description</th><th scope="col" class="num">Points</th></tr></thead>
            <tbody>
              ${history.items.map((line) => {
                const at = new Date(line.transactionDate);
                return html`<tr>
                  <td data-label="Date" class="nowrap">${time(at)}</td>
                  <td data-label="Description" class="description">${line.description}</td>
                  <td data-label="Points" class="${line.amount < 0 ? 'num points-negative' : 'num points-positive'}">${formatSignedPoints(line.amount)}</td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>`
    }
    ${pager(history, at)}
  </section>`;
}

function adjustmentItem(item: CardAdjustment, now: Date): SafeHtml {
  const status = adjustmentStatus(item.stage, item.nextAttemptAt);
  const who = item.source === 'Manual' ? `by ${item.userName ?? 'a user'}` : `by automation${item.workflowName ? `: ${item.workflowName}` : ''}`;
  return html`<li class="adjustment" data-adjustment-id="${item.id}" data-state="${item.deliveryState}" data-stage="${item.stage}" data-confirmed="${String(item.stage === 'Confirmed')}">
    <div class="adjustment-top">
      <span class="${item.amount < 0 ? 'adjustment-amount points-negative' : 'adjustment-amount points-positive'}">${formatSignedPoints(item.amount)}</span>
      <span class="adjustment-definition">${item.definitionName}</span>
      ${time(item.createdAt)}
    </div>
    <p class="adjustment-description">${item.description}</p>
    <p class="adjustment-status"><span class="pill pill-${status.tone}" data-testid="adjustment-state">${status.label}</span> <span>${who}</span></p>
    <p class="adjustment-help">${status.help}${status.nextTryAt ? html` <span data-testid="next-try">Next try at ${timeElement(status.nextTryAt, 'time', now)}.</span>` : ''}</p>
    ${item.deliveryState === 'Retrying' && item.lastError ? technicalDetails(`The point master's last answer: ${item.lastError}`) : ''}
  </li>`;
}

/** The adjustments sent for the contact; the page script polls this fragment until every one has settled. */
export function adjustmentsList(input: { contactId: string; readAt: Date; adjustments: ContactCard['adjustments'] }): SafeHtml {
  const { items, totalCount } = input.adjustments;
  const settled = items.every((item) => adjustmentStatus(item.stage, item.nextAttemptAt).settled);
  return html`<div class="adjustments-list" data-adjustments-list data-src="${cardUrl(input.contactId)}/adjustments" data-settled="${String(settled)}">
    ${
      items.length === 0
        ? html`<p class="empty">No points given or removed for this contact yet.</p>`
        : html`<ul class="adjustments">${items.map((item) => adjustmentItem(item, input.readAt))}</ul>
          ${totalCount > items.length ? html`<p class="hint">The latest ${items.length} of ${formatPoints(totalCount)}.</p>` : ''}`
    }
  </div>`;
}

export interface AdjustmentFormState {
  values?: { definitionId?: string; direction?: string; amount?: string; description?: string };
  problem?: ShownProblem | null;
  /** Set after a form post above the confirmation threshold: what the next post confirms. */
  confirm?: { direction: 'give' | 'remove'; amount: number; token: string } | undefined;
  /** Set right after a form post without script: the adjustment just sent. */
  sentId?: string | undefined;
}

/**
 * The banner after sending, by where the adjustment stands: green only once
 * the master has it; while the master does not answer the change is saved
 * and waits, and the banner says so.
 */
function sentBanner(sent: CardAdjustment | undefined): SafeHtml {
  const stage = sent?.stage ?? 'Pending';
  const [tone, title, text] =
    stage === 'Delivered' || stage === 'Synced' || stage === 'Confirmed'
      ? ['success', 'Sent to the point master', 'The balance changes when the master next syncs. Follow its state below.']
      : stage === 'Pending'
        ? ['success', 'Saved; sending it to the point master now', 'Follow its state below; the balance changes when the master next syncs.']
        : stage === 'Failed'
          ? ['error', 'Saved, but the point master refused it', 'An operator can send it again; do not give the points again.']
          : [
              'warning',
              'Saved; will be sent when the master answers',
              'The point master is not answering right now. It is sent automatically; do not give the points again.',
            ];
  return html`<div class="alert alert-${tone}" role="status" tabindex="-1" id="adjustment-sent" data-stage="${stage}" data-adjustment-id="${sent?.id ?? ''}">
    <p class="alert-title">${title}</p>
    <p>${text}</p>
  </div>`;
}

function confirmBox(confirm: NonNullable<AdjustmentFormState['confirm']>, threshold: number): SafeHtml {
  const verb = confirm.direction === 'remove' ? 'remove' : 'give';
  return html`<div class="alert alert-warning" role="alert" tabindex="-1" id="adjustment-confirm">
    <p class="alert-title">Please confirm: ${verb} ${formatPoints(confirm.amount)} points?</p>
    <p>That is more than ${formatPoints(threshold)} points. Check the amount, then press the button again to send it. Change anything and you are asked again.</p>
  </div>`;
}

function adjustmentForm(
  card: ContactCard,
  tenant: TenantRecord,
  csrfToken: string,
  selectedDefinition: number | undefined,
  state: AdjustmentFormState,
): SafeHtml {
  const values = state.values ?? {};
  const definition = values.definitionId ?? String(selectedDefinition ?? card.definitions[0]?.id ?? '');
  const direction = values.direction ?? 'give';
  const invalid = (field: string) => (state.problem?.errors?.some((e) => e.path === field) ? html`aria-invalid="true"` : '');
  const threshold = confirmationThreshold(tenant.maxAdjustmentPoints);
  const confirm = state.confirm;
  const sent = state.sentId ? card.adjustments.items.find((item) => item.id === state.sentId) : undefined;
  const body = !card.pointSystemActive
    ? html`<p class="alert alert-warning">The point system of this organisation is switched off, so points cannot be given or removed.</p>`
    : card.definitions.length === 0
      ? html`<p class="empty">There are no point definitions yet, so there is nothing to give points in.</p>`
      : html`<form method="post" action="/ui/contacts/${card.contactId}/adjustments" class="form" data-adjustment-form novalidate
            data-confirm-above="${threshold}" data-send-at-most="${tenant.maxAdjustmentPoints}">
            <input type="hidden" name="_csrf" value="${csrfToken}" />
            <input type="hidden" name="idempotencyKey" value="${randomUUID()}" />
            <input type="hidden" name="confirmed" value="${confirm?.token ?? ''}" />
            <div class="field">
              <label for="definitionId">Point definition</label>
              <select id="definitionId" name="definitionId" ${invalid('definitionId')}>
                ${card.definitions.map((d) => html`<option value="${d.id}" ${String(d.id) === definition ? html`selected` : ''}>${d.name}</option>`)}
              </select>
            </div>
            <fieldset class="field choice">
              <legend>Change</legend>
              <label class="choice-option"><input type="radio" name="direction" value="give" ${direction === 'give' ? html`checked` : ''} /> Give points</label>
              <label class="choice-option"><input type="radio" name="direction" value="remove" ${direction === 'remove' ? html`checked` : ''} /> Remove points</label>
            </fieldset>
            <div class="field">
              <label for="amount">Amount</label>
              <input id="amount" name="amount" inputmode="decimal" autocomplete="off" value="${values.amount ?? ''}" aria-describedby="amount-hint" ${invalid('amount')} />
              <p class="hint" id="amount-hint">Points, for example 250, 1,000 or 12.5 (decimals after a point, at most 4 places); to take points away choose “Remove points”. At most ${formatPoints(tenant.maxAdjustmentPoints)} at a time; above ${formatPoints(threshold)} you are asked to confirm.</p>
            </div>
            <div class="field">
              <label for="description">Reason</label>
              <input id="description" name="description" maxlength="${REASON_MAX_CHARS}" value="${values.description ?? ''}" aria-describedby="description-hint" ${invalid('description')} />
              <p class="hint" id="description-hint">Shown in the customer's history, e.g. "Birthday gift" or "Complaint 4411: late delivery". At most ${formatPoints(REASON_MAX_CHARS)} characters.</p>
            </div>
            <div data-adjustment-feedback>
              ${problemBox(state.problem, 'adjustment-error')}
              ${confirm ? confirmBox(confirm, threshold) : ''}
              ${state.sentId ? sentBanner(sent) : ''}
            </div>
            <button type="submit" class="button button-primary button-block" data-label="Send to point master">${
              confirm ? `Yes, ${confirm.direction === 'remove' ? 'remove' : 'give'} ${formatPoints(confirm.amount)} points` : 'Send to point master'
            }</button>
          </form>`;
  return html`<section class="panel" aria-labelledby="adjust-title" id="adjust">
    <h2 id="adjust-title">Give or remove points</h2>
    <p class="hint lead">Points are not changed here directly: the change goes to the point master, and the balance on this card changes when the master next syncs.</p>
    ${body}
  </section>`;
}

export function cardPage(input: { user: SignedInUser; csrfToken: string; card: ContactCard; form?: AdjustmentFormState }): string {
  const { card } = input;
  const selected = card.accounts.find((account) => card.history?.kind === 'ledger' && account.definitionId === card.history.definitionId) ?? card.accounts[0];
  const modeLabel = card.mode === 'all-transaction' ? 'All-transaction mode' : 'Balance-only mode';
  const history = card.history;
  return page(
    { title: `Contact ${card.contactId}`, ...chromeFor(input.user, input.csrfToken) },
    html`${searchForm(card.contactId, null, false)}
    <section class="card-head">
      <div>
        <p class="eyebrow">Contact</p>
        <h1 class="contact-id" data-testid="contact-id">${card.contactId}</h1>
      </div>
      <p class="card-meta">
        <span class="pill pill-neutral">${modeLabel}</span>
        <span class="muted">Read ${time(card.readAt)}</span>
      </p>
    </section>
    <div class="card-layout">
      <div class="card-main">
        <section aria-labelledby="accounts-title">
          <h2 id="accounts-title" class="visually-hidden">Point accounts</h2>
          ${missingAccountsNote(card)}
          ${
            card.accounts.length === 0
              ? html`<div class="alert alert-warning" role="status" data-testid="no-accounts">
                <p class="alert-title">No points yet for this contact</p>
                <p>This contact has no point account in ${input.user.tenant.name}. Points given here go to the point master; an account appears when the master first sends points for the contact.</p>
                <p class="muted">Check the contact id if you expected one.</p>
              </div>`
              : html`<ul class="account-tiles">${card.accounts.map((account) => accountTile(card, account, account === selected))}</ul>`
          }
        </section>
        ${card.memberLevel ? memberLevelPanel(card.memberLevel) : ''}
        ${history?.kind === 'ledger' && selected ? ledgerSection(card, history, selected) : ''}
        ${history && history.kind !== 'ledger' ? pointsLogSection(card, history) : ''}
      </div>
      <aside class="card-aside" aria-label="Adjustments">
        ${adjustmentForm(card, input.user.tenant, input.csrfToken, selected?.definitionId, input.form ?? {})}
        <section class="panel" aria-labelledby="sent-title" id="adjustments">
          <h2 id="sent-title">Adjustments sent</h2>
          <div aria-live="polite">${adjustmentsList(card)}</div>
        </section>
      </aside>
    </div>`,
  );
}
