import type { Database } from '../db/database.ts';
import { SECRET_COLUMNS, type StoredSecrets } from '../db/integrations.repository.ts';
import type { StoredSigningSecret } from '../db/subscriptions.repository.ts';
import {
  isSealed,
  openSecret,
  SEALED_PREFIX,
  sealedKeyId,
  sealedWithCurrent,
  sealSecret,
  SecretsKeyError,
  type SecretPlace,
  type SecretsKeyring,
  subscriptionSecretPlace,
} from '../domain/secrets.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Which configured keys a message can name. */
function configuredKeys(keyring: SecretsKeyring): string {
  if (!keyring.current) return 'SECRETS_KEY is not set';
  const previous = [...keyring.keys.keys()].filter((id) => id !== keyring.current!.id);
  return `SECRETS_KEY has key id ${keyring.current.id}; SECRETS_KEY_PREVIOUS ${previous.length > 0 ? `has ${previous.join(', ')}` : 'is not set'}`;
}

/** One stored secret, sealed or not, with the place it is bound to. */
interface StoredSecret {
  place: SecretPlace;
  value: string;
}

/** Every secret the service stores: each tenant's integration secrets and each subscription's signing secret. */
function storedSecrets(integrations: readonly StoredSecrets[], subscriptions: readonly StoredSigningSecret[]): StoredSecret[] {
  return [
    ...integrations.flatMap(({ tenantId, values }) =>
      SECRET_COLUMNS.flatMap((column) => (values[column] === undefined ? [] : [{ place: { tenantId, column }, value: values[column] }])),
    ),
    ...subscriptions.map((subscription) => ({ place: subscriptionSecretPlace(subscription), value: subscription.signingSecret })),
  ];
}

/**
 * Why stored secrets cannot be used with these keys, or null when every one
 * opens: missing key ids first (a key left out of the configuration), then
 * values that name a configured key and still do not open.
 */
function secretsProblem(keyring: SecretsKeyring, secrets: readonly StoredSecret[]): string | null {
  const missing = new Map<string, Set<string>>();
  const unopened = new Map<string, Set<string>>();
  for (const { place, value } of secrets) {
    if (!isSealed(value)) continue;
    const keyId = sealedKeyId(value)!;
    const into = keyring.keys.has(keyId) ? unopened : missing;
    try {
      openSecret(keyring, value, place);
    } catch (err) {
      if (!(err instanceof SecretsKeyError)) throw err;
      into.set(keyId, (into.get(keyId) ?? new Set()).add(place.tenantId));
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
 * Secrets at rest (a tenant's webhook encryption key and signing secret, its
 * points-log auth header, each subscription's signing secret): the start-up
 * check and first sealing, and the rotation to a new key.
 */
export function secretsService(deps: { db: Database; keyring: SecretsKeyring; log: Logger }) {
  const { db, keyring, log } = deps;

  /** The stored value sealed again with the current key when `needsWork` picks it; null when it stays as it is. */
  const resealed = (value: string, place: SecretPlace, needsWork: (value: string) => boolean) =>
    needsWork(value) ? sealSecret(keyring, openSecret(keyring, value, place), place) : null;

  /**
   * Seals, in one transaction over locked rows, every value that `needsWork`
   * picks (integration secrets and subscriptions' signing secrets); values it
   * leaves alone stay as they are.
   */
  async function reseal(prefix: string, needsWork: (value: string) => boolean): Promise<{ tenants: number; subscriptions: number }> {
    return db.transaction(async (tx) => {
      const changed: StoredSecrets[] = [];
      for (const { tenantId, values } of await tx.integrations.lockSecretsNotStartingWith(prefix)) {
        const next: StoredSecrets['values'] = {};
        for (const column of SECRET_COLUMNS) {
          const value = values[column];
          const sealed = value === undefined ? null : resealed(value, { tenantId, column }, needsWork);
          if (sealed !== null) next[column] = sealed;
        }
        if (Object.keys(next).length > 0) changed.push({ tenantId, values: next });
      }
      const subscriptions = (await tx.subscriptions.lockSecretsNotStartingWith(prefix)).flatMap((subscription) => {
        const sealed = resealed(subscription.signingSecret, subscriptionSecretPlace(subscription), needsWork);
        return sealed === null ? [] : [{ ...subscription, signingSecret: sealed }];
      });
      await tx.integrations.replaceSecrets(changed);
      await tx.subscriptions.replaceSecrets(subscriptions);
      return { tenants: changed.length, subscriptions: subscriptions.length };
    });
  }

  const currentProblem = async () => secretsProblem(keyring, storedSecrets(await db.integrations.listSecrets(), await db.subscriptions.listSecrets()));

  return {
    /**
     * Run by the API and the worker before they take work: refuses (throws
     * SecretsKeyError naming the key id) when a stored value does not open
     * with the configured keys; with a key, seals the values still stored in
     * plain text. Both steps are safe to run in several processes at once.
     */
    async prepare(): Promise<void> {
      const problem = await currentProblem();
      if (problem) throw new SecretsKeyError(`Start-up refused: ${problem}.`);
      if (!keyring.current) {
        log.warn('SECRETS_KEY is not set: integration secrets (webhook keys, points-log auth header) are stored in plain text');
        return;
      }
      const sealed = await reseal(SEALED_PREFIX, (value) => !isSealed(value));
      if (sealed.tenants + sealed.subscriptions > 0) log.info({ ...sealed, keyId: keyring.current.id }, 'secrets stored in plain text are now encrypted');
    },

    /**
     * Re-encrypts every stored secret not yet under the current key
     * (`npm run cli -- secrets:rotate`): tenants' integration secrets and
     * subscriptions' signing secrets.
     */
    async rotate(): Promise<{ keyId: string; tenantsRewritten: number; subscriptionsRewritten: number; configured: string }> {
      const current = keyring.current;
      if (!current) throw new AppError('validation', 'SECRETS_KEY is not set: there is no key to encrypt with');
      const problem = await currentProblem();
      if (problem) throw new SecretsKeyError(`Nothing was rotated: ${problem}.`);
      const rewritten = await reseal(`${SEALED_PREFIX}${current.id}:`, (value) => !sealedWithCurrent(keyring, value));
      return { keyId: current.id, tenantsRewritten: rewritten.tenants, subscriptionsRewritten: rewritten.subscriptions, configured: configuredKeys(keyring) };
    },
  };
}
