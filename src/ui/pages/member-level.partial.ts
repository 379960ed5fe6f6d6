import type { CardMemberLevel } from '../../services/contact-card.service.ts';
import { formatDate, formatDateTime, formatPoints } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { pill } from '../kit.ts';

const ASSETS = '/ui/assets';

const unitOf = (basis: CardMemberLevel['ladder']['basis'], n: number) =>
  basis === 'Purchases' ? (Math.abs(n) === 1 ? 'purchase' : 'purchases') : Math.abs(n) === 1 ? 'point' : 'points';

const time = (at: Date, text: string, format: 'date' | 'datetime') => html`<time datetime="${at.toISOString()}" data-format="${format}">${text}</time>`;

/** Where the window stands: a calendar year ends on a date; a rolling window moves with the reading time. */
function windowText(level: CardMemberLevel, zone: string): SafeHtml {
  const { window } = level.ladder;
  const counted = level.ladder.basis === 'Purchases' ? 'Purchases' : 'Points earned';
  if (window.type === 'CalendarYear') {
    return html`${counted} this calendar year. The window ends
      <strong data-testid="level-window-end">${time(level.window.to, formatDateTime(level.window.to, zone), 'datetime')}</strong>, and levels start again.`;
  }
  return html`${counted} in the last ${window.months} months, since
    <strong data-testid="level-window-end">${time(level.window.from, formatDate(level.window.from, zone), 'date')}</strong>; older entries leave the window day by day.`;
}

function progress(level: CardMemberLevel): SafeHtml {
  const { next } = level;
  if (!next) return html`<p class="level-next" data-testid="level-next">Top level reached.</p>`;
  const span = next.threshold - level.level.threshold;
  const done = Math.min(span, Math.max(0, level.qualifying - level.level.threshold));
  return html`<progress class="level-progress" max="${span}" value="${done}" aria-labelledby="level-next"></progress>
    <p class="level-next" id="level-next" data-testid="level-next">${formatPoints(next.remaining)} ${unitOf(level.ladder.basis, next.remaining)} to <bdi>${next.name}</bdi></p>`;
}

function historyList(level: CardMemberLevel, zone: string): SafeHtml {
  const { items, totalCount } = level.history;
  if (items.length === 0) return html`<p class="empty">No level changes recorded for this contact yet.</p>`;
  return html`<ol class="level-history" data-testid="level-history">
      ${items.map(
        (change) => html`<li>
          <span class="level-change"><span class="muted"><bdi>${change.fromName}</bdi></span> → <strong><bdi>${change.toName}</bdi></strong></span>
          ${pill(change.reason, 'neutral')}
          ${time(change.changedAt, formatDateTime(change.changedAt, zone), 'datetime')}
        </li>`,
      )}
    </ol>
    ${totalCount > items.length ? html`<p class="hint">The latest ${items.length} of ${formatPoints(totalCount)}.</p>` : ''}`;
}

/**
 * The contact card's member level panel: the level as a badge, progress to
 * the next one, the window, and the level history in a tab of its own. The
 * tabs work through levels.js; without script both parts show, one below the
 * other.
 */
export function memberLevelPanel(level: CardMemberLevel, timeZone = 'UTC'): SafeHtml {
  return html`<link rel="stylesheet" href="${ASSETS}/levels.css" />
    <script src="${ASSETS}/levels.js" defer></script>
    <section class="panel member-level" aria-labelledby="level-title" id="member-level" data-level-tabs>
      <div class="panel-head">
        <h2 id="level-title">Member level</h2>
        <div class="level-tabs" role="tablist" aria-label="Member level" hidden>
          <button type="button" role="tab" id="level-tab-now" aria-controls="level-now" aria-selected="true">Level</button>
          <button type="button" role="tab" id="level-tab-history" aria-controls="level-history-panel" aria-selected="false" tabindex="-1">Level history</button>
        </div>
      </div>
      <div id="level-now" role="tabpanel" aria-labelledby="level-tab-now">
        <p class="level-badge" data-testid="level-badge" data-level-key="${level.level.key}"><bdi>${level.level.name}</bdi></p>
        <p class="level-figure"><strong>${formatPoints(level.qualifying)}</strong> ${unitOf(level.ladder.basis, level.qualifying)} counted</p>
        ${progress(level)}
        <p class="hint" data-testid="level-window">${windowText(level, timeZone)}</p>
      </div>
      <div id="level-history-panel" role="tabpanel" aria-labelledby="level-tab-history">
        <h3 class="level-history-title">Level history</h3>
        ${historyList(level, timeZone)}
      </div>
    </section>`;
}
