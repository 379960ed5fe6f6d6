import { tenantParams } from '../contracts/admin.ts';
import { paging } from '../contracts/common.ts';
import { driftQuery, reconciliationParams, toDrift, toReconciliation } from '../contracts/reconciliations.ts';
import type { CliCommand, CliOptions } from './context.ts';

const tenantOf = (o: CliOptions) => tenantParams.parse({ tenantId: o.tenant }).tenantId;

/** A tenant's reconciliations, as the admin API shows them. */
export const reconciliationCommands: Record<string, CliCommand> = {
  'reconciliations:list': {
    usage: '--tenant ID [--offset N] [--count N]   (newest first)',
    run: async (s, o) => {
      const page = paging.parse({ offset: o.offset, count: o.count });
      const list = await s.reconciliations.listForTenant(tenantOf(o), page);
      return { items: list.items.map(toReconciliation), totalCount: list.totalCount, ...page };
    },
  },
  'reconciliations:show': {
    usage: '--tenant ID --id RECONCILIATION_ID [--kind BalanceDiffers|MissingInFollower|UnknownToMaster] [--offset N] [--count N]',
    run: async (s, o) => {
      const { id } = reconciliationParams.parse({ id: o.id });
      const { kind, offset, count } = driftQuery.parse({ kind: o.kind, offset: o.offset, count: o.count });
      const found = await s.reconciliations.showForTenant(tenantOf(o), id, { kind }, { offset, count });
      return {
        ...toReconciliation(found.reconciliation),
        drifts: { items: found.drifts.items.map(toDrift), totalCount: found.drifts.totalCount, offset, count },
      };
    },
  },
};
