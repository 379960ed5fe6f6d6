-- A sender leases a subscription's due events oldest first, 1,000 at a time (balance-events.repository.ts,
-- CLAIM_SQL). The index it used led with the state, and a claim asks for two states (Pending and Retrying), so
-- every claim read all of the subscription's due events and sorted them to keep the oldest 1,000: a backlog of a
-- million events was read and sorted a thousand times to drain. Only events still to send have a next_attempt_at
-- (a Delivered or Failed event has none), so an index in send order holds the due events first, in the order a
-- claim takes them, and the claim stops after its 1,000.
DROP INDEX "balance_event_subscription_state_next_attempt_at_idx";

CREATE INDEX "balance_event_due_idx" ON "balance_event"("tenant_id", "subscription_id", "next_attempt_at", "account_id");
