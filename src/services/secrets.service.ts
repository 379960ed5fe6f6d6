import type { Database } from '../db/database.ts';
import { SECRET_COLUMNS, type StoredSecrets } from '../db/integrations.repository.ts';
import { isSealed, openSecret, SEALED_PREFIX, sealedKeyId, sealedWithCurrent, sealSecret, SecretsKeyError, type SecretsKeyring } from '../domain/secrets.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Which configured keys a message can name. */
function configuredKeys(keyring: SecretsKeyring): string {
  if (!keyring.current) return 'SECRETS_KEY is not set';
  const previous = [...keyring.keys.keys()].filter((id) => id !== keyring.current!.id);
  return `SECRETS_KEY has key id ${keyring.current.id}; SECRETS_KEY_PREVIOUS ${previous.length > 0 ? `has ${previous.join(', ')}` : 'is not set'}`;
}

/**
 * Why stored secrets cannot be used with these keys, or null when every one
 * opens: missing key ids first (a key left out of the configuration), then
 * values that name a configured key and still do not open.
 */
function secretsProblem(keyring: SecretsKeyring, rows: readonly StoredSecrets[]): string | null {
  const missing = new Map<string, Set<string>>();
  const unopened = new Map<string, Set<string>>();
  for (const { tenantId, values } of rows) {
    for (const column of SECRET_COLUMNS) {
      const value = values[column];
      if (value === undefined || !isSealed(value)) continue;
      const keyId = sealedKeyId(value)!;
      const into = keyring.keys.has(keyId) ? unopened : missing;
      try {
        openSecret(keyring, value, { tenantId, column });
      } catch (err) {
        if (!(err instanceof SecretsKeyError)) throw err;
        into.set(keyId, (into.get(keyId) ?? new Set()).add(tenantId));
      }
    }
  }
  const lines = [
    ...[...missing].map(
      ([keyId, tenants]) =>
        `integration secrets of ${plural(tenants.size, 'tenant')} are encrypted with key id ${keyId}, and no configured key has that id (${configuredKeys(keyring)}); set SECRETS_KEY or SECRETS_KEY_PREVIOUS to the key with id ${keyId}`,
    ),
    ...[...unopened].map(
      ([keyId, tenants]) =>
        `integration secrets of ${plural(tenants.size, 'tenant')} (${[...tenants].join(', ')}) do not open with the configured key id ${keyId}: they are damaged or were copied from another row`,
    ),
  ];
  return lines.length > 0 ? lines.join('; ') : null;
}

/**
 * Integration secrets at rest (webhook encryption key and signing secret,
 * points-log auth header): the start-up check and first sealing, and the
 * rotation to a new key.
 */
export function secretsService(deps: { db: Database; keyring: SecretsKeyring; log: Logger }) {
  const { db, keyring, log } = deps;

  /** Seals, in one transaction over locked rows, every value that `needsWork` picks; values it leaves alone stay as they are. */
  async function reseal(prefix: string, needsWork: (value: string) => boolean): Promise<number> {
    return db.transaction(async (tx) => {
      const rows = await tx.integrations.lockSecretsNotStartingWith(prefix);
      const changed: StoredSecrets[] = [];
      for (const { tenantId, values } of rows) {
        const next: StoredSecrets['values'] = {};
        for (const column of SECRET_COLUMNS) {
          const value = values[column];
          if (value === undefined || !needsWork(value)) continue;
          const place = { tenantId, column };
          next[column] = sealSecret(keyring, openSecret(keyring, value, place), place);
        }
        if (Object.keys(next).length > 0) changed.push({ tenantId, values: next });
      }
      await tx.integrations.replaceSecrets(changed);
      return changed.length;
    });
  }

  return {
    /**
     * Run by the API and the worker before they take work: refuses (throws
     * SecretsKeyError naming the key id) when a stored value does not open
     * with the configured keys; with a key, seals the values still stored in
     * plain text. Both steps are safe to run in several processes at once.
     */
    async prepare(): Promise<void> {
      const problem = secretsProblem(keyring, await db.integrations.listSecrets());
      if (problem) throw new SecretsKeyError(`Start-up refused: ${problem}.`);
      if (!keyring.current) {
        log.warn('SECRETS_KEY is not set: integration secrets (webhook keys, points-log auth header) are stored in plain text');
        return;
      }
      const sealed = await reseal(SEALED_PREFIX, (value) => !isSealed(value));
      if (sealed > 0) log.info({ tenants: sealed, keyId: keyring.current.id }, 'integration secrets stored in plain text are now encrypted');
    },

    /** Re-encrypts every stored secret not yet under the current key (`npm run cli -- secrets:rotate`). */
    async rotate(): Promise<{ keyId: string; tenantsRewritten: number; configured: string }> {
      const current = keyring.current;
      if (!current) throw new AppError('validation', 'SECRETS_KEY is not set: there is no key to encrypt with');
      const problem = secretsProblem(keyring, await db.integrations.listSecrets());
      if (problem) throw new SecretsKeyError(`Nothing was rotated: ${problem}.`);
      const tenantsRewritten = await reseal(`${SEALED_PREFIX}${current.id}:`, (value) => !sealedWithCurrent(keyring, value));
      return { keyId: current.id, tenantsRewritten, configured: configuredKeys(keyring) };
    },
  };
}
