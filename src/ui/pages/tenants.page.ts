import type { z } from 'zod';
import type { apiKeySummary } from '../../contracts/admin.ts';
import type { TenantPageNotice } from '../../contracts/ui.ts';
import type { uiUser } from '../../contracts/ui-users.ts';
import type { TenantRecord } from '../../domain/tenants.ts';
import { formatPoints, zoneLabel } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { timeElement } from '../time.ts';
import { adminAccount, adminNav, deliveriesUrl } from './admin.page.ts';
import { page } from './layout.ts';
import { csrfField, errorOf, type FormState, head, notice, pill, problemBox, secretsBox, type ShownProblem, type ShownSecrets, textField } from '../kit.ts';

/** A key as the admin API lists it: never the key itself. */
export type ApiKeyRow = z.output<typeof apiKeySummary>;
/** A contact card user as the admin API shows it: never the password. */
export type UiUserRow = z.output<typeof uiUser>;

export const tenantUrl = (tenantId: string) => `/ui/admin/tenants/${tenantId}`;

/** The labels each form shows, so an error names a field as the operator sees it. */
const LABELS = {
  tenant: { name: 'Name', mode: 'Mode', pointSystemActive: 'Point system on', requireKnownContacts: 'Only known contacts' },
  key: { name: 'Key name' },
  user: { username: 'Username', displayName: 'Display name', password: 'Password' },
  password: { password: 'New password' },
} as const satisfies Record<string, Record<string, string>>;

/** The problem with each field error named by its label, for the box above a form. */
function labelled(problem: ShownProblem, form: keyof typeof LABELS): ShownProblem {
  const labels: Record<string, string> = LABELS[form];
  return { ...problem, errors: problem.errors?.map((error) => ({ ...error, label: labels[error.path] ?? error.path })) };
}

/** The first field of the form (in the order shown) that was refused: it takes the focus. */
const firstRefused = (state: FormState | undefined, fields: string[]) => fields.find((field) => errorOf(state, field) !== undefined);

const MODES = [
  { value: 'balance-only', label: 'Balance only', hint: 'the master pushes balances' },
  { value: 'all-transaction', label: 'All transactions', hint: 'the master pushes every transaction; member levels need this mode' },
] as const;

/** The create-a-tenant form, the admin API's create body as fields. */
export function newTenantPage(view: { csrfToken: string; form?: FormState }): string {
  const state = view.form ?? { values: { pointSystemActive: 'on' } };
  const { values } = state;
  const focus = firstRefused(state, ['name', 'mode']) ?? (state.problem ? undefined : 'name');
  const modeError = errorOf(state, 'mode');
  const box = (name: 'pointSystemActive' | 'requireKnownContacts', hint: string) => html`<label class="choice-option">
      <input type="checkbox" name="${name}" value="on" ${values[name] === 'on' ? html`checked` : ''} aria-describedby="${name}-hint" />
      ${LABELS.tenant[name]}</label
    ><p class="hint" id="${name}-hint">${hint}</p>`;
  return page(
    { title: 'Create a tenant', nav: adminNav('none'), account: adminAccount(view.csrfToken) },
    html`${head('Operations', 'Create a tenant')}
      <section class="panel" aria-labelledby="new-tenant-title">
        <h2 id="new-tenant-title">A new tenant</h2>
        ${state.problem ? problemBox(labelled(state.problem, 'tenant'), 'tenant-error') : ''}
        <form method="post" action="/ui/admin/tenants" class="form" novalidate>
          ${csrfField(view.csrfToken)}
          ${textField({
            id: 'tenant-name',
            name: 'name',
            label: LABELS.tenant.name,
            state,
            maxlength: 100,
            focus: focus === 'name',
            hint: 'The account name people type to sign in to the contact card, e.g. acme-retail: 1-100 letters, digits, ".", "_" or "-".',
          })}
          <fieldset class="field choice" ${modeError ? html`aria-describedby="tenant-mode-error"` : ''}>
            <legend>${LABELS.tenant.mode}</legend>
            ${MODES.map(
              (mode, i) => html`<label class="choice-option"
                ><input type="radio" name="mode" value="${mode.value}" ${values.mode === mode.value ? html`checked` : ''}
                  ${modeError ? html`aria-invalid="true"` : ''} ${focus === 'mode' && i === 0 ? html`autofocus` : ''} />
                ${mode.label}</label
              >`,
            )}
          </fieldset>
          ${modeError ? html`<p class="field-error" id="tenant-mode-error">${LABELS.tenant.mode}: ${modeError.message}</p>` : ''}
          <p class="hint">${MODES.map((mode) => html`<strong>${mode.label}</strong>: ${mode.hint}. `)}</p>
          <div class="field">
            ${box('pointSystemActive', 'Off: the tenant keeps its settings and keys, but pushes and adjustments are refused.')}
            ${box('requireKnownContacts', 'Accept transactions only for contacts in the contact registry.')}
          </div>
          <button type="submit" class="button button-primary">Create the tenant</button>
        </form>
      </section>`,
  );
}

export interface TenantView {
  csrfToken: string;
  tenant: TenantRecord;
  keys: ApiKeyRow[];
  users: UiUserRow[];
  /** Where adjustments are sent; null before a webhook is set. */
  webhookUrl: string | null;
  notice?: string | null;
  secrets?: ShownSecrets | null;
  keyForm?: FormState;
  userForm?: FormState;
}

/** The confirmation line after a redirect back to the tenant's page, naming the key or user by what the lists hold. */
export function tenantNotice(done: TenantPageNotice | undefined, id: string | undefined, keys: ApiKeyRow[], users: UiUserRow[]): string | null {
  const key = keys.find((k) => k.id === id);
  const user = users.find((u) => u.id === id);
  const who = user?.username ?? 'The user';
  switch (done) {
    case 'tenant-created':
      return 'The tenant is created. Set it up (point definitions, settings, the webhook), then give it an API key for its point master, and users for the contact card.';
    case 'key-revoked':
      return `${key ? `API key “${key.name}” (${key.prefix}…)` : 'The API key'} is revoked: requests with it are refused from now on.`;
    case 'user-created':
      return `${who} can sign in to the contact card now, with the password you gave.`;
    case 'user-disabled':
      return `${who} is disabled: signed out everywhere, and sign-ins are refused.`;
    case 'user-enabled':
      return `${who} can sign in again.`;
    case 'password-reset':
      return `${who} has a new password: signed out everywhere, and any lock-out is lifted.`;
    case undefined:
      return null;
  }
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

function settingsPanel(tenant: TenantRecord, webhookUrl: string | null): SafeHtml {
  return html`<section class="panel" aria-labelledby="settings-title">
    <h2 id="settings-title">Settings</h2>
    <dl class="account-tile-facts" data-testid="settings">
      <div><dt>Mode</dt><dd>${tenant.mode}</dd></div>
      <div><dt>Point system on</dt><dd>${yesNo(tenant.pointSystemActive)}</dd></div>
      <div><dt>Only known contacts</dt><dd>${yesNo(tenant.requireKnownContacts)}</dd></div>
      <div><dt>Most points per adjustment</dt><dd>${formatPoints(tenant.maxAdjustmentPoints)}</dd></div>
      <div><dt>Time zone</dt><dd>${tenant.timeZone}</dd></div>
      <div><dt>Webhook URL</dt><dd data-testid="webhook-url">${webhookUrl ? html`<code>${webhookUrl}</code>` : 'not set yet: adjustments wait'}</dd></div>
    </dl>
    <p><a class="button" href="${tenantUrl(tenant.id)}/setup">Set up the tenant…</a> point definitions, these settings, the webhook, the points log and member levels.</p>
    <p><a class="button" href="${tenantUrl(tenant.id)}/subscriptions">Balance event subscribers…</a> who else hears of every balance change, with their outboxes.</p>
    <p class="hint"><a href="${deliveriesUrl({ tenantId: tenant.id })}">Webhook deliveries of this tenant</a>.</p>
  </section>`;
}

function keysPanel(view: TenantView): SafeHtml {
  const { tenant, keys } = view;
  const state = view.keyForm;
  return html`<section class="panel" aria-labelledby="keys-title" id="api-keys">
    <h2 id="keys-title">API keys</h2>
    ${
      keys.length === 0
        ? html`<p class="empty">No API keys yet: the point master needs one to push.</p>`
        : html`<div class="table-wrap">
          <table data-testid="api-keys">
            <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
            <tbody>
              ${keys.map(
                (key) => html`<tr data-key-id="${key.id}">
                  <td data-label="Name">${key.name}</td>
                  <td data-label="Prefix"><code>${key.prefix}…</code></td>
                  <td data-label="Created">${timeElement(new Date(key.createdAt), 'datetime', undefined, tenant.timeZone)}</td>
                  <td data-label="Status">${key.revokedAt ? html`${pill('Revoked', 'failed')} ${timeElement(new Date(key.revokedAt), 'datetime', undefined, tenant.timeZone)}` : pill('Active', 'active')}</td>
                  <td data-label="Action">${
                    key.revokedAt
                      ? ''
                      : html`<a class="button button-quiet" href="${tenantUrl(tenant.id)}/api-keys/${key.id}/revoke" aria-label="Revoke ${key.name}">Revoke…</a>`
                  }</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
    }
    <h3 id="new-key-title">Create an API key</h3>
    ${state?.problem ? problemBox(labelled(state.problem, 'key'), 'key-error') : ''}
    <form method="post" action="${tenantUrl(tenant.id)}/api-keys" class="form" novalidate aria-labelledby="new-key-title">
      ${csrfField(view.csrfToken)}
      ${textField({
        id: 'key-name',
        name: 'name',
        label: LABELS.key.name,
        state,
        maxlength: 200,
        focus: firstRefused(state, ['name']) !== undefined,
        hint: 'Who uses it, e.g. "point master production". The key itself is shown once, on the next page.',
      })}
      <button type="submit" class="button button-primary">Create the key</button>
    </form>
  </section>`;
}

function usersPanel(view: TenantView): SafeHtml {
  const { tenant, users } = view;
  const state = view.userForm;
  const focus = firstRefused(state, ['username', 'displayName', 'password']);
  const action = (
    user: UiUserRow,
    what: 'disable' | 'enable',
    label: string,
  ) => html`<form method="post" action="${tenantUrl(tenant.id)}/users/${user.id}/${what}" class="inline-form">
    ${csrfField(view.csrfToken)}
    <button type="submit" class="button button-quiet" aria-label="${label} ${user.username}">${label}</button>
  </form>`;
  return html`<section class="panel" aria-labelledby="users-title" id="users">
    <h2 id="users-title">Contact card users</h2>
    ${
      users.length === 0
        ? html`<p class="empty">No users yet: nobody can sign in to this tenant's contact card.</p>`
        : html`<div class="table-wrap">
          <table data-testid="users">
            <thead><tr><th scope="col">Username</th><th scope="col">Display name</th><th scope="col">Created</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              ${users.map(
                (user) => html`<tr data-user-id="${user.id}">
                  <td data-label="Username"><code>${user.username}</code></td>
                  <td data-label="Display name">${user.displayName}</td>
                  <td data-label="Created">${timeElement(new Date(user.createdAt), 'datetime', undefined, tenant.timeZone)}</td>
                  <td data-label="State">${user.disabled ? pill('Disabled', 'failed') : pill('Active', 'active')}</td>
                  <td data-label="Actions">
                    <a class="button button-quiet" href="${tenantUrl(tenant.id)}/users/${user.id}/password" aria-label="Reset password of ${user.username}">Reset password…</a>
                    ${user.disabled ? action(user, 'enable', 'Enable') : action(user, 'disable', 'Disable')}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
    }
    <p class="hint">People sign in at <code>/ui/login</code> with the organisation <code>${tenant.name}</code>. A failed sign-in lock-out is lifted by resetting the password.</p>
    <h3 id="new-user-title">Create a user</h3>
    ${state?.problem ? problemBox(labelled(state.problem, 'user'), 'user-error') : ''}
    <form method="post" action="${tenantUrl(tenant.id)}/users" class="form" novalidate aria-labelledby="new-user-title">
      ${csrfField(view.csrfToken)}
      ${textField({
        id: 'user-username',
        name: 'username',
        label: LABELS.user.username,
        state,
        maxlength: 100,
        focus: focus === 'username',
        hint: 'Unique in this tenant, e.g. maria.lindqvist; case does not matter.',
      })}
      ${textField({ id: 'user-displayName', name: 'displayName', label: LABELS.user.displayName, state, maxlength: 200, focus: focus === 'displayName', hint: 'Shown on the card and sent to the master as UserName.' })}
      ${textField({
        id: 'user-password',
        name: 'password',
        label: LABELS.user.password,
        state,
        type: 'password',
        autocomplete: 'new-password',
        focus: focus === 'password',
        hint: 'At least 12 characters. Leave it empty to have one generated: it is shown once, on the next page.',
      })}
      <button type="submit" class="button button-primary">Create the user</button>
    </form>
  </section>`;
}

/** One tenant: its settings, its API keys and its contact card users, each with the forms that change them. */
export function tenantPage(view: TenantView): string {
  const { tenant } = view;
  return page(
    { title: tenant.name, nav: adminNav('none'), account: adminAccount(view.csrfToken) },
    html`${head('Tenant', tenant.name, html`${pill(tenant.mode)} <code class="long-id">${tenant.id}</code> <span class="muted" data-testid="time-zone">${zoneLabel(tenant.timeZone)}</span>`)}
      ${view.notice ? notice(view.notice) : ''}
      ${view.secrets ? secretsBox(view.secrets) : ''}
      ${settingsPanel(tenant, view.webhookUrl)}
      ${keysPanel(view)}
      ${usersPanel(view)}`,
  );
}

/** The step before revoking a key: what it does, and a form that does it. */
export function revokeKeyPage(view: { csrfToken: string; tenant: TenantRecord; key: ApiKeyRow }): string {
  const { tenant, key } = view;
  return page(
    { title: `Revoke ${key.name}`, nav: adminNav('none'), account: adminAccount(view.csrfToken) },
    html`${head(`Tenant · ${tenant.name}`, 'Revoke an API key')}
      <section class="panel" aria-labelledby="revoke-title">
        <h2 id="revoke-title">Revoke “${key.name}” (<code>${key.prefix}…</code>)?</h2>
        <p>Every request with this key is refused from then on, at once. This cannot be undone: the master then needs a new key.</p>
        <form method="post" action="${tenantUrl(tenant.id)}/api-keys/${key.id}/revoke" class="form">
          ${csrfField(view.csrfToken)}
          <p>
            <button type="submit" class="button button-primary" autofocus>Yes, revoke the key</button>
            <a class="button" href="${tenantUrl(tenant.id)}#api-keys">Keep it</a>
          </p>
        </form>
      </section>`,
  );
}

/** A new password for one user: typed, or generated and shown once. */
export function resetPasswordPage(view: { csrfToken: string; tenant: TenantRecord; user: UiUserRow; form?: FormState }): string {
  const { tenant, user } = view;
  const state = view.form;
  return page(
    { title: `Reset the password of ${user.username}`, nav: adminNav('none'), account: adminAccount(view.csrfToken) },
    html`${head(`Tenant · ${tenant.name}`, 'Reset a password')}
      <section class="panel" aria-labelledby="reset-title">
        <h2 id="reset-title">A new password for <code>${user.username}</code> (${user.displayName})</h2>
        <p>The user is signed out everywhere, and a lock-out after failed sign-ins is lifted.</p>
        ${state?.problem ? problemBox(labelled(state.problem, 'password'), 'password-error') : ''}
        <form method="post" action="${tenantUrl(tenant.id)}/users/${user.id}/password" class="form" novalidate>
          ${csrfField(view.csrfToken)}
          ${textField({
            id: 'new-password',
            name: 'password',
            label: LABELS.password.password,
            state,
            type: 'password',
            autocomplete: 'new-password',
            focus: true,
            hint: 'At least 12 characters. Leave it empty to have one generated: it is shown once, on the next page.',
          })}
          <p>
            <button type="submit" class="button button-primary">Set the new password</button>
            <a class="button" href="${tenantUrl(tenant.id)}#users">Cancel</a>
          </p>
        </form>
      </section>`,
  );
}
