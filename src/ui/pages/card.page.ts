import type { TransactionFilter } from '../../contracts/transactions.ts';
import type { LedgerEntryRecord } from '../../db/ledger.repository.ts';
import { entryState } from '../../domain/ledger.ts';
import type { CardAccount, ContactCard, LedgerHistory } from '../../services/contact-card.service.ts';
import type { SignedInUser } from '../../services/ui-auth.service.ts';
import { formatDate, formatDateTime, formatPoints, formatSignedPoints, relativeTime } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { page, problemBox, type ShownProblem } from './layout.ts';

export const FILTERS: TransactionFilter[] = ['All', 'Active', 'Pending'];

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

const time = (at: Date, text: string = formatDateTime(at), format: 'date' | 'datetime' = 'datetime') =>
  html`<time datetime="${at.toISOString()}" data-format="${format}">${text}</time>`;

function chromeFor(user: SignedInUser, csrfToken: string) {
  return {
    account: { name: user.displayName, detail: `${user.username} · ${user.tenant.name}`, logoutAction: '/ui/logout', csrfToken },
  };
}

function searchForm(value: string, problem: ShownProblem | null | undefined, prominent: boolean): SafeHtml {
  return html`<form class="${prominent ? 'search search-prominent' : 'search'}" method="get" action="/ui/contacts" role="search">
    <div class="field">
      <label for="contactId">Contact id</label>
      <div class="search-row">
        <input id="contactId" name="contactId" value="${value}" required spellcheck="false" autocomplete="off"
          placeholder="e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6" aria-describedby="contactId-hint${problem ? ' search-error' : ''}"
          ${problem ? html`aria-invalid="true"` : ''} />
        <button type="submit" class="button button-primary">Open card</button>
      </div>
      <p class="hint" id="contactId-hint">The Engage contact id (a uuid), as shown on the contact in Engage.</p>
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
          <dd data-testid="expiry">${expires
            ? html`${time(expires, formatDate(expires), 'date')} <span class="muted">(${relativeTime(expires, card.readAt)})</span>`
            : html`<span class="muted">None</span>`}</dd>
        </div>
      </dl>
    </a>
  </li>`;
}

function entryStatus(entry: LedgerEntryRecord, at: Date): SafeHtml {
  if (entry.type === 'Expiry') return html`<span class="pill pill-neutral">Expiry</span>`;
  const state = entryState(entry, at);
  const label = { pending: 'Pending', active: 'Active', expired: 'Expired' }[state];
  return html`<span class="pill pill-${state}">${label}</span>`;
}

function validity(entry: LedgerEntryRecord, at: Date): SafeHtml {
  if (entry.type === 'Expiry') return html`<span class="muted">—</span>`;
  const from = entry.validFrom > at ? html`from ${time(entry.validFrom, formatDate(entry.validFrom), 'date')}` : null;
  const to = entry.validTo ? html`until ${time(entry.validTo, formatDate(entry.validTo), 'date')}` : html`<span class="muted">no expiry</span>`;
  return from ? html`${from}<br />${to}` : to;
}

function ledgerSection(card: ContactCard, history: LedgerHistory, account: CardAccount): SafeHtml {
  const first = history.totalCount === 0 ? 0 : history.offset + 1;
  const last = Math.min(history.offset + history.items.length, history.totalCount);
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
          (filter) =>
            html`<a href="${view(0, filter)}#history" ${filter === history.filter ? html`aria-current="true"` : ''}>${filterLabel[filter]}</a>`,
        )}
      </nav>
    </div>
    ${history.items.length === 0
      ? html`<p class="empty">${empty[history.filter]}</p>`
      : html`<div class="table-wrap">
          <table class="history">
            <caption class="visually-hidden">Point transactions of ${account.definitionName}, newest first</caption>
            <thead>
              <tr><th scope="col">Date</th><th scope="col">Description</th><th scope="col">Source</th><th scope="col">Valid</th><th scope="col">Status</th><th scope="col" class="num">Points</th></tr>
            </thead>
            <tbody>
              ${history.items.map(
                (entry) => html`<tr>
                  <td data-label="Date">${time(entry.transactionDate)}</td>
                  <td data-label="Description" class="description">${entry.description}</td>
                  <td data-label="Source">${entry.source}</td>
                  <td data-label="Valid">${validity(entry, card.readAt)}</td>
                  <td data-label="Status">${entryStatus(entry, card.readAt)}</td>
                  <td data-label="Points" class="${entry.amount < 0 ? 'num points-negative' : 'num points-positive'}">${formatSignedPoints(entry.amount)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`}
    <nav class="pager" aria-label="History pages">
      <p class="pager-status" aria-live="polite">${history.totalCount === 0 ? '' : `Showing ${first}–${last} of ${formatPoints(history.totalCount)}`}</p>
      <div class="pager-links">
        ${history.offset > 0
          ? html`<a class="button" rel="prev" href="${view(Math.max(0, history.offset - history.count))}#history">← Newer</a>`
          : html`<span class="button is-disabled" aria-disabled="true">← Newer</span>`}
        ${history.offset + history.count < history.totalCount
          ? html`<a class="button" rel="next" href="${view(history.offset + history.count)}#history">Older →</a>`
          : html`<span class="button is-disabled" aria-disabled="true">Older →</span>`}
      </div>
    </nav>
  </section>`;
}

export function cardPage(input: { user: SignedInUser; csrfToken: string; card: ContactCard }): string {
  const { card } = input;
  const selected = card.accounts.find((account) => account.definitionId === card.history?.definitionId) ?? card.accounts[0];
  const modeLabel = card.mode === 'all-transaction' ? 'All-transaction mode' : 'Balance-only mode';
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
    <section aria-labelledby="accounts-title">
      <h2 id="accounts-title" class="visually-hidden">Point accounts</h2>
      ${card.accounts.length === 0
        ? html`<div class="panel empty">
            <p><strong>No points yet.</strong> This contact has no point account in ${input.user.tenant.name}.</p>
            <p class="muted">An account appears when the point master first sends points for the contact. Check the contact id if you expected one.</p>
          </div>`
        : html`<ul class="account-tiles">${card.accounts.map((account) => accountTile(card, account, account === selected))}</ul>`}
    </section>
    ${card.history && selected ? ledgerSection(card, card.history, selected) : ''}`,
  );
}
