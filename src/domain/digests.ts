/**
 * The digest exchange (docs/sync-assurance.md, "Comparing by digest"): the
 * master asks for hashes of the accounts over ranges of the contact id space
 * and descends only into ranges whose hashes differ from its own. A range is
 * named by a prefix of the contact id's 32 hex digits (dashes left out); the
 * follower computes the hashes in SQL (src/db/digests.repository.ts), the
 * master in any language, from the specification.
 */
export const DIGEST_LIMITS = {
  /** Hex digits one call may descend below its prefixes (16^depth ranges each). */
  maxDepth: 4,
  /** Ranges one call may ask for: prefixes x 16^depth. */
  maxRanges: 65_536,
  /** Accounts one call for the accounts of ranges may answer; a master descends further first. */
  maxAccounts: 10_000,
} as const;

export const CONTACT_HEX_DIGITS = 32;

/** One range's digest: the accounts with a non-zero balance in it and the sum of their hashes. */
export interface RangeDigest {
  prefix: string;
  count: number;
  /** 16 lowercase hex digits. */
  hash: string;
}

/** The lowest and the highest contact id (as uuids) of the ranges named by these prefixes. */
export function prefixBounds(prefixes: readonly string[]): { low: string; high: string } {
  const sorted = [...prefixes].sort();
  const asUuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return {
    low: asUuid(sorted[0]!.padEnd(CONTACT_HEX_DIGITS, '0')),
    high: asUuid(sorted[sorted.length - 1]!.padEnd(CONTACT_HEX_DIGITS, 'f')),
  };
}
