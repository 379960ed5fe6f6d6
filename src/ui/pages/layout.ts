import { html, type SafeHtml } from '../html.ts';
import { csrfField, type ShownProblem } from '../kit.ts';

const ASSETS = '/ui/assets';

export interface PageChrome {
  title: string;
  /** The signed-in person and where signing out posts; absent on sign-in pages. */
  account?: { name: string; detail: string; logoutAction: string; csrfToken: string };
  /** Links in the top bar, the current one marked. */
  nav?: { href: string; label: string; current: boolean }[];
  /** Narrow centred column for sign-in forms. */
  narrow?: boolean;
}

const brand = html`<a class="brand" href="/ui"
  ><svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
    <rect width="32" height="32" rx="8" /><path d="M9 21.5 16 8l7 13.5h-4.2L16 15.6l-2.8 5.9z" /></svg
  ><span class="brand-name">Engage <span>Points</span></span></a
>`;

export function page(chrome: PageChrome, body: SafeHtml): string {
  const { account, nav } = chrome;
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>${chrome.title} · Engage Points</title>
    <link rel="icon" href="${ASSETS}/favicon.svg" type="image/svg+xml" />
    <link rel="stylesheet" href="${ASSETS}/card.css" />
    <script src="${ASSETS}/card.js" defer></script>
  </head>
  <body>
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="topbar">
      <div class="topbar-inner">
        ${brand}
        ${
          nav && nav.length > 0
            ? html`<nav class="topnav" aria-label="Main">
              ${nav.map((item) => html`<a href="${item.href}" ${item.current ? html`aria-current="page"` : ''}>${item.label}</a>`)}
            </nav>`
            : ''
        }
        ${
          account
            ? html`<div class="account">
              <span class="account-who"><span class="account-name">${account.name}</span><span class="account-detail">${account.detail}</span></span>
              <form method="post" action="${account.logoutAction}">
                ${csrfField(account.csrfToken)}
                <button type="submit" class="button button-quiet">Sign out</button>
              </form>
            </div>`
            : ''
        }
      </div>
    </header>
    <main id="main" class="${chrome.narrow ? 'container container-narrow' : 'container'}" tabindex="-1">${body}</main>
  </body>
</html>`.toString();
}

/** What developers need and support agents do not: kept on the page, folded away. */
export function technicalDetails(text: string): SafeHtml {
  return html`<details class="technical"><summary>Technical details</summary><p>${text}</p></details>`;
}

/** Headings for people, by status; the service's own title and detail sit under "Technical details". */
function headingFor(status: number): { title: string; hint: string } {
  if (status === 401) return { title: 'Please sign in', hint: 'Your session has ended or you are not signed in.' };
  if (status === 403) return { title: 'Not allowed', hint: 'This page is not open to your sign-in.' };
  if (status === 404) return { title: 'Page not found', hint: 'There is no page at this address.' };
  if (status === 429) return { title: 'Too many tries', hint: 'Wait a moment and try again.' };
  if (status >= 500) return { title: 'Something went wrong on our side', hint: 'Try again in a moment; if it keeps happening, tell an operator.' };
  return { title: 'That did not work', hint: 'Go back and check what was entered.' };
}

export function errorPage(status: number, problem: ShownProblem, home: string): string {
  const heading = headingFor(status);
  return page(
    { title: heading.title, narrow: true },
    html`<section class="panel panel-centred">
      <p class="status-code">${status}</p>
      <h1>${heading.title}</h1>
      <p>${heading.hint}</p>
      ${technicalDetails(`${problem.title}: ${problem.detail}`)}
      <p><a class="button" href="${home}">Back to the start</a></p>
    </section>`,
  );
}
