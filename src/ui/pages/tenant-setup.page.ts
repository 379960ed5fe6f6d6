import type { z } from 'zod';
import type { adminDefinition } from '../../contracts/admin.ts';
import type { pointsLogConfig, webhookConfig } from '../../contracts/integrations.ts';
import type { ladder } from '../../contracts/levels.ts';
import type { SETUP_FORMS } from '../../contracts/tenant-setup-forms.ts';
import { CONTACT_ID_PLACEHOLDER } from '../../domain/points-log.ts';
import { LEVEL_BASES } from '../../domain/levels.ts';
import type { TenantRecord } from '../../domain/tenants.ts';
import { formatPoints, zoneLabel } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { timeElement } from '../time.ts';
import { adminAccount, adminNav } from './admin.page.ts';
import { page } from './layout.ts';
import { tenantUrl } from './tenants.page.ts';
import { csrfField, type FormState, head, notice, problemBox, secretsBox, type ShownProblem, type ShownSecrets, textField } from '../kit.ts';

type DefinitionRow = z.output<typeof adminDefinition>;
type WebhookRow = z.output<typeof webhookConfig>;
type PointsLogRow = z.output<typeof pointsLogConfig>;
type LadderRow = z.output<typeof ladder>;

export const setupUrl = (tenantId: string) => `${tenantUrl(tenantId)}/setup`;

/** The forms of the setup page, each posting to its own address under the page's. */
export type SetupForm = (typeof SETUP_FORMS)[number];

/** Each form's fields as the operator sees them, so an error names the field by its label. */
const LABELS: Record<SetupForm, Record<string, string>> = {
  settings: {
    timeZone: 'Time zone',
    maxAdjustmentPoints: 'Most points per adjustment',
    defaultDefinitionId: 'Default point definition',
    expiry: 'Who expires points',
    expectedPushMinutes: 'Pushes expected every (minutes)',
    pointSystemActive: 'Point system on',
    requireKnownContacts: 'Only known contacts',
  },
  definitions: { id: 'Id', name: 'Name', description: 'Description' },
  webhook: { url: 'Webhook URL' },
  'points-log': { urlTemplate: 'Points log URL', authHeader: 'Auth header' },
  levels: {
    definitionId: 'Point definition',
    basis: 'What counts',
    window: 'Window',
    'window.months': 'Months',
    levels: 'Levels',
    announce: 'Announce changes',
  },
};

/** `levels.2.threshold` -> "Levels, line 3: threshold"; other paths by their label. */
function labelOf(form: SetupForm, path: string): string {
  const line = /^levels\.(\d+)\.(\w+)$/.exec(path);
  if (form === 'levels' && line) return `Levels, line ${Number(line[1]) + 1}: ${line[2]}`;
  return LABELS[form][path] ?? path;
}

function labelled(problem: ShownProblem, form: SetupForm): ShownProblem {
  return { ...problem, errors: problem.errors?.map((error) => ({ ...error, label: labelOf(form, error.path) })) };
}

export interface SetupView {
  csrfToken: string;
  tenant: TenantRecord;
  definitions: DefinitionRow[];
  webhook: WebhookRow | null;
  pointsLog: PointsLogRow | null;
  /** Null: no ladder yet, or a balance-only tenant (which cannot have one). */
  ladder: LadderRow | null;
  notice?: string | null;
  secrets?: ShownSecrets | null;
  /** The form that was refused, with what was posted. */
  refused?: { form: SetupForm; state: FormState } | null;
}

/** The posted values and problem of `form` when it was the refused one, else the values the page starts from. */
function stateOf(view: SetupView, form: SetupForm, start: Record<string, string>): FormState {
  return view.refused?.form === form ? view.refused.state : { values: start };
}

const problemOf = (view: SetupView, form: SetupForm) =>
  view.refused?.form === form && view.refused.state.problem ? problemBox(labelled(view.refused.state.problem, form), `${form}-error`) : '';

function fieldError(state: FormState, field: string, id: string, label: string): SafeHtml | '' {
  const error = state.problem?.errors?.find((e) => e.path === field);
  return error ? html`<p class="field-error" id="${id}-error">${label}: ${error.message}</p>` : '';
}

const invalid = (state: FormState, field: string) => (state.problem?.errors?.some((e) => e.path === field) ? html`aria-invalid="true"` : '');

function settingsPanel(view: SetupView): SafeHtml {
  const { tenant, definitions } = view;
  const state = stateOf(view, 'settings', {
    timeZone: tenant.timeZone,
    maxAdjustmentPoints: String(tenant.maxAdjustmentPoints),
    defaultDefinitionId: String(tenant.defaultDefinitionId ?? ''),
    expiry: tenant.expiry,
    expectedPushMinutes: String(tenant.expectedPushMinutes ?? ''),
    pointSystemActive: tenant.pointSystemActive ? 'on' : '',
    requireKnownContacts: tenant.requireKnownContacts ? 'on' : '',
  });
  const v = state.values;
  const L = LABELS.settings;
  const box = (name: 'pointSystemActive' | 'requireKnownContacts', hint: string) => html`<label class="choice-option">
      <input type="checkbox" name="${name}" value="on" ${v[name] === 'on' ? html`checked` : ''} aria-describedby="setting-${name}-hint" />
      ${L[name]}</label
    ><p class="hint" id="setting-${name}-hint">${hint}</p>`;
  return html`<section class="panel" aria-labelledby="setup-settings-title" id="settings">
    <h2 id="setup-settings-title">Tenant settings</h2>
    ${problemOf(view, 'settings')}
    <form method="post" action="${setupUrl(tenant.id)}/settings" class="form" novalidate>
      ${csrfField(view.csrfToken)}
      ${textField({ id: 'setting-timeZone', name: 'timeZone', label: L.timeZone!, state, maxlength: 100, hint: 'An IANA time zone name, e.g. Europe/Stockholm or UTC: where calendar years begin, and how pushed times without an offset are read.' })}
      ${textField({ id: 'setting-maxAdjustmentPoints', name: 'maxAdjustmentPoints', label: L.maxAdjustmentPoints!, state, hint: 'The most one adjustment may give or remove, e.g. 100,000. The card asks to confirm above a tenth of it.' })}
      <div class="field">
        <label for="setting-defaultDefinitionId">${L.defaultDefinitionId}</label>
        <select id="setting-defaultDefinitionId" name="defaultDefinitionId" aria-describedby="setting-defaultDefinitionId-hint" ${invalid(state, 'defaultDefinitionId')}>
          <option value="" ${v.defaultDefinitionId === '' ? html`selected` : ''}>The lowest id</option>
          ${definitions.map((d) => html`<option value="${d.id}" ${v.defaultDefinitionId === String(d.id) ? html`selected` : ''}>${d.id} · ${d.name}</option>`)}
        </select>
        ${fieldError(state, 'defaultDefinitionId', 'setting-defaultDefinitionId', L.defaultDefinitionId!)}
        <p class="hint" id="setting-defaultDefinitionId-hint">The definition Engage's rewardpointtransaction adjusts when it names none.</p>
      </div>
      <fieldset class="field choice">
        <legend>${L.expiry}</legend>
        <label class="choice-option"><input type="radio" name="expiry" value="follower" ${v.expiry === 'follower' ? html`checked` : ''} /> The follower</label>
        <label class="choice-option"><input type="radio" name="expiry" value="master" ${v.expiry === 'master' ? html`checked` : ''} /> The point master</label>
      </fieldset>
      ${fieldError(state, 'expiry', 'setting-expiry', L.expiry!)}
      <p class="hint">All-transaction mode: who takes what is left of points off when they expire. The follower records it as an Expiry entry; the master sends its expiry as negative transactions.</p>
      ${textField({ id: 'setting-expectedPushMinutes', name: 'expectedPushMinutes', label: L.expectedPushMinutes!, state, hint: 'How often the master is expected to push; the overview shows the tenant in red past it. Empty: no expectation.' })}
      <div class="field">
        ${box('pointSystemActive', 'Off: the tenant keeps its settings and keys, but pushes and adjustments are refused.')}
        ${box('requireKnownContacts', 'Accept transactions only for contacts in the contact registry.')}
      </div>
      <button type="submit" class="button button-primary">Save the settings</button>
    </form>
  </section>`;
}

function definitionsPanel(view: SetupView): SafeHtml {
  const { tenant, definitions } = view;
  const state = stateOf(view, 'definitions', {});
  return html`<section class="panel" aria-labelledby="setup-definitions-title" id="definitions">
    <h2 id="setup-definitions-title">Point definitions</h2>
    ${
      definitions.length === 0
        ? html`<p class="empty">No point definitions yet: the contact card has nothing to give points in, and the master cannot push.</p>`
        : html`<div class="table-wrap">
          <table data-testid="definitions">
            <thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Description</th></tr></thead>
            <tbody>
              ${definitions.map((d) => html`<tr><td data-label="Id">${d.id}</td><td data-label="Name">${d.name}</td><td data-label="Description">${d.description ?? ''}</td></tr>`)}
            </tbody>
          </table>
        </div>`
    }
    <h3 id="new-definition-title">Add a point definition</h3>
    ${problemOf(view, 'definitions')}
    <form method="post" action="${setupUrl(tenant.id)}/definitions" class="form" novalidate aria-labelledby="new-definition-title">
      ${csrfField(view.csrfToken)}
      ${textField({ id: 'definition-id', name: 'id', label: LABELS.definitions.id!, state, hint: "The master's id for it, a whole number from 1, e.g. 1." })}
      ${textField({ id: 'definition-name', name: 'name', label: LABELS.definitions.name!, state, maxlength: 200, hint: 'As people see it, e.g. Bonus points.' })}
      ${textField({ id: 'definition-description', name: 'description', label: LABELS.definitions.description!, state, maxlength: 2000, hint: 'Optional.' })}
      <button type="submit" class="button button-primary">Add the definition</button>
    </form>
  </section>`;
}

function webhookPanel(view: SetupView): SafeHtml {
  const { tenant, webhook } = view;
  const state = stateOf(view, 'webhook', { url: webhook?.url ?? '' });
  return html`<section class="panel" aria-labelledby="setup-webhook-title" id="webhook">
    <h2 id="setup-webhook-title">Webhook to the point master</h2>
    ${
      webhook
        ? html`<p data-testid="webhook-url">Adjustments are sent to <code>${webhook.url}</code>, encrypted and signed with secrets made ${timeElement(new Date(webhook.secretsCreatedAt), 'datetime', undefined, tenant.timeZone)}.</p>`
        : html`<p class="empty" data-testid="webhook-url">No webhook yet: adjustments wait (“not set up yet”) until one is set.</p>`
    }
    ${problemOf(view, 'webhook')}
    <form method="post" action="${setupUrl(tenant.id)}/webhook" class="form" novalidate>
      ${csrfField(view.csrfToken)}
      ${textField({ id: 'webhook-url-field', name: 'url', label: LABELS.webhook.url!, state, maxlength: 2000, hint: 'An http or https address of the master. The first time, an encryption key and a signing secret are made and shown once.' })}
      <button type="submit" class="button button-primary">${webhook ? 'Change the URL' : 'Set the webhook'}</button>
    </form>
    ${
      webhook
        ? html`<h3 id="rotate-title">Rotate the key and secret</h3>
          <p>Makes a new encryption key and signing secret and shows them once; deliveries not yet delivered use them from their next attempt. The master needs both before then.</p>
          <form method="post" action="${setupUrl(tenant.id)}/webhook/rotate" class="form" aria-labelledby="rotate-title">
            ${csrfField(view.csrfToken)}
            <button type="submit" class="button">Rotate the key and secret</button>
          </form>`
        : ''
    }
  </section>`;
}

function pointsLogPanel(view: SetupView): SafeHtml {
  const { tenant, pointsLog } = view;
  const state = stateOf(view, 'points-log', { urlTemplate: pointsLog?.urlTemplate ?? '' });
  return html`<section class="panel" aria-labelledby="setup-points-log-title" id="points-log">
    <h2 id="setup-points-log-title">Points log of the point master</h2>
    ${
      pointsLog
        ? html`<p data-testid="points-log-url">The card reads <code>${pointsLog.urlTemplate}</code>${
            pointsLog.authHeaderName ? html`, with the header <code>${pointsLog.authHeaderName}</code> (its value is never shown)` : ', with no auth header'
          }.</p>`
        : html`<p class="empty" data-testid="points-log-url">Not set: the card shows no points log.</p>`
    }
    ${problemOf(view, 'points-log')}
    <form method="post" action="${setupUrl(tenant.id)}/points-log" class="form" novalidate>
      ${csrfField(view.csrfToken)}
      ${textField({ id: 'points-log-url-field', name: 'urlTemplate', label: LABELS['points-log'].urlTemplate!, state, maxlength: 2000, hint: `With ${CONTACT_ID_PLACEHOLDER} where the contact id goes, e.g. https://master.example/points/${CONTACT_ID_PLACEHOLDER}.` })}
      ${textField({ id: 'points-log-auth', name: 'authHeader', label: LABELS['points-log'].authHeader!, state, type: 'password', autocomplete: 'off', maxlength: 4000, hint: 'One header line, e.g. "Authorization: Bearer <token>". Write-only: stored sealed and never shown. Saving without one sends none.' })}
      <button type="submit" class="button button-primary">Save the points log</button>
    </form>
  </section>`;
}

const ladderLines = (levels: LadderRow['levels']) => levels.map((l) => `${l.key}; ${l.name}; ${l.threshold}`).join('\n');

function levelsPanel(view: SetupView): SafeHtml {
  const { tenant, ladder, definitions } = view;
  if (tenant.mode !== 'all-transaction') {
    return html`<section class="panel" aria-labelledby="setup-levels-title" id="levels">
      <h2 id="setup-levels-title">Member levels</h2>
      <p class="empty">Member levels need all-transaction mode: this tenant is balance-only.</p>
    </section>`;
  }
  const state = stateOf(view, 'levels', {
    definitionId: ladder ? String(ladder.definitionId) : String(definitions[0]?.id ?? ''),
    basis: ladder?.basis ?? 'PointsEarned',
    windowType: ladder?.window.type ?? 'Rolling',
    windowMonths: ladder?.window.type === 'Rolling' ? String(ladder.window.months) : '12',
    levels: ladder ? ladderLines(ladder.levels) : 'base; Member; 0\nsilver; Silver; 1,000\ngold; Gold; 5,000',
    announce: ladder?.announce ? 'on' : '',
  });
  const v = state.values;
  const L = LABELS.levels;
  const levelsError = state.problem?.errors?.filter((e) => e.path === 'levels' || e.path.startsWith('levels.')) ?? [];
  return html`<section class="panel" aria-labelledby="setup-levels-title" id="levels">
    <h2 id="setup-levels-title">Member levels</h2>
    ${
      ladder
        ? html`<p data-testid="ladder">${ladder.levels.map((l, i) => html`${i ? ' · ' : ''}<strong>${l.name}</strong> from ${formatPoints(l.threshold)}`)}</p>`
        : html`<p class="empty" data-testid="ladder">No ladder yet: contacts have no member level.</p>`
    }
    ${problemOf(view, 'levels')}
    <form method="post" action="${setupUrl(tenant.id)}/levels" class="form" novalidate>
      ${csrfField(view.csrfToken)}
      <div class="field">
        <label for="levels-definition">${L.definitionId}</label>
        <select id="levels-definition" name="definitionId" ${invalid(state, 'definitionId')}>
          ${definitions.map((d) => html`<option value="${d.id}" ${v.definitionId === String(d.id) ? html`selected` : ''}>${d.id} · ${d.name}</option>`)}
        </select>
        ${fieldError(state, 'definitionId', 'levels-definition', L.definitionId!)}
      </div>
      <fieldset class="field choice">
        <legend>${L.basis}</legend>
        ${LEVEL_BASES.map(
          (basis) => html`<label class="choice-option"><input type="radio" name="basis" value="${basis}" ${v.basis === basis ? html`checked` : ''} />
            ${basis === 'PointsEarned' ? 'Points earned' : 'Purchases minus returns'}</label>`,
        )}
      </fieldset>
      <fieldset class="field choice">
        <legend>${L.window}</legend>
        <label class="choice-option"><input type="radio" name="windowType" value="Rolling" ${v.windowType !== 'CalendarYear' ? html`checked` : ''} /> The last months</label>
        <label class="choice-option"><input type="radio" name="windowType" value="CalendarYear" ${v.windowType === 'CalendarYear' ? html`checked` : ''} /> The calendar year (in ${tenant.timeZone})</label>
      </fieldset>
      ${textField({ id: 'levels-months', name: 'windowMonths', label: 'Months (for the last months)', state: { values: v, problem: state.problem ? { ...state.problem, errors: state.problem.errors?.map((e) => (e.path === 'window.months' ? { ...e, path: 'windowMonths' } : e)) } : null }, hint: 'From 1 to 120.' })}
      <div class="field">
        <label for="levels-lines">${L.levels}</label>
        <textarea id="levels-lines" name="levels" rows="5" spellcheck="false" aria-describedby="levels-lines-hint" ${levelsError.length ? html`aria-invalid="true"` : ''}>${v.levels ?? ''}</textarea>
        ${levelsError.map((e) => html`<p class="field-error">${labelOf('levels', e.path)}: ${e.message}</p>`)}
        <p class="hint" id="levels-lines-hint">One level a line: key; name; threshold. The first threshold is 0, and each is higher than the one before. Setting the ladder places every contact again.</p>
      </div>
      <div class="field">
        <label class="choice-option"><input type="checkbox" name="announce" value="on" ${v.announce === 'on' ? html`checked` : ''} /> ${L.announce}</label>
        <p class="hint">Sends each level change to the master as a webhook event.</p>
      </div>
      <button type="submit" class="button button-primary">Set the ladder</button>
    </form>
  </section>`;
}

/** Everything an operator sets up for a tenant besides keys and users, each part with the form that changes it. */
export function tenantSetupPage(view: SetupView): string {
  const { tenant } = view;
  return page(
    { title: `Set up ${tenant.name}`, nav: adminNav('none'), account: adminAccount(view.csrfToken) },
    html`${head(`Tenant · ${tenant.name}`, 'Set up the tenant', html`<a href="${tenantUrl(tenant.id)}">Back to the tenant</a> <span class="muted" data-testid="time-zone">${zoneLabel(tenant.timeZone)}</span>`)}
      ${view.notice ? notice(view.notice) : ''}
      ${view.secrets ? secretsBox(view.secrets) : ''}
      ${definitionsPanel(view)} ${settingsPanel(view)} ${webhookPanel(view)} ${pointsLogPanel(view)} ${levelsPanel(view)}`,
  );
}
