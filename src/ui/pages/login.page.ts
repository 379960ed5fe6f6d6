import { html } from '../html.ts';
import { page } from './layout.ts';
import { csrfField, problemBox, type ShownProblem } from '../kit.ts';

export interface LoginForm {
  action: string;
  csrfToken: string;
  next: string;
  values: { tenant?: string; username?: string };
  problem?: ShownProblem | null;
}

export function loginPage(form: LoginForm): string {
  // The first field still empty takes the focus: Username when the address named the organisation (?tenant=).
  const focus = form.values.tenant ? 'username' : 'tenant';
  return page(
    { title: 'Sign in', narrow: true },
    html`<section class="panel login">
      <h1>Sign in to the contact card</h1>
      <p class="muted">See a customer's points, why they changed and when they expire, and give or remove points.</p>
      ${problemBox(form.problem)}
      <form method="post" action="${form.action}" class="form" novalidate>
        ${csrfField(form.csrfToken)}
        <input type="hidden" name="next" value="${form.next}" />
        <div class="field">
          <label for="tenant">Organisation</label>
          <input id="tenant" name="tenant" autocomplete="organization" required value="${form.values.tenant ?? ''}" aria-describedby="tenant-hint" ${focus === 'tenant' ? html`autofocus` : ''} />
          <p class="hint" id="tenant-hint">The account name your operator gave you, for example <code>acme-retail</code>.</p>
        </div>
        <div class="field">
          <label for="username">Username</label>
          <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${form.values.username ?? ''}" ${focus === 'username' ? html`autofocus` : ''} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        <button type="submit" class="button button-primary button-block">Sign in</button>
      </form>
    </section>
    <p class="footnote">Operators: <a href="/ui/admin/login">sign in with the admin token</a>.</p>`,
  );
}

export function adminLoginPage(form: Omit<LoginForm, 'values'>): string {
  return page(
    { title: 'Operator sign-in', narrow: true },
    html`<section class="panel login">
      <h1>Operator sign-in</h1>
      <p class="muted">Queues and webhook deliveries of every tenant. Sign in with the service's admin token.</p>
      ${problemBox(form.problem)}
      <form method="post" action="${form.action}" class="form" novalidate>
        ${csrfField(form.csrfToken)}
        <input type="hidden" name="next" value="${form.next}" />
        <div class="field">
          <label for="token">Admin token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required />
        </div>
        <button type="submit" class="button button-primary button-block">Sign in</button>
      </form>
    </section>
    <p class="footnote"><a href="/ui/login">Contact card sign-in</a></p>`,
  );
}
