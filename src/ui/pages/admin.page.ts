import type { TenantRecord } from '../../db/tenants.repository.ts';
import { formatPoints } from '../format.ts';
import { html } from '../html.ts';
import { page } from './layout.ts';

export interface QueueSummary {
  name: string;
  counts: Record<string, number> | null;
}

const COUNT_LABELS: [string, string][] = [
  ['waiting', 'Waiting'],
  ['active', 'Running'],
  ['delayed', 'Retrying later'],
  ['failed', 'Failed'],
];

export const adminNav = (current: 'home' | 'queues') => [
  { href: '/ui/admin', label: 'Overview', current: current === 'home' },
  { href: '/ui/admin/queues', label: 'Queues', current: current === 'queues' },
];

export function adminHomePage(input: { csrfToken: string; queues: QueueSummary[]; tenants: TenantRecord[] }): string {
  return page(
    {
      title: 'Operations',
      nav: adminNav('home'),
      account: { name: 'Operator', detail: 'signed in with the admin token', logoutAction: '/ui/admin/logout', csrfToken: input.csrfToken },
    },
    html`<section class="card-head">
        <div>
          <p class="eyebrow">Operations</p>
          <h1>Overview</h1>
        </div>
        <p class="card-meta"><a class="button button-primary" href="/ui/admin/queues">Open the queue dashboard</a></p>
      </section>
      <section class="panel" aria-labelledby="queues-title">
        <h2 id="queues-title">Queues</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr><th scope="col">Queue</th>${COUNT_LABELS.map(([, label]) => html`<th scope="col" class="num">${label}</th>`)}</tr>
            </thead>
            <tbody>
              ${input.queues.map(
                (queue) => html`<tr>
                  <td data-label="Queue"><a href="/ui/admin/queues/queue/${encodeURIComponent(queue.name)}">${queue.name}</a></td>
                  ${queue.counts
                    ? COUNT_LABELS.map(([key, label]) => html`<td data-label="${label}" class="num">${formatPoints(queue.counts?.[key] ?? 0)}</td>`)
                    : html`<td colspan="${COUNT_LABELS.length}"><span class="pill pill-failed">Redis unreachable</span></td>`}
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        <p class="hint">Postgres holds every batch; a job lost with Redis is queued again by the worker's recovery sweep.</p>
      </section>
      <section class="panel" aria-labelledby="tenants-title">
        <h2 id="tenants-title">Tenants</h2>
        ${input.tenants.length === 0
          ? html`<p class="empty">No tenants yet. Create one with the admin API or <code>npm run cli -- tenants:create</code>.</p>`
          : html`<div class="table-wrap">
              <table>
                <thead><tr><th scope="col">Name</th><th scope="col">Mode</th><th scope="col">Point system</th><th scope="col">Id</th></tr></thead>
                <tbody>
                  ${input.tenants.map(
                    (tenant) => html`<tr>
                      <td data-label="Name">${tenant.name}</td>
                      <td data-label="Mode">${tenant.mode}</td>
                      <td data-label="Point system">${tenant.pointSystemActive ? html`<span class="pill pill-active">On</span>` : html`<span class="pill pill-neutral">Off</span>`}</td>
                      <td data-label="Id"><code>${tenant.id}</code></td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`}
      </section>`,
  );
}
