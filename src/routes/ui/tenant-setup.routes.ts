import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { definitionForm, ladderForm, pointsLogForm, setupPageQuery, tenantSettingsForm, webhookForm } from '../../contracts/tenant-setup-forms.ts';
import { tenantPageParams } from '../../contracts/ui.ts';
import { AppError, type ErrorCode } from '../../errors.ts';
import { requireCsrf } from '../../plugins/ui-session.ts';
import type { AdminService } from '../../services/admin.service.ts';
import type { FormAnswers } from '../../services/answer-check.ts';
import type { IntegrationsService } from '../../services/integrations.service.ts';
import type { LevelsService } from '../../services/levels.service.ts';
import type { TenantSettingsService } from '../../services/tenant-settings.service.ts';
import type { ShownSecrets } from '../../ui/kit.ts';
import { type SetupForm, type SetupView, setupUrl, tenantSetupPage } from '../../ui/pages/tenant-setup.page.ts';
import { answerPage, type FormAnswer, parseForm, redirectTo, sendAnswer, stringFields } from './forms.ts';

interface SetupServices {
  admin: AdminService;
  settings: TenantSettingsService;
  integrations: IntegrationsService;
  levels: LevelsService;
}

/** What a part not set up yet answers with: shown as "not set yet", not as an error. */
const NOT_SET_UP: ReadonlySet<ErrorCode> = new Set(['not_configured', 'not_found', 'levels_need_all_transaction']);

async function unlessNotSetUp<T>(read: Promise<T>): Promise<T | null> {
  return read.catch((err: unknown) => {
    if (err instanceof AppError && NOT_SET_UP.has(err.code)) return null;
    throw err;
  });
}

/** A refusal the operator can fix in the form, as the form shows it; anything else goes on to the error pages. */
function refusalOf(err: unknown, form: SetupForm, values: Record<string, string>, takenField?: string): { status: number; refused: SetupView['refused'] } {
  if (!(err instanceof AppError) || !['validation', 'conflict', 'levels_need_all_transaction', 'not_configured'].includes(err.code)) throw err;
  const errors = err.code === 'conflict' && takenField ? [{ path: takenField, message: 'is taken: choose another' }] : err.errors;
  // The auth header is write-only: never written back into the page, not even after a refusal.
  const { authHeader: _secret, ...shown } = values;
  return { status: err.status, refused: { form, state: { values: shown, problem: { title: err.title, detail: err.message, errors } } } };
}

const NOTICES = {
  settings: 'The settings are saved.',
  definitions: 'The point definition is added: the contact card can give points in it now.',
  'points-log': 'The points log is saved: the contact card reads it from now on.',
  levels: 'The ladder is set, and every contact is placed on it again.',
  webhook: 'The webhook URL is saved.',
} as const satisfies Record<SetupForm, string>;

/**
 * The setup page of a tenant on /ui/admin: settings, point definitions, the
 * webhook, the points log and the member level ladder, each through the same
 * service call and schema as the admin API. The webhook's key and secret are
 * shown once, on the page answering the form that made them (no-store).
 */
export const uiTenantSetupRoutes: FastifyPluginAsyncZod<SetupServices & { forms: FormAnswers<SetupServices> }> = async (
  app,
  { admin, settings, integrations, levels, forms },
) => {
  /** The page, read through `services`: the pool's, or those of the transaction a form commits in. */
  async function pageOf(services: SetupServices, request: FastifyRequest, tenantId: string, extra: Partial<SetupView> = {}, status = 200) {
    const tenant = await services.admin.requireTenant(tenantId);
    // One after another: inside a form's transaction the reads share its one connection.
    const definitions = await services.admin.listDefinitions(tenantId);
    const webhook = await unlessNotSetUp(services.integrations.getWebhook(tenantId));
    const pointsLog = await unlessNotSetUp(services.integrations.getPointsLog(tenantId));
    const ladder = tenant.mode === 'all-transaction' ? await unlessNotSetUp(services.levels.getLadder(tenantId)) : null;
    const body = tenantSetupPage({ csrfToken: request.uiSession!.csrfToken, tenant, definitions, webhook, pointsLog, ladder, ...extra });
    return answerPage(body, { status, noStore: extra.secrets !== undefined });
  }

  const show = async (request: FastifyRequest, reply: FastifyReply, tenantId: string, extra: Partial<SetupView> = {}, status = 200) =>
    sendAnswer(reply, await pageOf({ admin, settings, integrations, levels }, request, tenantId, extra, status));

  const done = (tenantId: string, form: SetupForm) => `${setupUrl(tenantId)}?done=${form}#${form}`;

  app.get('/tenants/:tenantId/setup', { schema: { hide: true, params: tenantPageParams, querystring: setupPageQuery } }, async (request, reply) => {
    const { done: form } = request.query;
    return show(request, reply, request.params.tenantId, { notice: form ? NOTICES[form] : null });
  });

  /**
   * One form: parse with its schema, run the service call, then back to the
   * page (or the page with the refusal). `shown` picks the secrets to show once
   * from what the call committed; without any, the answer is a redirect.
   */
  function post<R>(
    form: SetupForm,
    run: (tenantId: string, values: Record<string, string>) => Promise<R>,
    options: { shown?: (committed: R) => ShownSecrets | null; takenField?: string } = {},
  ) {
    app.post(`/tenants/:tenantId/setup/${form}`, { schema: { hide: true, params: tenantPageParams }, preHandler: requireCsrf }, async (request, reply) => {
      const { tenantId } = request.params;
      const values = stringFields(request.body);
      let answer: FormAnswer;
      try {
        ({ answer } = await forms.answer(
          () => run(tenantId, values),
          (committed, services) => {
            const secrets = options.shown?.(committed);
            return secrets ? pageOf(services, request, tenantId, { secrets, notice: NOTICES[form] }) : redirectTo(done(tenantId, form));
          },
        ));
      } catch (err) {
        const { status, refused } = refusalOf(err, form, values, options.takenField);
        return show(request, reply, tenantId, { refused }, status);
      }
      request.log.info({ tenantId, form }, 'tenant setup changed on the operator pages');
      return sendAnswer(reply, answer);
    });
  }

  post('settings', (tenantId, values) => settings.update(tenantId, parseForm(tenantSettingsForm, values, 'settings form')));

  post('definitions', (tenantId, values) => admin.createDefinition(tenantId, parseForm(definitionForm, values, 'point definition')), { takenField: 'id' });

  post('webhook', (tenantId, values) => integrations.setWebhook(tenantId, parseForm(webhookForm, values, 'webhook form').url), {
    shown: (set) =>
      set.encryptionKey && set.signingSecret
        ? webhookSecrets('The webhook is set: its encryption key and signing secret', set.encryptionKey, set.signingSecret)
        : null,
  });

  post('points-log', (tenantId, values) => integrations.setPointsLog(tenantId, parseForm(pointsLogForm, values, 'points log form')));

  post('levels', (tenantId, values) => levels.setLadder(tenantId, parseForm(ladderForm, values, 'ladder')));

  app.post('/tenants/:tenantId/setup/webhook/rotate', { schema: { hide: true, params: tenantPageParams }, preHandler: requireCsrf }, async (request, reply) => {
    const { tenantId } = request.params;
    const { answer } = await forms.answer(
      () => integrations.rotateWebhookSecrets(tenantId),
      (rotated, services) =>
        pageOf(services, request, tenantId, { secrets: webhookSecrets('New encryption key and signing secret', rotated.encryptionKey, rotated.signingSecret) }),
    );
    request.log.info({ tenantId }, 'webhook key and secret rotated on the operator pages');
    return sendAnswer(reply, answer);
  });
};

const webhookSecrets = (title: string, encryptionKey: string, signingSecret: string): ShownSecrets => ({
  title,
  values: [
    { label: 'The encryption key (AES-256, 32 characters), for the master to decrypt payloads:', value: encryptionKey },
    { label: 'The signing secret (Standard Webhooks), for the master to verify signatures:', value: signingSecret },
  ],
});
