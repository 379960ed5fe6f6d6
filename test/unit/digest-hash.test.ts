import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accountHash, balanceText, rangeHashText } from '../../examples/point-master/digest.ts';

/** The test vector of docs/sync-assurance.md ("The hash"), computed from the specification by the reference master. */
const ACCOUNTS = [
  { contactId: '00000000-0000-4000-8000-000000000001', definitionId: 1, balance: 150, text: '150.0000', hash: '28fe5d7007062434' },
  { contactId: '00000000-0000-4000-8000-000000000002', definitionId: 1, balance: -30, text: '-30.0000', hash: 'e13788500d73c6a5' },
  { contactId: '0a000000-0000-4000-8000-000000000003', definitionId: 2, balance: 7, text: '7.0000', hash: 'ee5c33b285e0fdfe' },
];
const hex = (value: bigint) => value.toString(16).padStart(16, '0');

describe('the digest hash', () => {
  it('gives the vector for each account', () => {
    for (const account of ACCOUNTS) {
      expect(balanceText(account.balance)).toBe(account.text);
      expect(hex(accountHash(account.contactId, account.definitionId, account.balance))).toBe(account.hash);
    }
  });

  it('writes the balance with exactly four decimals, so a decimal balance hashes as specified', () => {
    expect(balanceText('150.25')).toBe('150.2500');
    expect(balanceText(150.25)).toBe('150.2500');
    expect(balanceText('-0.5')).toBe('-0.5000');
    expect(balanceText('007')).toBe('7.0000');
    expect(hex(accountHash(ACCOUNTS[0]!.contactId, 1, '150.25'))).toBe('676d61552bed5aa8');
    expect(() => balanceText('1.23456')).toThrow();
  });

  it('sums a range modulo 2^64, whatever the order, and reads contact ids in any case', () => {
    const hashes = ACCOUNTS.map((a) => accountHash(a.contactId, a.definitionId, a.balance));
    expect(rangeHashText(hashes[0]! + hashes[1]! + hashes[2]!)).toBe('f89219729a5ae8d7');
    expect(rangeHashText(hashes[2]! + hashes[1]! + hashes[0]!)).toBe('f89219729a5ae8d7');
    expect(rangeHashText(hashes[0]! + hashes[1]!)).toBe('0a35e5c01479ead9');
    expect(rangeHashText(0n)).toBe('0000000000000000');
    expect(accountHash(ACCOUNTS[2]!.contactId.toUpperCase(), 2, 7)).toBe(hashes[2]);
  });

  it('is the vector the specification prints', () => {
    const spec = readFileSync(new URL('../../docs/sync-assurance.md', import.meta.url), 'utf8');
    for (const account of ACCOUNTS) {
      expect(spec).toContain(`\`${account.contactId}\\|${account.definitionId}\\|${account.text}\` | \`${account.hash}\``);
    }
    expect(spec).toContain('{prefix: "0", count: 3, hash: "f89219729a5ae8d7"}');
    expect(spec).toContain('{prefix: "00", count: 2, hash: "0a35e5c01479ead9"}');
  });
});
