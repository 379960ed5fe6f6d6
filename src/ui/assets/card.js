// Progressive enhancement for the contact card; every page also works as plain forms and links.
'use strict';

const POLL_FAST_MS = 2000;
const POLL_SLOW_MS = 15000;
const FAST_FOR_MS = 120000;

// Dates come from the server in UTC; show them in the reader's own time zone.
function localiseTimes(root) {
  const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
  for (const element of root.querySelectorAll('time[datetime][data-format]')) {
    const at = new Date(element.getAttribute('datetime'));
    if (Number.isNaN(at.getTime())) continue;
    element.title = element.textContent;
    element.textContent = (element.dataset.format === 'date' ? dateOnly : dateTime).format(at);
  }
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Problem details (RFC 9457) as the same alert box the server renders; text only, never markup.
function problemAlert(problem) {
  const box = element('div', 'alert alert-error');
  box.setAttribute('role', 'alert');
  box.tabIndex = -1;
  box.id = 'adjustment-error';
  box.append(element('p', 'alert-title', problem.title || 'Something went wrong'));
  if (problem.detail) box.append(element('p', '', problem.detail));
  if (Array.isArray(problem.errors) && problem.errors.length > 0) {
    const list = element('ul');
    for (const error of problem.errors) {
      const item = element('li');
      item.append(element('strong', '', String(error.path)), document.createTextNode(`: ${error.message}`));
      list.append(item);
    }
    box.append(list);
  }
  return box;
}

function successAlert() {
  const box = element('div', 'alert alert-success');
  box.setAttribute('role', 'status');
  box.tabIndex = -1;
  box.id = 'adjustment-sent';
  box.append(
    element('p', 'alert-title', 'Sent to the point master'),
    element('p', '', 'The balance changes when the master next syncs. Follow its state below.'),
  );
  return box;
}

// The adjustments list is rendered by the server; while any delivery is still on its way, fetch it again.
function watchAdjustments() {
  let timer;
  const started = Date.now();

  async function refresh() {
    const list = document.querySelector('[data-adjustments-list]');
    if (!list) return;
    const response = await fetch(list.dataset.src, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    if (response.status === 401 || response.redirected) {
      list.prepend(element('p', 'alert alert-warning', 'Your session has ended. Reload the page and sign in to follow the adjustments.'));
      return;
    }
    if (!response.ok) return;
    const template = document.createElement('template');
    template.innerHTML = (await response.text()).trim();
    const fresh = template.content.firstElementChild;
    if (!fresh) return;
    localiseTimes(fresh);
    list.replaceWith(fresh);
  }

  async function tick() {
    try {
      await refresh();
    } catch {
      // A lost connection is retried on the next tick.
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    const list = document.querySelector('[data-adjustments-list]');
    if (!list || list.dataset.settled === 'true') return;
    timer = setTimeout(tick, Date.now() - started < FAST_FOR_MS ? POLL_FAST_MS : POLL_SLOW_MS);
  }

  return { now: tick, schedule };
}

/** A version-4 UUID; crypto.randomUUID exists only in secure contexts, getRandomValues everywhere. */
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function enhanceAdjustmentForm(watcher) {
  const form = document.querySelector('form[data-adjustment-form]');
  if (!form) return;
  const feedback = form.querySelector('[data-adjustment-feedback]');
  const button = form.querySelector('button[type="submit"]');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.getAttribute('aria-busy') === 'true') return; // one click, one adjustment
    button.setAttribute('aria-busy', 'true');
    button.disabled = true;
    feedback.replaceChildren();
    for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    try {
      const body = new URLSearchParams(new FormData(form));
      const response = await fetch(form.action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': body.get('_csrf') || '' },
        body,
      });
      if (response.ok) {
        // This submission is done: the next one is another adjustment, so it gets a key of its own.
        form.querySelector('[name="idempotencyKey"]').value = newKey();
        form.querySelector('[name="amount"]').value = '';
        form.querySelector('[name="description"]').value = '';
        const box = successAlert();
        feedback.append(box);
        box.focus();
        await watcher.now();
        return;
      }
      let problem = { title: `Error ${response.status}`, detail: 'The adjustment was not sent.' };
      if ((response.headers.get('content-type') || '').includes('json')) problem = await response.json();
      const box = problemAlert(problem);
      feedback.append(box);
      for (const error of problem.errors || []) form.querySelector(`[name="${CSS.escape(String(error.path))}"]`)?.setAttribute('aria-invalid', 'true');
      box.focus();
    } catch {
      const box = problemAlert({ title: 'Not sent', detail: 'The service could not be reached. Check the list below before trying again.' });
      feedback.append(box);
      box.focus();
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
}

document.addEventListener('DOMContentLoaded', () => {
  localiseTimes(document);
  const watcher = watchAdjustments();
  enhanceAdjustmentForm(watcher);
  watcher.schedule();
});
