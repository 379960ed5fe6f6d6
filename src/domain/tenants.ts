import type { TenantMode } from '../contracts/admin.ts';

/** A tenant as every layer sees it; the API key a request presents resolves to one. */
export interface TenantRecord {
  id: string;
  name: string;
  mode: TenantMode;
  pointSystemActive: boolean;
  requireKnownContacts: boolean;
  /** The definition rewardpointtransaction adjusts; absent: the tenant's lowest definition id. */
  defaultDefinitionId?: number;
  /** The most points one adjustment may give or remove; keeps one slip of a finger from pushing a balance out of range. */
  maxAdjustmentPoints: number;
}
