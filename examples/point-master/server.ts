// Runs the reference point master next to a follower:
//
//   FOLLOWER_API_KEY=pf_... WEBHOOK_ENCRYPTION_KEY=... WEBHOOK_SIGNING_SECRET=whsec_... \
//     npm run example:point-master -- --mode all-transaction
//
// Secrets come from the environment or from a file (--secrets-file PATH, or
// POINT_MASTER_SECRETS_FILE), never from flags, which anyone on the machine
// can read in the process list. The file holds KEY=VALUE lines with the
// variables' names; the environment wins over it.
//   FOLLOWER_API_KEY, WEBHOOK_ENCRYPTION_KEY, WEBHOOK_SIGNING_SECRET, POINTS_LOG_TOKEN (optional)
// Other settings are flags or variables:
//   --host (POINT_MASTER_HOST), --port (POINT_MASTER_PORT), --follower-url (FOLLOWER_URL),
//   --mode balance-only|all-transaction (POINT_MASTER_MODE),
//   --recovery-interval-ms (POINT_MASTER_RECOVERY_INTERVAL_MS, all-transaction only, default 5000),
//   --lossy-drop, --lossy-duplicate, --lossy-reorder (shares 0-1 of transaction pushes), --lossy-seed
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildPointMaster } from './app.ts';

const { values: flags } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'follower-url': { type: 'string' },
    mode: { type: 'string' },
    'secrets-file': { type: 'string' },
    'recovery-interval-ms': { type: 'string' },
    'lossy-drop': { type: 'string' },
    'lossy-duplicate': { type: 'string' },
    'lossy-reorder': { type: 'string' },
    'lossy-seed': { type: 'string' },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** KEY=VALUE lines; blank lines and lines starting with # are skipped. */
function readSecretsFile(file: string): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const at = trimmed.indexOf('=');
    if (at < 1) fail(`${file}: a line is not KEY=VALUE`);
    secrets[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim();
  }
  return secrets;
}

const secretsFile = flags['secrets-file'] ?? process.env.POINT_MASTER_SECRETS_FILE;
const fromFile = secretsFile ? readSecretsFile(secretsFile) : {};
const secret = (variable: string, required = true): string | undefined => {
  const value = process.env[variable] || fromFile[variable];
  if (!value && required) fail(`Missing ${variable} (set it in the environment or in the secrets file)`);
  return value || undefined;
};
const setting = (flag: keyof typeof flags, variable: string, fallback: string): string => flags[flag] ?? process.env[variable] ?? fallback;

const share = (flag: 'lossy-drop' | 'lossy-duplicate' | 'lossy-reorder'): number => {
  const value = Number(flags[flag] ?? 0);
  if (!(value >= 0 && value <= 1)) fail(`--${flag} must be a share from 0 to 1`);
  return value;
};
const lossy = {
  drop: share('lossy-drop'),
  duplicate: share('lossy-duplicate'),
  reorder: share('lossy-reorder'),
  seed: Number(flags['lossy-seed'] ?? Date.now()),
};

const mode = setting('mode', 'POINT_MASTER_MODE', 'balance-only');
if (mode !== 'balance-only' && mode !== 'all-transaction') fail('--mode must be balance-only or all-transaction');
const host = setting('host', 'POINT_MASTER_HOST', '127.0.0.1');
const port = Number(setting('port', 'POINT_MASTER_PORT', '4000'));
const recoveryIntervalMs = Number(setting('recovery-interval-ms', 'POINT_MASTER_RECOVERY_INTERVAL_MS', '5000'));

const master = buildPointMaster({
  followerUrl: setting('follower-url', 'FOLLOWER_URL', 'http://127.0.0.1:3000'),
  followerApiKey: secret('FOLLOWER_API_KEY')!,
  encryptionKey: secret('WEBHOOK_ENCRYPTION_KEY')!,
  signingSecret: secret('WEBHOOK_SIGNING_SECRET')!,
  pointsLogToken: secret('POINTS_LOG_TOKEN', false),
  mode,
  lossy: lossy.drop + lossy.duplicate + lossy.reorder > 0 ? lossy : null,
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void master.app.close().then(() => process.exit(0));
  });
}

const address = await master.app.listen({ host, port });
master.app.log.info(
  { mode, lossy: lossy.drop + lossy.duplicate + lossy.reorder > 0 ? lossy : 'off' },
  mode === 'all-transaction'
    ? `serving an all-transaction tenant: adjustments come back as transactions (externalId = event id); recovery every ${recoveryIntervalMs} ms`
    : 'serving a balance-only tenant: adjustments come back as balances',
);
master.app.log.info(`webhook: ${address}/webhooks/engage   points log: ${address}/points/{contactId}`);
if (mode === 'all-transaction') {
  master.app.log.info(`record transactions: POST ${address}/transactions [{contactId, definitionId, amount, source, description}]`);
  master.startRecovery(recoveryIntervalMs);
}
