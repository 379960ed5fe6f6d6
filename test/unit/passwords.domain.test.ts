import { describe, expect, it } from 'vitest';
import { decoyHash, hashPassword, verifyPassword } from '../../src/domain/passwords.ts';

describe('password hashing (scrypt)', () => {
  it('stores the parameters and a per-user salt with the hash, and verifies the right password only', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts every hash: the same password hashes differently twice', async () => {
    const [a, b] = await Promise.all([hashPassword('same password twice'), hashPassword('same password twice')]);
    expect(a).not.toBe(b);
  });

  it('reads hashes made with other parameters, so the cost can be raised later', async () => {
    const cheap = await hashPassword('an older password', { logN: 14, r: 8, p: 1 });
    expect(cheap).toMatch(/^\$scrypt\$ln=14,/);
    expect(await verifyPassword('an older password', cheap)).toBe(true);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const stored = await hashPassword('Caf\u00e9 au lait 123');
    expect(await verifyPassword('Cafe\u0301 au lait 123', stored)).toBe(true);
  });

  it('answers false, never throws, for a malformed or absurdly expensive stored hash', async () => {
    expect(await verifyPassword('x', 'not a hash')).toBe(false);
    expect(await verifyPassword('x', '$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA')).toBe(false);
  });

  it('has a decoy hash that no password matches', async () => {
    expect(await verifyPassword('', await decoyHash())).toBe(false);
  });

  it('gives the decoy the parameters new hashes get, so an unknown user costs what a wrong password does', async () => {
    expect(await decoyHash()).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$/);
    expect(await decoyHash({ logN: 10, r: 8, p: 1 })).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
  });
});
