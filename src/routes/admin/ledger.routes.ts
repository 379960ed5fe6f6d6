import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ledgerAudit, ledgerAuditBody, ruleChangeList, tenantParams } from '../../contracts/admin.ts';
import { paging, problem } from '../../contracts/common.ts';
import type { LedgerService } from '../../services/ledger.service.ts';

export const adminLedgerRoutes: FastifyPluginAsyncZod<{ ledger: LedgerService }> = async (app, { ledger }) => {
  app.get(
    '/tenants/:tenantId/rule-changes',
    {
      schema: {
        tags: ['admin'],
        summary: 'The accounts whose figures moved when the ledger rule became lots that are used up and expire',
        description:
          'One item per account whose balance, pending points or next expiry the move changed, with the figures the old rule ' +
          '(the plain sum of active entries) and the new one gave at that moment. docs/point-master-guide.md explains why they differ.',
        params: tenantParams,
        querystring: paging,
        response: { 200: ruleChangeList, 400: problem, 401: problem, 404: problem },
      },
    },
    (request) => ledger.ruleChanges(request.params.tenantId, request.query),
  );

  app.post(
    '/tenants/:tenantId/ledger-audit',
    {
      schema: {
        tags: ['admin'],
        summary: "Check every account's checkpoint against its ledger, and mend the ones that split",
        description:
          'Reads, charts, levels and reconciliations start from each account’s checkpoint. The audit replays every ledger from its ' +
          'first entry and lists each account whose figures differ, with both; `mend: true` replays those accounts, so the figures ' +
          'served are the ledger’s again.',
        params: tenantParams,
        body: ledgerAuditBody,
        response: { 200: ledgerAudit, 400: problem, 401: problem, 404: problem },
      },
    },
    (request) => ledger.audit(request.params.tenantId, { mend: request.body?.mend ?? false }),
  );
};
