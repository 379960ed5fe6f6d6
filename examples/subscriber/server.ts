// Runs the reference subscriber: SIGNING_SECRET (the subscription's whsec_...),
// ENCRYPTION_KEY (only for an encrypted subscription), PORT (default 4100).
// Each event is logged; the newest figure per account is kept in memory.
import { Subscriber } from './subscriber.ts';

const signingSecret = process.env.SIGNING_SECRET;
if (!signingSecret) {
  console.error('Set SIGNING_SECRET to the signingSecret the subscription was created with');
  process.exit(1);
}
const subscriber = new Subscriber({ signingSecret, ...(process.env.ENCRYPTION_KEY && { encryptionKey: process.env.ENCRYPTION_KEY }) });
const { url } = await subscriber.listen(Number(process.env.PORT ?? 4100));
console.log(`Listening on ${url}`);
let shown = 0;
setInterval(() => {
  for (const { event } of subscriber.received.slice(shown)) {
    console.log(
      `account ${event.accountId} (contact ${event.contactId}, definition ${event.definitionId}): ${event.balance} v${event.version} at ${event.changedAt}`,
    );
  }
  shown = subscriber.received.length;
}, 1000);
