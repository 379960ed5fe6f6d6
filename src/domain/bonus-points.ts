/**
 * Engage's BonusPointTransaction `type` values, and how the follower's entry
 * sources map to them. The mapping is written in docs/point-master-guide.md
 * ("A contact's points"); a source it does not name is an Adjustment.
 */
export const BONUS_POINT_TYPES = [
  'Purchase',
  'Adjustment',
  'Recruitment',
  'PurchaseReduction',
  'Return',
  'BonusCheck',
  'DueDate',
  'StartBonus',
  'BonusPromotion',
  'BonusPromotionReturn',
  'FromAutomation',
  'BonusBalanceAdjustment',
  'PurchaseWithPoints',
] as const;
export type BonusPointType = (typeof BONUS_POINT_TYPES)[number];

const BY_SOURCE: Readonly<Record<string, BonusPointType>> = {
  Purchase: 'Purchase',
  Return: 'Return',
  Expiry: 'DueDate',
  Automation: 'FromAutomation',
  // A balance set by the master (balance-only history, and the opening balance carried into all-transaction mode).
  UpdateBalance: 'BonusBalanceAdjustment',
  OpeningBalance: 'BonusBalanceAdjustment',
};

export function bonusPointType(source: string): BonusPointType {
  return Object.hasOwn(BY_SOURCE, source) ? BY_SOURCE[source]! : 'Adjustment';
}
