// Progressive enhancement for the contact card; every page also works as plain forms and links.
'use strict';

const POLL_FAST_MS = 2000;
const POLL_SLOW_MS = 15000;
const FAST_FOR_MS = 120000;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The label a form shows for a field, so errors name it as the person sees it.
function fieldLabel(form, path) {
  const field = form.querySelector(`[name="${CSS.escape(path)}"]`);
  const label = field?.id ? form.querySelector(`label[for="${CSS.escape(field.id)}"]`) : null;
  const legend = field?.closest('fieldset')?.querySelector('legend');
  return (label || legend)?.textContent.trim() || 'Form';
}

// Problem details (RFC 9457) as the same alert box the server renders; text only, never markup.
function problemAlert(form, problem) {
  const box = element('div', 'alert alert-error');
  box.setAttribute('role', 'alert');
  box.tabIndex = -1;
  box.id = 'adjustment-error';
  box.append(element('p', 'alert-title', 'The points were not sent'));
  if (problem.detail) box.append(element('p', '', problem.detail));
  if (Array.isArray(problem.errors) && problem.errors.length > 0) {
    const list = element('ul');
    for (const error of problem.errors) {
      const item = element('li');
      item.append(element('strong', '', fieldLabel(form, String(error.path))), document.createTextNode(`: ${error.message}`));
      list.append(item);
    }
    box.append(list);
  }
  return box;
}

// The banner after sending: its words come from the server, on the adjustment's line in the list (or in the answer to the form).
function sentAlert(id, stage, banner) {
  const box = element('div', `alert alert-${banner.tone}`);
  box.setAttribute('role', 'status');
  box.tabIndex = -1;
  box.id = 'adjustment-sent';
  box.dataset.adjustmentId = id;
  box.dataset.stage = stage;
  box.append(element('p', 'alert-title', banner.title), element('p', '', banner.text));
  return box;
}

// After each refresh of the list, the banner follows the stage of the adjustment it announced.
function followSentBanner() {
  const box = document.getElementById('adjustment-sent');
  const id = box?.dataset.adjustmentId;
  if (!id) return;
  const item = document.querySelector(`.adjustment[data-adjustment-id="${CSS.escape(id)}"]`);
  if (!item || item.dataset.stage === box.dataset.stage) return;
  const { bannerTone: tone, bannerTitle: title, bannerText: text } = item.dataset;
  box.replaceWith(sentAlert(id, item.dataset.stage, { tone, title, text }));
}

// Reasons longer than three lines fold (CSS clamps them once this script runs); a switch shows the rest.
function foldLongText(root) {
  for (const text of root.querySelectorAll('[data-fold]')) {
    if (text.dataset.folded || text.scrollHeight <= text.clientHeight + 1) continue;
    text.dataset.folded = 'true';
    const toggle = element('button', 'fold-toggle', 'Show all');
    toggle.type = 'button';
    toggle.setAttribute('aria-expanded', 'false');
    toggle.addEventListener('click', () => {
      const open = text.classList.toggle('is-open');
      toggle.setAttribute('aria-expanded', String(open));
      toggle.textContent = open ? 'Show less' : 'Show all';
    });
    text.after(toggle);
  }
}

// The stage of each adjustment on the page, by id, to notice one that has just reached the balance.
function stagesOf(root) {
  return new Map([...root.querySelectorAll('.adjustment')].map((item) => [item.dataset.adjustmentId, item.dataset.stage]));
}

// The card's figures (tiles, chart, level, history, last push) read again, in place, when an adjustment has reached the balance.
async function refreshFigures() {
  const response = await fetch(window.location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
  if (!response.ok || response.redirected) return;
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
  for (const part of document.querySelectorAll('[data-live]')) {
    const replacement = fresh.querySelector(`[data-live="${CSS.escape(part.dataset.live)}"]`);
    if (replacement) part.replaceWith(document.adoptNode(replacement));
  }
  foldLongText(document);
  document.dispatchEvent(new CustomEvent('card:figures-refreshed'));
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
    const before = stagesOf(list);
    list.replaceWith(fresh);
    foldLongText(fresh);
    followSentBanner();
    const reached = [...fresh.querySelectorAll('.adjustment[data-changes-balance="true"]')].some(
      (item) => before.get(item.dataset.adjustmentId) !== item.dataset.stage,
    );
    if (reached) await refreshFigures();
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

// A large amount asks once before it is sent, as the server's confirmation step does without script. An amount
// above the organisation's limit is never offered for confirmation: it is sent at once, and the refusal names the limit.
function needsConfirmation(form, feedback, button) {
  const typed = form.querySelector('[name="amount"]').value.trim();
  // Thousands separated as the server reads them ("1,000", "12 500").
  const amount = /^\d{1,3}([,\s]\d{3})+(\.\d+)?$/.test(typed) ? typed.replace(/[,\s]/g, '') : typed;
  const direction = form.querySelector('[name="direction"]:checked')?.value || 'give';
  if (!/^\d+(\.\d{1,4})?$/.test(amount) || Number(amount) <= Number(form.dataset.confirmAbove)) return false;
  if (Number(amount) > Number(form.dataset.sendAtMost)) return false;
  const token = `${direction}:${Number(amount)}:${form.querySelector('[name="definitionId"]').value}`;
  const confirmed = form.querySelector('[name="confirmed"]');
  if (confirmed.value === token) return false;
  confirmed.value = token;
  const points = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 4 }).format(Number(amount));
  const verb = direction === 'remove' ? 'remove' : 'give';
  const box = element('div', 'alert alert-warning');
  box.setAttribute('role', 'alert');
  box.tabIndex = -1;
  box.id = 'adjustment-confirm';
  box.append(
    element('p', 'alert-title', `Please confirm: ${verb} ${points} points?`),
    element(
      'p',
      '',
      `That is more than ${new Intl.NumberFormat('en-GB').format(Number(form.dataset.confirmAbove))} points. Check the amount, then press the button again to send it. Change anything and you are asked again.`,
    ),
  );
  feedback.replaceChildren(box);
  button.textContent = `Yes, ${verb} ${points} points`;
  box.focus();
  return true;
}

function enhanceAdjustmentForm(watcher) {
  const form = document.querySelector('form[data-adjustment-form]');
  if (!form) return;
  const feedback = form.querySelector('[data-adjustment-feedback]');
  const button = form.querySelector('button[type="submit"]');

  // Any change after a confirmation asks again: the button says what it will send.
  form.addEventListener('input', () => {
    const confirmed = form.querySelector('[name="confirmed"]');
    if (!confirmed.value) return;
    confirmed.value = '';
    button.textContent = button.dataset.label;
    document.getElementById('adjustment-confirm')?.remove();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.getAttribute('aria-busy') === 'true') return; // one click, one adjustment
    if (needsConfirmation(form, feedback, button)) return;
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
        const sent = await response.json();
        // This submission is done: the next one is another adjustment, so it gets a key of its own.
        form.querySelector('[name="idempotencyKey"]').value = newKey();
        form.querySelector('[name="amount"]').value = '';
        form.querySelector('[name="description"]').value = '';
        form.querySelector('[name="confirmed"]').value = '';
        button.textContent = button.dataset.label;
        const box = sentAlert(sent.id, sent.deliveryState, sent.banner);
        feedback.append(box);
        box.focus();
        await watcher.now();
        return;
      }
      let problem = { detail: 'The adjustment was not sent.' };
      if ((response.headers.get('content-type') || '').includes('json')) problem = await response.json();
      form.querySelector('[name="confirmed"]').value = '';
      button.textContent = button.dataset.label;
      const box = problemAlert(form, problem);
      feedback.append(box);
      for (const error of problem.errors || []) form.querySelector(`[name="${CSS.escape(String(error.path))}"]`)?.setAttribute('aria-invalid', 'true');
      box.focus();
    } catch {
      const box = problemAlert(form, { detail: 'The service could not be reached. Check the list below before trying again.' });
      feedback.append(box);
      box.focus();
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
}

document.documentElement.classList.add('has-script');

document.addEventListener('DOMContentLoaded', () => {
  foldLongText(document);
  const watcher = watchAdjustments();
  enhanceAdjustmentForm(watcher);
  watcher.schedule();
});
