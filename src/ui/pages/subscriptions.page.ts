import type { z } from 'zod';
import type { subscriptionWithOutbox } from '../../contracts/subscriptions.ts';
import { SUBSCRIPTION_EVENTS } from '../../domain/balance-events.ts';
import type { TenantRecord } from '../../domain/tenants.ts';
import { formatPoints, zoneLabel } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { timeElement } from '../time.ts';
import { adminAccount, adminNav } from './admin.page.ts';
import { page } from './layout.ts';
import { tenantUrl } from './tenants.page.ts';
import { csrfField, type FormState, head, notice, pill, problemBox, secretsBox, type ShownProblem, type ShownSecrets, textField } from '../kit.ts';

/** A subscription as the admin API reads one: never its secret; with its outbox by state. */
export type SubscriptionRow = z.output<typeof subscriptionWithOutbox>;

export const subscriptionsUrl = (tenantId: string) => `${tenantUrl(tenantId)}/subscriptions`;

/** The form's fields as the operator sees them, so an error names the field by its label. */
const LABELS: Record<string, string> = { url: 'Subscriber URL', events: 'Events', encrypted: 'Encrypted payloads', batch: 'Batches' };

function labelled(problem: ShownProblem): ShownProblem {
  return { ...problem, errors: problem.errors?.map((error) => ({ ...error, label: LABELS[error.path] ?? error.path })) };
}

export interface SubscriptionsView {
  csrfToken: string;
  tenant: TenantRecord;
  subscriptions: SubscriptionRow[];
  notice?: string | null;
  secrets?: ShownSecrets | null;
  /** The create form as posted, with its refusal. */
  form?: FormState | null;
}

const OUTBOX = [
  { key: 'pending', label: 'Pending', tone: 'pending' },
  { key: 'retrying', label: 'Retrying', tone: 'pending' },
  { key: 'delivered', label: 'Delivered', tone: 'delivered' },
  { key: 'failed', label: 'Failed', tone: 'failed' },
] as const;

function outboxCell(row: SubscriptionRow): SafeHtml {
  return html`${OUTBOX.map((state) => html`${pill(`${state.label} ${formatPoints(row.outbox[state.key])}`, row.outbox[state.key] > 0 ? state.tone : 'neutral')} `)}`;
}

function listPanel(view: SubscriptionsView): SafeHtml {
  const { tenant, subscriptions } = view;
  return html`<section class="panel" aria-labelledby="subscriptions-title" id="subscriptions">
    <h2 id="subscriptions-title">Subscribers</h2>
    ${
      subscriptions.length === 0
        ? html`<p class="empty" data-testid="no-subscriptions">No subscribers yet: no balance events are kept or sent.</p>`
        : html`<div class="table-wrap">
          <table data-testid="subscriptions">
            <thead>
              <tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Sent as</th><th scope="col">Outbox</th><th scope="col">Created</th><th scope="col">Actions</th></tr>
            </thead>
            <tbody>
              ${subscriptions.map(
                (row) => html`<tr data-testid="subscription">
                  <td data-label="URL" class="description"><code class="long-id"><bdi>${row.url}</bdi></code></td>
                  <td data-label="Events">${row.events.map((event, i) => html`${i ? ', ' : ''}<code>${event}</code>`)}</td>
                  <td data-label="Sent as">${row.encrypted ? 'Encrypted' : 'Signed, not encrypted'}${row.batch ? ', in batches' : ', one event a request'}</td>
                  <td data-label="Outbox" data-testid="outbox">${outboxCell(row)}</td>
                  <td data-label="Created">${timeElement(new Date(row.createdAt), 'datetime', undefined, tenant.timeZone)}</td>
                  <td data-label="Actions">
                    <form method="post" action="${subscriptionsUrl(tenant.id)}/${row.id}/rotate" class="inline-form">
                      ${csrfField(view.csrfToken)}
                      <button type="submit" class="button button-quiet" aria-label="Rotate the signing secret of ${row.url}">Rotate the secret</button>
                    </form>
                    <a class="button button-quiet" href="${subscriptionsUrl(tenant.id)}/${row.id}/delete" aria-label="Delete the subscription of ${row.url}">Delete…</a>
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
    }
    <p class="hint">Each subscriber hears of every change of a served balance from its creation on, signed with its own secret (docs/events.md). The outbox keeps one row per account: the newest change not yet delivered, or the last delivered.</p>
  </section>`;
}

function createPanel(view: SubscriptionsView): SafeHtml {
  const { tenant } = view;
  const state: FormState = view.form ?? { values: Object.fromEntries(SUBSCRIPTION_EVENTS.map((event) => [`event.${event}`, 'on'])) };
  const v = state.values;
  const eventsError = state.problem?.errors?.find((e) => e.path === 'events' || e.path.startsWith('events.'));
  const encryptedError = state.problem?.errors?.find((e) => e.path === 'encrypted');
  return html`<section class="panel" aria-labelledby="new-subscription-title" id="new-subscription">
    <h2 id="new-subscription-title">Add a subscriber</h2>
    ${state.problem ? problemBox(labelled(state.problem), 'subscription-error') : ''}
    <form method="post" action="${subscriptionsUrl(tenant.id)}" class="form" novalidate aria-labelledby="new-subscription-title">
      ${csrfField(view.csrfToken)}
      ${textField({ id: 'subscription-url', name: 'url', label: LABELS.url!, state, maxlength: 2000, hint: 'Where the events are POSTed, e.g. https://crm.example/hooks/points. The outbound address rules of the master webhook apply.' })}
      <fieldset class="field choice">
        <legend>${LABELS.events}</legend>
        ${SUBSCRIPTION_EVENTS.map(
          (event) =>
            html`<label class="choice-option"><input type="checkbox" name="event.${event}" value="on" ${v[`event.${event}`] === 'on' ? html`checked` : ''} /> <code>${event}</code></label>`,
        )}
      </fieldset>
      ${eventsError ? html`<p class="field-error" id="subscription-events-error">${LABELS.events}: ${eventsError.message}</p>` : ''}
      <div class="field">
        <label class="choice-option"><input type="checkbox" name="encrypted" value="on" ${v.encrypted === 'on' ? html`checked` : ''} ${encryptedError ? html`aria-invalid="true"` : ''} /> ${LABELS.encrypted}</label>
        ${encryptedError ? html`<p class="field-error" id="subscription-encrypted-error">${LABELS.encrypted}: ${encryptedError.message}</p>` : ''}
        <p class="hint">Encrypted with the tenant's webhook encryption key, as adjustments to the master are: the tenant needs its webhook set first.</p>
        <label class="choice-option"><input type="checkbox" name="batch" value="on" ${v.batch === 'on' ? html`checked` : ''} /> ${LABELS.batch}</label>
        <p class="hint">Up to 1000 events a request, as a JSON array, instead of one a request.</p>
      </div>
      <p class="hint">A signing secret is made and shown once, on the next page.</p>
      <button type="submit" class="button button-primary">Add the subscriber</button>
    </form>
  </section>`;
}

/** A tenant's subscribers to balance events: the list with its outboxes, rotation and deletion, and the form that adds one. */
export function subscriptionsPage(view: SubscriptionsView): string {
  const { tenant } = view;
  return page(
    { title: `Subscribers of ${tenant.name}`, nav: adminNav('none'), account: adminAccount(view.csrfToken) },
    html`${head(
      `Tenant · ${tenant.name}`,
      'Balance event subscribers',
      html`<a href="${tenantUrl(tenant.id)}">Back to the tenant</a> <span class="muted" data-testid="time-zone">${zoneLabel(tenant.timeZone)}</span>`,
    )}
      ${view.notice ? notice(view.notice) : ''}
      ${view.secrets ? secretsBox(view.secrets) : ''}
      ${listPanel(view)} ${createPanel(view)}`,
  );
}

/** The step before deleting a subscription: what it does, and a form that does it. */
export function deleteSubscriptionPage(view: { csrfToken: string; tenant: TenantRecord; subscription: SubscriptionRow; undelivered: number }): string {
  const { tenant, subscription, undelivered } = view;
  return page(
    { title: 'Delete a subscriber', nav: adminNav('none'), account: adminAccount(view.csrfToken) },
    html`${head(`Tenant · ${tenant.name}`, 'Delete a subscriber')}
      <section class="panel" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete the subscriber <code class="long-id"><bdi>${subscription.url}</bdi></code>?</h2>
        <p data-testid="undelivered">Nothing more is sent to it, and its ${formatPoints(undelivered)} events not delivered are dropped with it. This cannot be undone: a new subscriber starts from the figures as they then stand.</p>
        <form method="post" action="${subscriptionsUrl(tenant.id)}/${subscription.id}/delete" class="form">
          ${csrfField(view.csrfToken)}
          <p>
            <button type="submit" class="button button-primary" autofocus>Yes, delete the subscriber</button>
            <a class="button" href="${subscriptionsUrl(tenant.id)}#subscriptions">Keep it</a>
          </p>
        </form>
      </section>`,
  );
}
