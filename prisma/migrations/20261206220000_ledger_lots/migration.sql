-- Lots that are used up and expire (DESIGN 2.2, rewritten): a positive entry is a lot, a negative one uses up active
-- lots soonest-expiring first, what cannot be covered is owed, and expiry takes only what is left. The rule lives in
-- one function, ledger_walk, below; the checkpoint now holds each account's state (what is owed, what is left of each
-- open lot) instead of a sum.

-- The owner of expiry: the follower takes what is left of a lot off at its validTo, or the master sends it as rows.
CREATE TYPE "expiry_owner" AS ENUM ('follower', 'master');
ALTER TABLE "tenant" ADD COLUMN "expiry" "expiry_owner" NOT NULL DEFAULT 'follower';

-- What the old rule (sum of the active entries) showed for every account with a ledger, so the accounts this
-- migration changes can be reported with their figures before and after (admin API and CLI: rule-changes).
CREATE TABLE "ledger_rule_change" (
    "tenant_id" UUID NOT NULL,
    "account_id" BIGINT NOT NULL,
    "contact_id" UUID NOT NULL,
    "definition_id" INTEGER NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL,
    "balance_before" DECIMAL(19,4) NOT NULL,
    "pending_before" DECIMAL(19,4) NOT NULL,
    "expires_before" TIMESTAMPTZ(3),
    "balance_after" DECIMAL(19,4),
    "pending_after" DECIMAL(19,4),
    "expires_after" TIMESTAMPTZ(3),

    CONSTRAINT "ledger_rule_change_pkey" PRIMARY KEY ("tenant_id","account_id")
);

INSERT INTO "ledger_rule_change" ("tenant_id", "account_id", "contact_id", "definition_id", "recorded_at", "balance_before", "pending_before", "expires_before")
SELECT a."tenant_id", a."id", a."contact_id", a."definition_id", now(),
       COALESCE(sum(e."amount") FILTER (WHERE e."valid_from" <= now() AND (e."valid_to" IS NULL OR e."valid_to" > now())), 0),
       COALESCE(sum(e."amount") FILTER (WHERE e."valid_from" > now()), 0),
       min(e."valid_to") FILTER (WHERE e."amount" > 0 AND e."valid_from" <= now() AND e."valid_to" > now())
  FROM "point_account" a JOIN "ledger_entry" e ON e."tenant_id" = a."tenant_id" AND e."account_id" = a."id" AND e."type" <> 'Expiry'
 GROUP BY a."tenant_id", a."id", a."contact_id", a."definition_id";

-- Entries: `phase` says what an entry still does to its account (0 waiting: not folded into the checkpoint yet, a
-- pending lot or a deduction still to come; 1 open: a lot folded in with points left; 2 done), `remaining` what is
-- left of a lot as of the checkpoint.
DROP INDEX "ledger_entry_balance_idx";
DROP INDEX "ledger_entry_unsettled_idx";
ALTER TABLE "ledger_entry" DROP COLUMN "settled", DROP COLUMN "lapse_recorded",
    ADD COLUMN "phase" SMALLINT NOT NULL DEFAULT 0,
    ADD COLUMN "remaining" DECIMAL(19,4);
CREATE INDEX "ledger_entry_phase_idx" ON "ledger_entry"("tenant_id", "account_id", "phase");

-- The checkpoint: the state of the account after every event up to settled_through.
TRUNCATE "ledger_checkpoint";
ALTER TABLE "ledger_checkpoint" DROP COLUMN "balance", DROP COLUMN "entries",
    ADD COLUMN "owed" DECIMAL(19,4) NOT NULL DEFAULT 0,
    ADD COLUMN "next_event_at" TIMESTAMPTZ(3);
CREATE INDEX "ledger_checkpoint_tenant_id_next_event_at_idx" ON "ledger_checkpoint"("tenant_id", "next_event_at");

/*
 * ledger_walk: the one implementation of the rule (the property test holds it to an independent model).
 *
 * Replays accounts of one tenant in time order. Events: a lot turns active at its validFrom and pays what is owed
 * first, then joins the open lots; a deduction at its validFrom uses up open lots in use order (validTo soonest
 * first, never-expiring last; then validFrom; then ledger order) and what they cannot cover is owed; at a lot's
 * validTo what is left of it expires (unless the tenant's master owns expiry). At one instant, expiries come first
 * (a window is [validFrom, validTo)), then lots turning active, then deductions. Expiry entries are history, never
 * events.
 *
 * Reading (p_fold_to null): answers the figures of every account at each instant of p_marks (ascending): balance
 * (what is left of active lots minus what is owed), pending (lots not active yet), expires (the soonest validTo
 * among lots with something left), expires_amount (what is left of the lots expiring then) and what is left of the
 * lots expiring within 30, 60 and 90 days of the mark. It starts from the account's checkpoint when every mark is at
 * or after it, and from the first entry otherwise.
 *
 * Folding (p_fold_to set; the caller holds the accounts' row locks): moves each account's checkpoint on to
 * p_fold_to, writing what it found: the phase and remaining of the entries that changed, the Expiry entries of the
 * lots that expired (exactly what was left of each; none when nothing was), and the checkpoint row (settled_through:
 * the time of the last event folded in; owed; next_event_at: when the figures next change by themselves).
 * p_new names entries just added: one dated at or before the checkpoint (a back-dated row), or p_rebuild, replays
 * the account from its first entry and rewrites its Expiry entries, so the figures never depend on arrival order.
 */
CREATE FUNCTION "ledger_walk"(
    p_tenant UUID,
    p_accounts BIGINT[],
    p_marks TIMESTAMPTZ[],
    p_fold_to TIMESTAMPTZ DEFAULT NULL,
    p_new BIGINT[] DEFAULT '{}',
    p_rebuild BOOLEAN DEFAULT false
) RETURNS TABLE (
    account_id BIGINT, "at" TIMESTAMPTZ, balance NUMERIC, pending NUMERIC, expires TIMESTAMPTZ, expires_amount NUMERIC,
    expiring_30 NUMERIC, expiring_60 NUMERIC, expiring_90 NUMERIC
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_expire BOOLEAN;
    v_marks INT := COALESCE(array_length(p_marks, 1), 0);
    r RECORD;
    n INT;
    k INT;
    mi INT;
    j INT;
    i INT;
    step_at TIMESTAMPTZ;
    step TEXT;
    -- the account being walked, in local arrays (expanded: reading an element costs the same wherever it is)
    e_id BIGINT[];
    e_from TIMESTAMPTZ[];
    e_to TIMESTAMPTZ[];
    e_amount NUMERIC[];
    o_phase SMALLINT[];
    o_rem NUMERIC[];
    f_phase SMALLINT[];
    f_rem NUMERIC[];
    -- its open lots in use order, live from h to t (pos: the entry's index in the e_ arrays)
    h INT;
    t INT;
    l_id BIGINT[];
    l_rem NUMERIC[];
    l_from TIMESTAMPTZ[];
    l_to TIMESTAMPTZ[];
    l_pos INT[];
    owed NUMERIC;
    total NUMERIC;
    waiting NUMERIC;
    settled TIMESTAMPTZ;
    amount NUMERIC;
    need NUMERIC;
    take NUMERIC;
    -- what a fold writes, for every account at once
    w_id BIGINT[] := '{}';
    w_phase SMALLINT[] := '{}';
    w_rem NUMERIC[] := '{}';
    x_lot BIGINT[] := '{}';
    x_account BIGINT[] := '{}';
    x_at TIMESTAMPTZ[] := '{}';
    x_amount NUMERIC[] := '{}';
    z_account BIGINT[] := '{}';
    c_account BIGINT[] := '{}';
    c_settled TIMESTAMPTZ[] := '{}';
    c_owed NUMERIC[] := '{}';
    c_next TIMESTAMPTZ[] := '{}';
BEGIN
    SELECT t.expiry = 'follower' INTO v_expire FROM tenant t WHERE t.id = p_tenant;
    IF v_expire IS NULL THEN
        RETURN;
    END IF;

    -- The usual fold needs no walk: an account that owes nothing and has nothing due gets only lots that turn active
    -- after its checkpoint (or later) and expire after now. They join the open lots whole, as the apply wrote them, so
    -- only the checkpoint moves on. Every other account is walked below.
    IF p_fold_to IS NOT NULL AND NOT p_rebuild AND cardinality(p_new) > 0 THEN
        WITH fresh AS (
            SELECT e.account_id, bool_and(e.amount > 0 AND (e.valid_to IS NULL OR e.valid_to > p_fold_to)) AS lots,
                   min(e.valid_from) FILTER (WHERE e.valid_from <= p_fold_to) AS first_from,
                   max(e.valid_from) FILTER (WHERE e.valid_from <= p_fold_to) AS last_from,
                   least(min(e.valid_to), min(e.valid_from) FILTER (WHERE e.valid_from > p_fold_to)) AS next_event
              FROM ledger_entry e WHERE e.tenant_id = p_tenant AND e.id = ANY (p_new) GROUP BY e.account_id
        ), simple AS (
            SELECT f.* , c.account_id IS NULL AS first FROM fresh f
              LEFT JOIN ledger_checkpoint c ON c.tenant_id = p_tenant AND c.account_id = f.account_id
             WHERE f.lots AND (c.account_id IS NULL
                               OR (c.owed = 0 AND (c.next_event_at IS NULL OR c.next_event_at > p_fold_to)
                                   AND (f.first_from IS NULL OR f.first_from > c.settled_through)))
        ), moved AS (
            INSERT INTO ledger_checkpoint AS c (tenant_id, account_id, settled_through, owed, next_event_at, updated_at)
            SELECT p_tenant, s.account_id, COALESCE(s.last_from, '-infinity'), 0, s.next_event, p_fold_to FROM simple s ORDER BY s.account_id
            ON CONFLICT (tenant_id, account_id) DO UPDATE
               SET settled_through = greatest(c.settled_through, EXCLUDED.settled_through),
                   next_event_at = least(c.next_event_at, EXCLUDED.next_event_at), updated_at = EXCLUDED.updated_at
            RETURNING c.account_id
        )
        SELECT ARRAY(SELECT u.id FROM unnest(p_accounts) AS u(id) EXCEPT SELECT m.account_id FROM moved m) INTO p_accounts;
        IF cardinality(p_accounts) = 0 THEN
            RETURN;
        END IF;
    END IF;

    FOR r IN
        -- Each account's entries are read by its own index range (a lateral join), whatever the planner's statistics say.
        WITH fresh AS (
            SELECT e.account_id, array_agg(e.id) AS ids, min(e.valid_from) AS valid_from
              FROM ledger_entry e WHERE e.tenant_id = p_tenant AND e.id = ANY (p_new) GROUP BY e.account_id
        ), acc AS MATERIALIZED (
            SELECT a.id, c.settled_through, COALESCE(c.owed, 0) AS owed, COALESCE(f.ids, '{}') AS fresh,
                   (c.account_id IS NULL OR p_rebuild OR COALESCE(p_fold_to IS NULL AND p_marks[1] < c.settled_through, false)
                    OR COALESCE(f.valid_from <= c.settled_through, false)
                    OR EXISTS (SELECT FROM ledger_entry w WHERE w.tenant_id = p_tenant AND w.account_id = a.id AND w.phase = 0
                                  AND w.valid_from <= c.settled_through)) AS scratch
              FROM (SELECT DISTINCT u.id FROM unnest(p_accounts) AS u(id)) a
              LEFT JOIN ledger_checkpoint c ON c.tenant_id = p_tenant AND c.account_id = a.id
              LEFT JOIN fresh f ON f.account_id = a.id
        )
        SELECT acc.id, acc.settled_through, acc.owed, acc.scratch, x.*
          FROM acc
          LEFT JOIN LATERAL (
            SELECT array_agg(e.id ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS ids,
                   array_agg(e.valid_from ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS froms,
                   array_agg(e.valid_to ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS tos,
                   array_agg(e.amount ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS amounts,
                   array_agg(e.remaining ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS rems,
                   array_agg(e.phase ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS phases,
                   array_agg(e.event ORDER BY e.event, e.ev_from, e.deduction, e.valid_to NULLS LAST, e.valid_from, e.id) AS events
              FROM (SELECT y.*, CASE WHEN y.event THEN y.valid_from END AS ev_from, y.amount < 0 AS deduction FROM (
                      -- from the start: every entry is an event
                      SELECT e.id, e.valid_from, e.valid_to, e.amount, e.remaining, e.phase, true AS event
                        FROM ledger_entry e
                       WHERE acc.scratch AND e.tenant_id = p_tenant AND e.account_id = acc.id AND e.type <> 'Expiry'
                      UNION ALL
                      -- from the checkpoint: open lots are the state; waiting entries and the new ones are events
                      SELECT e.id, e.valid_from, e.valid_to, e.amount, e.remaining, e.phase, e.phase = 0 OR e.id = ANY (acc.fresh)
                        FROM ledger_entry e
                       WHERE NOT acc.scratch AND e.tenant_id = p_tenant AND e.account_id = acc.id AND e.phase < 2 AND e.type <> 'Expiry'
                      UNION ALL
                      SELECT e.id, e.valid_from, e.valid_to, e.amount, e.remaining, e.phase, true
                        FROM unnest(acc.fresh) AS n(id) JOIN ledger_entry e ON e.tenant_id = p_tenant AND e.id = n.id
                       WHERE NOT acc.scratch AND e.phase = 2) y) e
          ) x ON true
         ORDER BY acc.id
    LOOP
        n := CASE WHEN r.ids[1] IS NULL THEN 0 ELSE array_length(r.ids, 1) END;
        e_id := r.ids; e_from := r.froms; e_to := r.tos; e_amount := r.amounts;
        o_phase := r.phases; o_rem := r.rems;
        f_phase := o_phase;
        f_rem := o_rem;
        IF r.scratch THEN
            owed := 0;
            settled := '-infinity';
        ELSE
            owed := r.owed;
            settled := r.settled_through;
        END IF;
        -- the open lots of the checkpoint come first, already in use order
        k := 1;
        total := 0;
        l_pos := '{}';
        WHILE k <= n AND NOT r.events[k] LOOP
            total := total + f_rem[k];
            l_pos[k] := k;
            k := k + 1;
        END LOOP;
        l_id := e_id[1:k - 1]; l_rem := f_rem[1:k - 1]; l_from := e_from[1:k - 1]; l_to := e_to[1:k - 1];
        h := 1;
        t := k - 1;
        waiting := 0;
        FOR j IN k..n LOOP
            IF e_amount[j] > 0 THEN
                waiting := waiting + e_amount[j];
            END IF;
        END LOOP;
        mi := 1;

        LOOP
            -- the next step: a mark, an event, or the end of the fold
            IF mi <= v_marks AND (k > n OR p_marks[mi] < e_from[k]) THEN
                step := 'mark'; step_at := p_marks[mi];
            ELSIF p_fold_to IS NULL THEN
                EXIT WHEN mi > v_marks;
                step := 'event'; step_at := e_from[k];
            ELSIF k <= n AND e_from[k] <= p_fold_to THEN
                step := 'event'; step_at := e_from[k];
            ELSE
                step := 'fold'; step_at := p_fold_to;
            END IF;

            -- what is left of the lots whose validTo has come expires (they are first in use order)
            WHILE v_expire AND h <= t AND l_to[h] <= step_at LOOP
                IF p_fold_to IS NOT NULL THEN
                    IF l_rem[h] > 0 THEN
                        x_lot := x_lot || l_id[h]; x_account := x_account || r.id; x_at := x_at || l_to[h]; x_amount := x_amount || l_rem[h];
                    END IF;
                    f_phase[l_pos[h]] := 2;
                    f_rem[l_pos[h]] := 0;
                END IF;
                total := total - l_rem[h];
                settled := greatest(settled, l_to[h]);
                h := h + 1;
            END LOOP;

            IF step = 'mark' THEN
                account_id := r.id; "at" := step_at; balance := total - owed; pending := waiting;
                expires := NULL; expires_amount := 0; expiring_30 := 0; expiring_60 := 0; expiring_90 := 0;
                FOR j IN h..t LOOP
                    CONTINUE WHEN l_to[j] <= step_at;
                    EXIT WHEN l_to[j] IS NULL OR (l_to[j] > expires AND l_to[j] > step_at + interval '90 days');
                    IF expires IS NULL THEN expires := l_to[j]; END IF;
                    IF l_to[j] = expires THEN expires_amount := expires_amount + l_rem[j]; END IF;
                    IF l_to[j] <= step_at + interval '30 days' THEN expiring_30 := expiring_30 + l_rem[j]; END IF;
                    IF l_to[j] <= step_at + interval '60 days' THEN expiring_60 := expiring_60 + l_rem[j]; END IF;
                    IF l_to[j] <= step_at + interval '90 days' THEN expiring_90 := expiring_90 + l_rem[j]; END IF;
                END LOOP;
                RETURN NEXT;
                mi := mi + 1;

            ELSIF step = 'event' THEN
                amount := e_amount[k];
                IF amount > 0 THEN
                    -- a lot turns active: it pays what is owed first, and what is left of it joins the open lots
                    waiting := waiting - amount;
                    take := least(owed, amount);
                    owed := owed - take;
                    IF amount - take > 0 THEN
                        -- its place in use order, found from the end (a lot usually expires after those before it)
                        j := t;
                        WHILE j >= h AND (COALESCE(l_to[j], 'infinity'), l_from[j], l_id[j])
                                       > (COALESCE(e_to[k], 'infinity'), e_from[k], e_id[k]) LOOP
                            j := j - 1;
                        END LOOP;
                        FOR i IN REVERSE t..j + 1 LOOP
                            l_id[i + 1] := l_id[i]; l_rem[i + 1] := l_rem[i]; l_from[i + 1] := l_from[i]; l_to[i + 1] := l_to[i]; l_pos[i + 1] := l_pos[i];
                        END LOOP;
                        l_id[j + 1] := e_id[k]; l_rem[j + 1] := amount - take; l_from[j + 1] := e_from[k]; l_to[j + 1] := e_to[k]; l_pos[j + 1] := k;
                        t := t + 1;
                        total := total + amount - take;
                        f_phase[k] := 1;
                    ELSE
                        f_phase[k] := 2;
                    END IF;
                    f_rem[k] := amount - take;
                ELSE
                    -- a deduction uses up open lots in use order; what they cannot cover is owed
                    need := -amount;
                    WHILE need > 0 AND h <= t LOOP
                        take := least(need, l_rem[h]);
                        l_rem[h] := l_rem[h] - take;
                        need := need - take;
                        total := total - take;
                        f_rem[l_pos[h]] := l_rem[h];
                        EXIT WHEN l_rem[h] > 0;
                        f_phase[l_pos[h]] := 2;
                        h := h + 1;
                    END LOOP;
                    owed := owed + need;
                    f_phase[k] := 2;
                    f_rem[k] := NULL;
                END IF;
                settled := greatest(settled, step_at);
                k := k + 1;

            ELSE
                -- the end of a fold: entries after it wait; what changed is written below, for all accounts at once
                FOR j IN k..n LOOP
                    f_phase[j] := 0;
                    f_rem[j] := NULL;
                END LOOP;
                FOR j IN 1..n LOOP
                    IF f_phase[j] IS DISTINCT FROM o_phase[j] OR f_rem[j] IS DISTINCT FROM o_rem[j] THEN
                        w_id := w_id || e_id[j]; w_phase := w_phase || f_phase[j]; w_rem := w_rem || f_rem[j];
                    END IF;
                END LOOP;
                IF r.scratch THEN
                    z_account := z_account || r.id;
                END IF;
                c_account := c_account || r.id;
                c_settled := c_settled || settled;
                c_owed := c_owed || owed;
                c_next := c_next || least(CASE WHEN v_expire AND h <= t THEN l_to[h] END, CASE WHEN k <= n THEN e_from[k] END);
                EXIT;
            END IF;
        END LOOP;
    END LOOP;

    IF p_fold_to IS NULL THEN
        RETURN;
    END IF;

    UPDATE ledger_entry e SET phase = w.phase, remaining = w.rem
      FROM unnest(w_id, w_phase, w_rem) AS w(id, phase, rem)
     WHERE e.tenant_id = p_tenant AND e.id = w.id;

    -- Replayed from the start: an Expiry entry whose lot no longer expires with anything left goes.
    DELETE FROM ledger_entry d
     WHERE d.tenant_id = p_tenant AND d.type = 'Expiry' AND d.account_id = ANY (z_account)
       AND NOT EXISTS (SELECT FROM unnest(x_lot) AS x(id) WHERE x.id = d.expires_entry_id);

    INSERT INTO ledger_entry AS e (tenant_id, account_id, type, amount, source, description, transaction_date, valid_from, valid_to,
                                   expires_entry_id, phase, created_at, modified_at)
    SELECT p_tenant, x.account, 'Expiry', -x.amount, 'Expiry', format('%s points of transaction %s expired', trim_scale(x.amount), x.lot),
           x.at, x.at, NULL, x.lot, 2, p_fold_to, p_fold_to
      FROM unnest(x_lot, x_account, x_at, x_amount) AS x(lot, account, at, amount)
     ORDER BY x.lot
    ON CONFLICT (tenant_id, expires_entry_id) DO UPDATE
       SET amount = EXCLUDED.amount, description = EXCLUDED.description, modified_at = EXCLUDED.modified_at
     WHERE e.amount <> EXCLUDED.amount;

    INSERT INTO ledger_checkpoint AS c (tenant_id, account_id, settled_through, owed, next_event_at, updated_at)
    SELECT p_tenant, s.account, s.settled, s.owed, s.next, p_fold_to
      FROM unnest(c_account, c_settled, c_owed, c_next) AS s(account, settled, owed, next)
     ORDER BY s.account
    ON CONFLICT (tenant_id, account_id) DO UPDATE
       SET settled_through = EXCLUDED.settled_through, owed = EXCLUDED.owed, next_event_at = EXCLUDED.next_event_at,
           updated_at = EXCLUDED.updated_at;
END;
$$;

-- Every account with a ledger is replayed from its first entry under the new rule.
DO $$
DECLARE
    t RECORD;
BEGIN
    FOR t IN SELECT e.tenant_id, array_agg(DISTINCT e.account_id) AS accounts FROM ledger_entry e GROUP BY e.tenant_id LOOP
        PERFORM ledger_walk(t.tenant_id, t.accounts, '{}', now(), '{}', true);
    END LOOP;
END;
$$;

-- The report keeps only the accounts whose figures moved.
UPDATE ledger_rule_change r SET balance_after = f.balance, pending_after = f.pending, expires_after = f.expires
  FROM (SELECT t.tenant_id, w.* FROM (SELECT DISTINCT tenant_id FROM ledger_rule_change) t,
               LATERAL ledger_walk(t.tenant_id, ARRAY(SELECT c.account_id FROM ledger_rule_change c WHERE c.tenant_id = t.tenant_id),
                                   ARRAY[now()]) w) f
 WHERE r.tenant_id = f.tenant_id AND r.account_id = f.account_id;
DELETE FROM ledger_rule_change
 WHERE balance_after = balance_before AND pending_after = pending_before AND expires_after IS NOT DISTINCT FROM expires_before;
