export const TENANT_MODES = ['balance-only', 'all-transaction'] as const;
export type TenantMode = (typeof TENANT_MODES)[number];

/** Who takes what is left of a lot off at its validTo (all-transaction mode). */
export const EXPIRY_OWNERS = ['follower', 'master'] as const;
export type ExpiryOwner = (typeof EXPIRY_OWNERS)[number];

/** A tenant as every layer sees it; the API key a request presents resolves to one. */
export interface TenantRecord {
  id: string;
  name: string;
  mode: TenantMode;
  pointSystemActive: boolean;
  requireKnownContacts: boolean;
  /** The definition rewardpointtransaction adjusts; absent: the tenant's lowest definition id. */
  defaultDefinitionId?: number;
  /** IANA time zone where the tenant's calendar years begin (member levels); UTC unless set. */
  timeZone: string;
  /** The most points one adjustment may give or remove; keeps one slip of a finger from pushing a balance out of range. */
  maxAdjustmentPoints: number;
  /** Who takes what is left of a lot off at its validTo (all-transaction mode). */
  expiry: ExpiryOwner;
  /** How often the master is expected to push, in minutes; absent: no expectation. */
  expectedPushMinutes?: number;
}

/** Past the tenant's expected push interval with no push (a tenant that never pushed is overdue once it has an expectation). */
export function pushOverdue(tenant: Pick<TenantRecord, 'expectedPushMinutes'>, lastPushAt: Date | null, now: Date): boolean {
  if (tenant.expectedPushMinutes === undefined) return false;
  if (lastPushAt === null) return true;
  return now.getTime() - lastPushAt.getTime() > tenant.expectedPushMinutes * 60_000;
}

/**
 * The form in which tenant names are compared: NFKC, then case folded, then
 * NFKC again (case mapping can leave a string unnormalised). "ACME", "acme"
 * and "ａｃｍｅ" share a key, so they are one tenant; sign-in matches this form
 * exactly. Upper- then lower-casing folds what lower-casing alone keeps apart
 * ("ß" and "SS" both become "ss"); a dotted capital İ folds to "i" with a
 * combining dot, never to a plain "i".
 */
export const tenantNameKey = (name: string) => name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');

/** The figures a follower knows of an account, by mode: a balance-only follower is told balances and nothing about lots, so neither pending points nor expiry. */
export interface KnownFacts {
  pendingPoints: boolean;
  expiry: boolean;
}

export const knownFacts = (mode: TenantRecord['mode']): KnownFacts =>
  mode === 'all-transaction' ? { pendingPoints: true, expiry: true } : { pendingPoints: false, expiry: false };
