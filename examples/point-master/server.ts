// Runs the reference point master next to a follower:
//
//   npm run example:point-master -- --follower-api-key pf_... --encryption-key ... --signing-secret whsec_...
//
// Every flag can also come from the environment: POINT_MASTER_HOST, POINT_MASTER_PORT,
// FOLLOWER_URL, FOLLOWER_API_KEY, WEBHOOK_ENCRYPTION_KEY, WEBHOOK_SIGNING_SECRET, POINTS_LOG_TOKEN.
import { parseArgs } from 'node:util';
import { buildPointMaster } from './app.ts';

const { values: flags } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'follower-url': { type: 'string' },
    'follower-api-key': { type: 'string' },
    'encryption-key': { type: 'string' },
    'signing-secret': { type: 'string' },
    'points-log-token': { type: 'string' },
  },
});

const setting = (flag: keyof typeof flags, variable: string, fallback?: string): string => {
  const value = flags[flag] ?? process.env[variable] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`Missing --${flag} (or ${variable})`);
    process.exit(2);
  }
  return value;
};

const host = setting('host', 'POINT_MASTER_HOST', '127.0.0.1');
const port = Number(setting('port', 'POINT_MASTER_PORT', '4000'));
const master = buildPointMaster({
  followerUrl: setting('follower-url', 'FOLLOWER_URL', 'http://127.0.0.1:3000'),
  followerApiKey: setting('follower-api-key', 'FOLLOWER_API_KEY'),
  encryptionKey: setting('encryption-key', 'WEBHOOK_ENCRYPTION_KEY'),
  signingSecret: setting('signing-secret', 'WEBHOOK_SIGNING_SECRET'),
  pointsLogToken: flags['points-log-token'] ?? process.env.POINTS_LOG_TOKEN,
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void master.app.close().then(() => process.exit(0));
  });
}

const address = await master.app.listen({ host, port });
master.app.log.info(`webhook: ${address}/webhooks/engage   points log: ${address}/points/{contactId}`);
