/**
 * The pieces every page is built from: a form field, the CSRF field, a pill,
 * an alert, a page head and a pager. Each is written once here, so a page
 * says what it shows and never how a piece is spelt in markup.
 */
import { formatPoints } from './format.ts';
import { escapeHtml, html, SafeHtml } from './html.ts';

/** Extra attributes of a piece (`data-testid`, `id`, `role`, ...), named by the page's own code; `true` writes the name alone. */
type Attributes = Record<string, string | true | undefined>;

function attributes(attrs: Attributes): SafeHtml {
  const written = Object.entries(attrs)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => (value === true ? ` ${name}` : ` ${name}="${escapeHtml(value!)}"`));
  return new SafeHtml(written.join(''));
}

/** Problem details as the page shows them: the title, the detail, and one line per field error. */
export interface ShownProblem {
  title: string;
  detail: string;
  /** `label`: the field as the form names it; the request field name when absent. */
  errors?: { path: string; message: string; label?: string | undefined }[] | undefined;
}

/** A refusal above a form: what went wrong, and each field's error by the field's label. */
export function problemBox(problem: ShownProblem | null | undefined, id = 'form-error'): SafeHtml {
  if (!problem) return html``;
  const errors =
    problem.errors && problem.errors.length > 0
      ? html`<ul>${problem.errors.map((e) => html`<li><strong>${e.label ?? e.path}</strong>: ${e.message}</li>`)}</ul>`
      : '';
  return alert('error', { title: problem.title, body: html`<p>${problem.detail}</p>${errors}` }, { role: 'alert', id, tabindex: '-1' });
}

/** What a form shows: the values as posted and, after a refusal, the problem with its field errors. */
export interface FormState {
  values: Record<string, string>;
  problem?: ShownProblem | null;
}

export const errorOf = (state: FormState | undefined, field: string) => state?.problem?.errors?.find((e) => e.path === field);

interface TextField {
  /** Unique on the page; the form field's name is `name`. */
  id: string;
  name: string;
  label: string;
  state: FormState | undefined;
  hint?: string;
  type?: 'text' | 'password';
  autocomplete?: string;
  maxlength?: number;
  focus?: boolean;
}

/** A labelled input, its refusal said right under it and tied to it for screen readers. */
export function textField(f: TextField): SafeHtml {
  const error = errorOf(f.state, f.name);
  const described = [error ? `${f.id}-error` : '', f.hint ? `${f.id}-hint` : ''].filter(Boolean).join(' ');
  // A password typed before a refusal is not written back into the page.
  const value = f.type === 'password' ? '' : (f.state?.values[f.name] ?? '');
  return html`<div class="field">
    <label for="${f.id}">${f.label}</label>
    <input id="${f.id}" name="${f.name}" type="${f.type ?? 'text'}" value="${value}" autocomplete="${f.autocomplete ?? 'off'}"
      spellcheck="false" ${f.maxlength ? html`maxlength="${f.maxlength}"` : ''} ${described ? html`aria-describedby="${described}"` : ''}
      ${error ? html`aria-invalid="true"` : ''} ${f.focus ? html`autofocus` : ''} />
    ${error ? html`<p class="field-error" id="${f.id}-error">${f.label}: ${error.message}</p>` : ''}
    ${f.hint ? html`<p class="hint" id="${f.id}-hint">${f.hint}</p>` : ''}
  </div>`;
}

/** The hidden field every form that writes carries (plugins/ui-session.ts checks it). */
export const csrfField = (csrfToken: string) => html`<input type="hidden" name="_csrf" value="${csrfToken}" />`;

/** A page's head: a small line above the title, the title, and what else it says of the thing shown. */
export function head(eyebrow: string, title: string, meta: SafeHtml | string = ''): SafeHtml {
  return html`<section class="card-head">
    <div>
      <p class="eyebrow">${eyebrow}</p>
      <h1>${title}</h1>
    </div>
    ${meta ? html`<p class="card-meta">${meta}</p>` : ''}
  </section>`;
}

/** A pill's colour: green for done or in use, amber for waiting, red for failed, grey for the rest. */
export type PillTone = 'neutral' | 'active' | 'delivered' | 'pending' | 'waiting' | 'failed' | 'expired';

/** A short state word in a pill. */
export const pill = (label: string | SafeHtml, tone: PillTone = 'neutral', attrs: Attributes = {}) =>
  html`<span class="pill pill-${tone}"${attributes(attrs)}>${label}</span>`;

export type AlertTone = 'success' | 'warning' | 'error';

/** A box that stands out: a title in bold when there is one, then what it says. */
export const alert = (tone: AlertTone, content: { title?: string | SafeHtml; body?: unknown }, attrs: Attributes = {}) =>
  html`<div class="alert alert-${tone}"${attributes(attrs)}>${content.title ? html`<p class="alert-title">${content.title}</p>` : ''}${content.body}</div>`;

/** What a form post just did, said once at the top of the page it led back to. */
export const notice = (text: string) => alert('success', { body: html`<p>${text}</p>` }, { role: 'status', 'data-testid': 'notice' });

export interface PagerLinks {
  /** Names the pager for screen readers ("History pages"). */
  label: string;
  /** The address of the page that starts at `offset`. */
  at: (offset: number) => string;
  /** The words on the two links: ["← Newer", "Older →"]. */
  words: [string, string];
}

/** "Showing 21–40 of 57" and the links to the pages before and after, greyed out where there is none. */
export function pager(page: { offset: number; count: number; totalCount: number; items: readonly unknown[] }, links: PagerLinks): SafeHtml {
  const first = page.offset + 1;
  const last = Math.min(page.offset + page.items.length, page.totalCount);
  const link = (rel: 'prev' | 'next', offset: number | null, words: string) =>
    offset === null
      ? html`<span class="button is-disabled" aria-disabled="true">${words}</span>`
      : html`<a class="button" rel="${rel}" href="${links.at(offset)}">${words}</a>`;
  return html`<nav class="pager" aria-label="${links.label}">
    <p class="pager-status" data-testid="pager-status">${page.items.length === 0 ? '' : `Showing ${first}–${last} of ${formatPoints(page.totalCount)}`}</p>
    <div class="pager-links">
      ${link('prev', page.offset > 0 ? Math.max(0, page.offset - page.count) : null, links.words[0])}
      ${link('next', page.offset + page.count < page.totalCount ? page.offset + page.count : null, links.words[1])}
    </div>
  </nav>`;
}

/** Secrets shown once, each in full, on the page answering the form that made them. */
export interface ShownSecrets {
  title: string;
  values: { label: string; value: string }[];
}

/** The secrets a form just made, with the warning that this is the only time they are shown. */
export function secretsBox(secrets: ShownSecrets): SafeHtml {
  const [them, they] = secrets.values.length === 1 ? ['it', 'it'] : ['them', 'they'];
  const body = html`${secrets.values.map((s) => html`<p>${s.label}</p><p><code class="secret" data-testid="secret-value">${s.value}</code></p>`)}
    <p><strong>Copy ${them} now: ${they} will not be shown again.</strong> Neither this page nor any other can show ${them} later.</p>`;
  return alert('success', { title: secrets.title, body }, { role: 'status', id: 'secret', tabindex: '-1', autofocus: true, 'data-testid': 'secret' });
}
