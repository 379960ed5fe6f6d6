import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../domain/clock.ts';
import { formBodies, PAGE_CSP, uiSecurityHeaders } from '../../plugins/ui-security.ts';
import { registerCookies } from '../../plugins/ui-session.ts';
import type { AdjustmentsService } from '../../services/adjustments.service.ts';
import type { AdminService } from '../../services/admin.service.ts';
import type { ContactCardService } from '../../services/contact-card.service.ts';
import type { IntegrationsService } from '../../services/integrations.service.ts';
import type { SyncService } from '../../services/sync.service.ts';
import type { ReconciliationsService } from '../../services/reconciliations.service.ts';
import type { OperationsService } from '../../services/operations.service.ts';
import type { UiAuthService } from '../../services/ui-auth.service.ts';
import type { UiUsersService } from '../../services/ui-users.service.ts';
import type { LevelsService } from '../../services/levels.service.ts';
import type { TenantSettingsService } from '../../services/tenant-settings.service.ts';
import type { SubscriptionsService } from '../../services/subscriptions.service.ts';
import type { FormAnswers } from '../../services/answer-check.ts';
import { type AdminFormServices, uiAdminRoutes } from './admin.routes.ts';
import { uiAuthRoutes } from './auth.routes.ts';
import { uiCardRoutes } from './card.routes.ts';
import { htmlErrorPages } from './ui-errors.ts';

/**
 * The assets are read from src/ui/assets both when running from src (tsx) and
 * from the compiled dist/: the two folders are siblings, and src ships in the image.
 */
const ASSETS_DIR = fileURLToPath(new URL('../../../src/ui/assets/', import.meta.url));

export interface UiOptions {
  auth: UiAuthService;
  cards: ContactCardService;
  adjustments: AdjustmentsService;
  integrations: IntegrationsService;
  admin: AdminService;
  users: UiUsersService;
  sync: SyncService;
  reconciliations: ReconciliationsService;
  operations: OperationsService;
  settings: TenantSettingsService;
  levels: LevelsService;
  subscriptions: SubscriptionsService;
  /** Every form post that writes answers through this (services/answer-check.ts). */
  forms: FormAnswers<AdminFormServices>;
  queues: Queue[];
  sessionMaxAgeMs: number;
  clock: Clock;
}

/** Everything under /ui: the contact card, its sign-in, the operator pages and their assets. */
export const uiRoutes: FastifyPluginAsync<UiOptions> = async (ui, options) => {
  uiSecurityHeaders(ui, PAGE_CSP);
  formBodies(ui);
  await registerCookies(ui);
  htmlErrorPages(ui, '/ui');

  await ui.register(fastifyStatic, { root: ASSETS_DIR, prefix: '/assets/', decorateReply: false, index: false, maxAge: '1h', schemaHide: true });
  await ui.register(uiAuthRoutes, { auth: options.auth, forms: options.forms, sessionMaxAgeMs: options.sessionMaxAgeMs });
  await ui.register(uiCardRoutes, { auth: options.auth, cards: options.cards, adjustments: options.adjustments, forms: options.forms });
  await ui.register(uiAdminRoutes, {
    auth: options.auth,
    admin: options.admin,
    users: options.users,
    sync: options.sync,
    integrations: options.integrations,
    reconciliations: options.reconciliations,
    operations: options.operations,
    settings: options.settings,
    levels: options.levels,
    subscriptions: options.subscriptions,
    forms: options.forms,
    queues: options.queues,
    clock: options.clock,
    prefix: '/admin',
  });
};
