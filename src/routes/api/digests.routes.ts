import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problemResponses } from '../../contracts/common.ts';
import { digestAccounts, digestAccountsBody, digestAnswer, digestBody } from '../../contracts/digests.ts';
import type { DigestsService } from '../../services/digests.service.ts';

const tags = ['reconciliations'];

/** The digest exchange: a master compares its books with the follower's by hashes of ranges, then reconciles only the ranges that differ. */
export const digestsRoutes: FastifyPluginAsyncZod<{ digests: DigestsService }> = async (app, { digests }) => {
  app.post(
    '/point-accounts/digests',
    {
      schema: {
        tags,
        summary: 'Hashes of ranges of the contact id space as of a time',
        description:
          "Each prefix is answered as the 16^depth ranges below it that hold an account with a non-zero balance as of asOf: their count and the sum of the accounts' hashes (docs/sync-assurance.md specifies the hash).",
        body: digestBody,
        response: { 200: digestAnswer, ...problemResponses },
      },
    },
    (request) => digests.digest(request.tenant, request.body),
  );

  app.post(
    '/point-accounts/digests/accounts',
    {
      schema: {
        tags,
        summary: 'The accounts of ranges of the contact id space as of a time',
        description: `The accounts with a non-zero balance as of asOf in the ranges (contact and definition, no balances), for a Listed reconciliation of just those ranges.`,
        body: digestAccountsBody,
        response: { 200: digestAccounts, ...problemResponses },
      },
    },
    (request) => digests.accounts(request.tenant, request.body),
  );
};
