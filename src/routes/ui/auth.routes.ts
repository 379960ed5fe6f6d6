import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { adminLoginForm, loginForm, loginPageQuery } from '../../contracts/ui.ts';
import type { UiSessionKind } from '../../domain/ui-sessions.ts';
import { onePerField } from '../../domain/messages.ts';
import { AppError } from '../../errors.ts';
import {
  clearSessionCookie,
  loadSession,
  LOGIN_PAGES,
  loginCsrfToken,
  requireCsrf,
  requireLoginCsrf,
  safeNext,
  sessionToken,
  setSessionCookie,
} from '../../plugins/ui-session.ts';
import type { FormAnswers } from '../../services/answer-check.ts';
import { LockedOut, type UiAuthService } from '../../services/ui-auth.service.ts';
import type { ShownProblem } from '../../ui/kit.ts';
import { adminLoginPage, loginPage } from '../../ui/pages/login.page.ts';
import { type FormAnswer, redirectTo, sendAnswer } from './forms.ts';

const HOME: Record<UiSessionKind, string> = { user: '/ui', admin: '/ui/admin' };
/** Route paths under the /ui prefix. */
const ROUTES: Record<UiSessionKind, { login: string; logout: string }> = {
  user: { login: '/login', logout: '/logout' },
  admin: { login: '/admin/login', logout: '/admin/logout' },
};

/** The sign-in forms' fields as they are labelled. */
const LOGIN_LABELS: Record<string, string> = { tenant: 'Organisation', username: 'Username', password: 'Password', token: 'Admin token' };

const fieldProblem = (error: z.ZodError): ShownProblem => ({
  title: 'Fill in every field',
  detail: 'Some fields are empty or too long.',
  errors: onePerField(error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))).map((issue) => ({
    ...issue,
    label: LOGIN_LABELS[issue.path],
  })),
});

/** Headings for people: the sign-in failed, or is held back for a while. */
const problemOf = (err: AppError): ShownProblem => ({
  title: err.code === 'locked_out' || err.code === 'rate_limited' ? 'Too many failed sign-ins' : 'Sign-in failed',
  detail: err.message,
  errors: err.errors,
});

interface LoginFormState {
  next: string;
  tenant?: string;
  username?: string;
  problem?: ShownProblem | null;
}

/** Sign-in and sign-out of the contact card (/ui/login) and of the operator pages (/ui/admin/login). */
export const uiAuthRoutes: FastifyPluginAsyncZod<{ auth: UiAuthService; forms: FormAnswers<unknown>; sessionMaxAgeMs: number }> = async (
  app,
  { auth, forms, sessionMaxAgeMs },
) => {
  const hide = true;

  function renderLogin(kind: UiSessionKind, request: FastifyRequest, reply: FastifyReply, status: number, form: LoginFormState) {
    const common = { action: LOGIN_PAGES[kind], csrfToken: loginCsrfToken(request, reply), next: form.next, problem: form.problem ?? null };
    const body = kind === 'user' ? loginPage({ ...common, values: { tenant: form.tenant, username: form.username } }) : adminLoginPage(common);
    return reply.html(body, status);
  }

  /** Refusals are shown on the form itself, with the status an API client would get. */
  async function signInOrShow(
    kind: UiSessionKind,
    request: FastifyRequest,
    reply: FastifyReply,
    next: string,
    values: { tenant?: string; username?: string },
    open: () => Promise<{ token: string }>,
  ) {
    // Who tried is logged (never the password or token), so failed and locked-out sign-ins can be looked into.
    const who = { kind, tenant: values.tenant, username: values.username };
    try {
      await requireLoginCsrf(request);
      // The redirect is made before the session commits; the cookie is set once it has.
      const { answer, returned } = await forms.answer(open, () => redirectTo(safeNext(next, HOME[kind])));
      setSessionCookie(request, reply, kind, returned.token, sessionMaxAgeMs);
      request.log.info(who, 'signed in');
      return sendAnswer(reply, answer);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      request.log.warn({ ...who, code: err.code }, 'sign-in refused');
      if (err instanceof LockedOut) reply.header('retry-after', String(err.retryAfterSeconds));
      return renderLogin(kind, request, reply, err.status, { next, ...values, problem: problemOf(err) });
    }
  }

  for (const kind of ['user', 'admin'] as const) {
    app.get(ROUTES[kind].login, { schema: { hide, querystring: loginPageQuery }, onRequest: loadSession(auth, kind) }, async (request, reply) => {
      const next = safeNext(request.query.next, HOME[kind]);
      if (request.uiSession) return reply.redirect(next, 303);
      return renderLogin(kind, request, reply, 200, { next, tenant: request.query.tenant });
    });

    app.post(ROUTES[kind].logout, { schema: { hide }, onRequest: loadSession(auth, kind) }, async (request, reply) => {
      // Without a session there is nothing to end; the cookie is cleared either way.
      const signedOut = () => redirectTo(LOGIN_PAGES[kind]);
      let answer: FormAnswer;
      if (request.uiSession) {
        await requireCsrf(request);
        ({ answer } = await forms.answer(() => auth.signOut(sessionToken(request, kind)), signedOut));
      } else {
        answer = signedOut();
      }
      clearSessionCookie(reply, kind);
      return sendAnswer(reply, answer);
    });
  }

  app.post(ROUTES.user.login, { schema: { hide } }, async (request, reply) => {
    const raw = (request.body ?? {}) as Record<string, unknown>;
    const next = typeof raw.next === 'string' ? raw.next : HOME.user;
    const values = { tenant: typeof raw.tenant === 'string' ? raw.tenant : '', username: typeof raw.username === 'string' ? raw.username : '' };
    const form = loginForm.safeParse(raw);
    if (!form.success) return renderLogin('user', request, reply, 400, { next, ...values, problem: fieldProblem(form.error) });
    const { tenant, username, password } = form.data;
    return signInOrShow('user', request, reply, next, values, () => auth.signIn({ tenantName: tenant, username, password }, request.ip));
  });

  app.post(ROUTES.admin.login, { schema: { hide } }, async (request, reply) => {
    const raw = (request.body ?? {}) as Record<string, unknown>;
    const next = typeof raw.next === 'string' ? raw.next : HOME.admin;
    const form = adminLoginForm.safeParse(raw);
    if (!form.success) return renderLogin('admin', request, reply, 400, { next, problem: fieldProblem(form.error) });
    return signInOrShow('admin', request, reply, next, {}, () => auth.signInAdmin(form.data.token, request.ip));
  });
};
