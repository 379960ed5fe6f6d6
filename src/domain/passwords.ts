import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt parameters for new hashes: N=2^15, r=8 costs 32 MiB and roughly 50 ms
 * per guess, which makes offline guessing of a stolen hash expensive. Every hash
 * carries its own parameters, so raising them later leaves old hashes readable.
 */
const SCRYPT_PARAMS = { logN: 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
}

/**
 * The parameters new hashes get: production's, or with a test-only cost
 * (TEST_ONLY_SCRYPT_LOG_N) that keeps a test suite creating and signing in
 * hundreds of users from spending its time in scrypt.
 */
export const scryptParams = (testOnlyLogN: number | null): ScryptParams => (testOnlyLogN === null ? SCRYPT_PARAMS : { ...SCRYPT_PARAMS, logN: testOnlyLogN });

function derive(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  const N = 2 ** params.logN;
  // Node refuses by default anything above 32 MiB; allow the memory the parameters ask for, with room.
  const maxmem = 256 * N * params.r * params.p;
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, keyLength, { N, r: params.r, p: params.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * A password an operator asks to be chosen for a user: 144 random bits in 24
 * characters of the URL-safe alphabet, which survive copying from a page.
 */
export const generatePassword = () => randomBytes(18).toString('base64url');

/** `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (PHC string format, base64 without padding). */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_LENGTH);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** Constant-time check of a password against a stored hash; false (never a throw) for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = PHC.exec(stored);
  if (!match) return false;
  const [, logN, r, p, salt, hash] = match;
  const expected = Buffer.from(hash!, 'base64url');
  const params = { logN: Number(logN), r: Number(r), p: Number(p) };
  if (params.logN < 10 || params.logN > 20 || expected.length < 16) return false;
  const actual = await derive(password, Buffer.from(salt!, 'base64url'), params, expected.length);
  return timingSafeEqual(actual, expected);
}

/**
 * A hash no password matches, checked when the username is unknown so that an
 * unknown user and a wrong password take the same time to refuse (so it has
 * the parameters new hashes get).
 */
const decoys = new Map<string, Promise<string>>();
export function decoyHash(params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const key = `${params.logN},${params.r},${params.p}`;
  let decoy = decoys.get(key);
  if (!decoy) {
    decoy = hashPassword(randomBytes(32).toString('base64url'), params);
    decoys.set(key, decoy);
  }
  return decoy;
}
