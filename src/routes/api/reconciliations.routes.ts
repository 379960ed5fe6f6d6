import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { paging, problem, problemResponses } from '../../contracts/common.ts';
import {
  driftList,
  driftQuery,
  linesAccepted,
  namedDefinitions,
  openReconciliationBody,
  reconciliation,
  reconciliationLinesBody,
  reconciliationList,
  reconciliationParams,
  toDrift,
  toReconciliation,
} from '../../contracts/reconciliations.ts';
import { schemaFieldErrors } from '../../plugins/problems.ts';
import type { ReconciliationsService } from '../../services/reconciliations.service.ts';
import { tooManyItemsGuard } from '../../plugins/batch-size.ts';
import { API } from './links.ts';
import { tenantLocalTimes } from './local-times.hook.ts';

const tags = ['reconciliations'];
const BASE = '/point-accounts/reconciliations';

export const reconciliationsRoutes: FastifyPluginAsyncZod<{ reconciliations: ReconciliationsService; maxBatchItems: number }> = async (
  app,
  { reconciliations, maxBatchItems },
) => {
  app.post(
    BASE,
    {
      preValidation: tenantLocalTimes(['asOf']),
      config: { answerOf: toReconciliation },
      schema: {
        tags,
        summary: 'Open a reconciliation as of a time',
        description:
          'Then list the master balances with POST .../{id}/accounts and start the compare with POST .../{id}/complete. ' +
          "An asOf without an offset, or a date alone, is read in the tenant's time zone.",
        body: openReconciliationBody,
        response: { 201: reconciliation, ...problemResponses },
      },
    },
    async (request, reply) => {
      const opened = await reconciliations.open(request.tenant, request.body);
      return reply.code(201).header('location', `${API}${BASE}/${opened.id}`).send(toReconciliation(opened));
    },
  );

  app.post(
    `${BASE}/:id/accounts`,
    {
      preValidation: tooManyItemsGuard(maxBatchItems),
      // A body that fails its schema still reaches the handler, which lists its unknown definitions in the same answer.
      attachValidation: true,
      schema: {
        tags,
        summary: "List the master's balances (up to 1000 accounts per call)",
        description:
          'Only while the reconciliation is Open. An account listed again replaces its earlier line. Any bad item: 400 listing each, nothing stored.',
        params: reconciliationParams,
        body: reconciliationLinesBody,
        response: { 200: linesAccepted, ...problemResponses, 409: problem },
      },
    },
    async (request) => {
      const invalid = request.validationError;
      if (!invalid) return reconciliations.listAccounts(request.tenant, request.params.id, request.body);
      const formErrors = invalid.validationContext === 'body' ? schemaFieldErrors(invalid) : [];
      if (formErrors.length === 0) throw invalid;
      return reconciliations.refuseLines(request.tenant, namedDefinitions(request.body), formErrors);
    },
  );

  app.post(
    `${BASE}/:id/complete`,
    {
      config: { answerOf: toReconciliation },
      schema: {
        tags,
        summary: 'Start the compare (and the repair, if asked for)',
        description: 'Open -> Comparing; the worker compares and the status turns Completed. Completing again answers the reconciliation as it stands.',
        params: reconciliationParams,
        response: { 202: reconciliation, ...problemResponses },
      },
    },
    async (request, reply) => {
      const current = await reconciliations.complete(request.tenant, request.params.id);
      return reply.code(202).header('location', `${API}${BASE}/${current.id}`).send(toReconciliation(current));
    },
  );

  app.get(
    BASE,
    { schema: { tags, summary: 'Reconciliations, newest first', querystring: paging, response: { 200: reconciliationList, ...problemResponses } } },
    async (request) => {
      const { offset, count } = request.query;
      const page = await reconciliations.list(request.tenant.id, { offset, count });
      return { items: page.items.map(toReconciliation), totalCount: page.totalCount, offset, count };
    },
  );

  app.get(
    `${BASE}/:id`,
    { schema: { tags, summary: 'A reconciliation and its counts', params: reconciliationParams, response: { 200: reconciliation, ...problemResponses } } },
    async (request) => toReconciliation(await reconciliations.get(request.tenant.id, request.params.id)),
  );

  app.get(
    `${BASE}/:id/drifts`,
    {
      schema: {
        tags,
        summary: 'The drifted accounts a reconciliation found, by contact and definition',
        params: reconciliationParams,
        querystring: driftQuery,
        response: { 200: driftList, ...problemResponses },
      },
    },
    async (request) => {
      const { kind, offset, count } = request.query;
      const page = await reconciliations.drifts(request.tenant.id, request.params.id, { kind }, { offset, count });
      return { items: page.items.map(toDrift), totalCount: page.totalCount, offset, count };
    },
  );
};
