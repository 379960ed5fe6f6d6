import { randomUUID } from 'node:crypto';
import type { TransactionFilter } from '../../contracts/transactions.ts';
import { confirmationThreshold } from '../../domain/adjustments.ts';
import type { LedgerEntryRecord } from '../../domain/ledger.ts';
import { entryState } from '../../domain/ledger.ts';
import type { ContactDetailsRecord, FoundContact } from '../../db/contacts.repository.ts';
import type { CardAccount, CardAdjustment, CardDrift, ContactCard, LedgerHistory, PointsLogHistory } from '../../services/contact-card.service.ts';
import type { SignedInUser } from '../../services/ui-auth.service.ts';
import type { TenantRecord } from '../../domain/tenants.ts';
import { REASON_MAX_CHARS } from '../../contracts/ui.ts';
import { adjustmentStatus, sentBanner as bannerOf } from '../adjustment-status.ts';
import { balanceChart } from '../charts.ts';
import { formatPoints, formatSignedPoints, relativeTime, zoneLabel } from '../format.ts';
import { timeElement } from '../time.ts';
import { html, type SafeHtml } from '../html.ts';
import { page, technicalDetails } from './layout.ts';
import { alert, csrfField, pager, pill, problemBox, type ShownProblem } from '../kit.ts';
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

/** A time on the card, in the tenant's zone (the card says which once, in its head). */
const timeIn =
  (zone: string) =>
  (at: Date, format: 'date' | 'datetime' = 'datetime') =>
    timeElement(at, format, undefined, zone);

/** User text (reasons, names) isolated, so a right-to-left mark in it cannot reorder what follows. */
const userText = (text: string) => html`<bdi>${text}</bdi>`;

/** A reason or description: isolated, and folded to three lines when longer (the page script adds the "Show all" switch). */
const folded = (text: string) => html`<bdi class="fold" data-fold>${text}</bdi>`;

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

function chromeFor(user: SignedInUser, csrfToken: string) {
  return {
    account: { name: user.displayName, detail: `${user.username} · ${user.tenant.name}`, logoutAction: '/ui/logout', csrfToken },
  };
}

function searchForm(input: { value: string; csrfToken: string; problem?: ShownProblem | null | undefined; prominent: boolean }): SafeHtml {
  const { value, problem, prominent } = input;
  // Posted, so what was typed (an email, a phone number, a name) never travels in an address, a log line or the browser's history.
  return html`<form class="${prominent ? 'search search-prominent' : 'search search-compact'}" method="post" action="/ui/contacts/search" role="search">
    ${csrfField(input.csrfToken)}
    <div class="field">
      <label for="contactId">Contact id, name, email, phone or member number</label>
      <div class="search-row">
        <input id="contactId" name="q" value="${value}" required spellcheck="false" autocomplete="off" ${prominent ? html`autofocus` : ''}
          aria-describedby="contactId-hint${problem ? ' search-error' : ''}" ${problem ? html`aria-invalid="true"` : ''} />
        <button type="submit" class="button button-primary">Open card</button>
      </div>
      <p class="${prominent ? 'hint' : 'visually-hidden'}" id="contactId-hint">The whole email address or member number, a phone number (with or without its country code), part of the name, or the Engage contact id (a uuid).</p>
    </div>
    ${problemBox(problem, 'search-error')}
  </form>`;
}

const MATCHED_BY: Record<FoundContact['matchedBy'], string> = { email: 'email', phone: 'phone', memberNumber: 'member number', name: 'name' };

/** The contacts a search found, when it found more than one. */
function searchResults(found: FoundContact[]): SafeHtml {
  return html`<section class="panel" aria-labelledby="results-title">
    <h2 id="results-title">${found.length} contacts found</h2>
    <ul class="search-results" data-testid="search-results">
      ${found.map(
        (contact) => html`<li>
          <a href="${cardUrl(contact.contactId)}"><bdi>${contact.displayName ?? 'No name'}</bdi></a>
          <span class="muted">found by ${MATCHED_BY[contact.matchedBy]}</span>
          ${contactFacts(contact)}
        </li>`,
      )}
    </ul>
  </section>`;
}

export function searchPage(input: { user: SignedInUser; csrfToken: string; value?: string; problem?: ShownProblem | null; found?: FoundContact[] }): string {
  return page(
    { title: 'Find a contact', ...chromeFor(input.user, input.csrfToken) },
    html`<section class="panel hero">
      <h1>Find a contact</h1>
      <p class="muted">Open a customer's card to see how many points they have, why, and when they expire.</p>
      ${searchForm({ value: input.value ?? '', csrfToken: input.csrfToken, problem: input.problem, prominent: true })}
    </section>
    ${input.found && input.found.length > 1 ? searchResults(input.found) : ''}`,
  );
}

/** Member number, email, phone and contact id, those held. */
function contactFacts(contact: ContactDetailsRecord, onCard = false): SafeHtml {
  const fact = (label: string, testId: string, value: string | undefined) =>
    value === undefined ? '' : html`<div><dt>${label}</dt><dd ${onCard ? html`data-testid="${testId}"` : ''}><bdi>${value}</bdi></dd></div>`;
  return html`<dl class="contact-facts">
    ${fact('Member number', 'contact-member-number', contact.memberNumber)} ${fact('Email', 'contact-email', contact.email)}
    ${fact('Phone', 'contact-phone', contact.phone)}
    <div><dt>Contact id</dt><dd class="contact-id-small" ${onCard ? html`data-testid="contact-id"` : ''}>${contact.contactId}</dd></div>
  </dl>`;
}

function accountTile(card: ContactCard, account: CardAccount, selected: boolean): SafeHtml {
  const time = timeIn(card.timeZone);
  const expires = account.balanceExpires;
  return html`<li>
    <a class="${selected ? 'account-tile is-selected' : 'account-tile'}" href="${cardUrl(card.contactId, { definition: account.definitionId })}"
      ${selected ? html`aria-current="true"` : ''} data-definition-id="${account.definitionId}">
      <span class="account-tile-name">${userText(account.definitionName)}</span>
      <span class="account-tile-balance" data-testid="balance"><span class="figure">${formatPoints(account.balance)}</span> <span class="unit">points</span></span>
      <dl class="account-tile-facts">
        ${card.knows.pendingPoints ? html`<div><dt>Pending</dt><dd data-testid="pending">${formatPoints(account.pendingPoints)}</dd></div>` : ''}
        ${
          card.knows.expiry
            ? html`<div>
          <dt>Next expiry</dt>
          <dd data-testid="expiry">${
            expires
              ? html`${account.expiringPoints === undefined ? '' : html`<span data-testid="expiring-points">${formatPoints(account.expiringPoints)} points</span> on `}${time(expires)} <span class="muted">(${relativeTime(expires, card.readAt)})</span>`
              : html`<span class="muted">None</span>`
          }</dd>
        </div>`
            : ''
        }
        ${card.knows.expiry && account.expiringWithin90Days > 0 ? expiringSoon(account) : ''}
        <div><dt>Last pushed by the master</dt><dd data-testid="account-last-push">${account.lastPushAt ? time(account.lastPushAt) : html`<span class="muted">never</span>`}</dd></div>
      </dl>
      ${account.drift ? driftNote(account.drift, card.timeZone) : ''}
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
function driftNote(drift: CardDrift, zone: string): SafeHtml {
  return html`<span class="account-tile-drift" data-testid="drift">
    <strong>Differs from the master</strong> at the reconciliation as of ${timeIn(zone)(drift.asOf)}:
    master <span data-testid="drift-master">${formatPoints(drift.masterBalance)}</span>, follower
    <span data-testid="drift-follower">${formatPoints(drift.followerBalance)}</span>
  </span>`;
}

/** Accounts the master reported at the latest reconciliation that the follower has no account for. */
function missingAccountsNote(card: ContactCard): SafeHtml | string {
  if (card.missingAccounts.length === 0) return '';
  const accounts = card.missingAccounts.map(
    (m) => html`<li>${userText(m.definitionName)}: master ${formatPoints(m.masterBalance)}, as of ${timeIn(card.timeZone)(m.asOf)}</li>`,
  );
  const body = html`<p>The latest reconciliation found balances at the point master that this follower does not hold:</p>
    <ul>
      ${accounts}
    </ul>`;
  return alert('warning', { body }, { 'data-testid': 'missing-accounts' });
}

function entryStatus(entry: LedgerEntryRecord, at: Date): SafeHtml {
  if (entry.type === 'Expiry') return pill('Expiry', 'neutral');
  const state = entryState(entry, at);
  const label = { pending: 'Pending', active: 'Active', expired: 'Expired' }[state];
  return pill(label, state);
}

function validity(entry: LedgerEntryRecord, at: Date, zone: string): SafeHtml {
  const time = timeIn(zone);
  if (entry.type === 'Expiry') return html`<span class="muted">—</span>`;
  const from = entry.validFrom > at ? html`from ${time(entry.validFrom, 'date')}` : null;
  const to = entry.validTo ? html`until ${time(entry.validTo, 'date')}` : html`<span class="muted">no expiry</span>`;
  // One element, so the phone layout (label left, value right) keeps "until" next to its date.
  return html`<span>${from ? html`${from}<br />` : ''}${to}</span>`;
}

/** The history's pager: newest first, and each link lands back on the history. */
const historyPager = (page: Parameters<typeof pager>[0], at: (offset: number) => string) =>
  pager(page, { label: 'History pages', at: (offset) => `${at(offset)}#history`, words: ['← Newer', 'Older →'] });

/** What the status of a history row means, in one line each. */
const entryLegend = html`<dl class="legend" aria-label="What the statuses mean">
  <div><dt>${pill('Pending', 'pending')}</dt><dd>given, not yet usable: becomes active on its “from” date</dd></div>
  <div><dt>${pill('Active', 'active')}</dt><dd>counts in the balance now</dd></div>
  <div><dt>${pill('Expired', 'expired')}</dt><dd>passed its “until” date; no longer in the balance</dd></div>
  <div><dt>${pill('Expiry', 'neutral')}</dt><dd>the row that takes expired points off the balance</dd></div>
</dl>`;

function ledgerSection(card: ContactCard, history: LedgerHistory, account: CardAccount): SafeHtml {
  const time = timeIn(card.timeZone);
  const view = (offset: number, filter: TransactionFilter = history.filter) => cardUrl(card.contactId, { definition: account.definitionId, filter, offset });
  const filterLabel: Record<TransactionFilter, string> = { All: 'All', Active: 'Active', Pending: 'Pending' };
  const empty: Record<TransactionFilter, string> = {
    All: 'No transactions on this account yet.',
    Active: 'No points are active on this account right now.',
    Pending: 'No pending points: nothing is waiting to become active.',
  };
  return html`<section class="panel" aria-labelledby="history-title" id="history">
    <div class="panel-head">
      <h2 id="history-title">History <span class="muted">· ${userText(account.definitionName)}</span></h2>
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
                  <td data-label="Description" class="description">${entry.type === 'Expiry' ? `${formatPoints(-entry.amount)} points expired` : folded(entry.description)}</td>
                  <td data-label="Source">${entry.source}</td>
                  <td data-label="Valid" class="validity">${validity(entry, card.readAt, card.timeZone)}</td>
                  <td data-label="Status">${entryStatus(entry, card.readAt)}</td>
                  <td data-label="Points" class="${entry.amount < 0 ? 'num points-negative' : 'num points-positive'}">${formatSignedPoints(entry.amount)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
    }
    ${history.items.length === 0 ? '' : entryLegend}
    ${historyPager(history, view)}
  </section>`;
}

function pointsLogSection(card: ContactCard, history: PointsLogHistory): SafeHtml {
  const time = timeIn(card.timeZone);
  const synced = card.tenantLastPushAt
    ? html`as of the master's last push, ${time(card.tenantLastPushAt)}`
    : html`as far as the master has pushed (it has not pushed yet)`;
  const head = html`<div class="panel-head">
    <h2 id="history-title">History <span class="muted">· from the point master</span></h2>
  </div>`;
  if (history.kind === 'points-log-unavailable') {
    const why =
      history.status === 404
        ? html`The point master's points log is not set up for this organisation, so the history cannot be shown. Balances above are up to date ${synced}.`
        : html`The point master could not be asked for the history right now. Balances above are up to date ${synced}; try again in a moment.`;
    return html`<section class="panel" aria-labelledby="history-title" id="history">
      ${head}
      ${alert(
        'warning',
        {
          title: history.status === 404 ? 'History not set up' : 'History not available right now',
          body: html`<p>${why}</p>
            ${technicalDetails(`${history.title}: ${history.detail}`)}`,
        },
        { role: 'status', 'data-testid': 'points-log-unavailable' },
      )}
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
                  <td data-label="Description" class="description">${folded(line.description)}</td>
                  <td data-label="Points" class="${line.amount < 0 ? 'num points-negative' : 'num points-positive'}">${formatSignedPoints(line.amount)}</td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>`
    }
    ${historyPager(history, at)}
  </section>`;
}

function adjustmentItem(item: CardAdjustment, now: Date, zone: string): SafeHtml {
  const status = adjustmentStatus(item.stage, item.nextAttemptAt);
  const banner = bannerOf(item.stage);
  const who =
    item.source === 'Manual'
      ? html`by ${userText(item.userName ?? 'a user')}`
      : html`by automation${item.workflowName ? html`: ${userText(item.workflowName)}` : ''}`;
  return html`<li class="adjustment" data-adjustment-id="${item.id}" data-state="${item.deliveryState}" data-stage="${item.stage}" data-confirmed="${String(item.stage === 'Confirmed')}"
    data-changes-balance="${String(status.changesBalance)}" data-banner-tone="${banner.tone}" data-banner-title="${banner.title}" data-banner-text="${banner.text}">
    <div class="adjustment-top">
      <span class="${item.amount < 0 ? 'adjustment-amount points-negative' : 'adjustment-amount points-positive'}">${formatSignedPoints(item.amount)}</span>
      <span class="adjustment-definition">${userText(item.definitionName)}</span>
      ${timeIn(zone)(item.createdAt)}
    </div>
    <p class="adjustment-description">${folded(item.description)}</p>
    <p class="adjustment-status">${pill(status.label, status.tone, { 'data-testid': 'adjustment-state' })} <span>${who}</span></p>
    <p class="adjustment-help">${status.help}${status.nextTryAt ? html` <span data-testid="next-try">Next try at ${timeElement(status.nextTryAt, 'time', now, zone)}.</span>` : ''}</p>
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
        : html`<ul class="adjustments">${items.map((item) => adjustmentItem(item, input.readAt, input.adjustments.timeZone))}</ul>
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

/** The banner after sending, by where the adjustment stands (adjustment-status.ts); the page script follows it as the list refreshes. */
function sentBanner(sent: CardAdjustment | undefined): SafeHtml {
  const stage = sent?.stage ?? 'Pending';
  const { tone, title, text } = bannerOf(stage);
  const attrs = { role: 'status', tabindex: '-1', id: 'adjustment-sent', 'data-stage': stage, 'data-adjustment-id': sent?.id ?? '' };
  return alert(tone, { title, body: html`<p>${text}</p>` }, attrs);
}

function confirmBox(confirm: NonNullable<AdjustmentFormState['confirm']>, threshold: number): SafeHtml {
  const verb = confirm.direction === 'remove' ? 'remove' : 'give';
  const why = `That is more than ${formatPoints(threshold)} points. Check the amount, then press the button again to send it. Change anything and you are asked again.`;
  return alert(
    'warning',
    { title: `Please confirm: ${verb} ${formatPoints(confirm.amount)} points?`, body: html`<p>${why}</p>` },
    { role: 'alert', tabindex: '-1', id: 'adjustment-confirm' },
  );
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
    ? alert('warning', { body: html`<p>The point system of this organisation is switched off, so points cannot be given or removed.</p>` })
    : card.definitions.length === 0
      ? html`<p class="empty">There are no point definitions yet, so there is nothing to give points in.</p>`
      : html`<form method="post" action="/ui/contacts/${card.contactId}/adjustments" class="form" data-adjustment-form novalidate
            data-confirm-above="${threshold}" data-send-at-most="${tenant.maxAdjustmentPoints}">
            ${csrfField(csrfToken)}
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
    { title: card.details?.displayName ?? `Contact ${card.contactId}`, ...chromeFor(input.user, input.csrfToken) },
    html`${searchForm({ value: '', csrfToken: input.csrfToken, prominent: false })}
    <section class="card-head">
      ${
        card.details
          ? html`<div>
            <p class="eyebrow">Contact</p>
            <h1 class="contact-name" data-testid="contact-name"><bdi>${card.details.displayName ?? 'No name'}</bdi></h1>
            ${contactFacts(card.details, true)}
          </div>`
          : html`<div>
            <p class="eyebrow">Contact</p>
            <h1 class="contact-id" data-testid="contact-id">${card.contactId}</h1>
          </div>`
      }
      <p class="card-meta" data-live="meta">
        ${pill(modeLabel, 'neutral')}
        <span class="muted" data-testid="tenant-last-push">Last pushed by the master ${
          card.tenantLastPushAt ? html`at ${timeIn(card.timeZone)(card.tenantLastPushAt)}` : 'never'
        }</span>
        <span class="muted">Read ${timeIn(card.timeZone)(card.readAt)}</span>
        <span class="muted" data-testid="time-zone">${zoneLabel(card.timeZone, card.readAt)}</span>
      </p>
    </section>
    <div class="card-layout">
      <div class="card-main">
        <section aria-labelledby="accounts-title" data-live="accounts">
          <h2 id="accounts-title" class="visually-hidden">Point accounts</h2>
          ${missingAccountsNote(card)}
          ${
            card.accounts.length === 0
              ? alert(
                  'warning',
                  {
                    title: 'No points yet for this contact',
                    body: html`<p>This contact has no point account in ${input.user.tenant.name}. Points given here go to the point master; an account appears when the master first sends points for the contact.</p>
                      <p class="muted">Check the contact id if you expected one.</p>`,
                  },
                  { role: 'status', 'data-testid': 'no-accounts' },
                )
              : html`<ul class="account-tiles">${card.accounts.map((account) => accountTile(card, account, account === selected))}</ul>`
          }
        </section>
        <div data-live="level">${card.memberLevel ? memberLevelPanel(card.memberLevel, card.timeZone) : ''}</div>
        <div data-live="history">
          ${history?.kind === 'ledger' && selected ? ledgerSection(card, history, selected) : ''}
          ${history && history.kind !== 'ledger' ? pointsLogSection(card, history) : ''}
        </div>
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
