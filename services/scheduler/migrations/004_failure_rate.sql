-- Failure rate per sender (DESIGN S10, P7), account-level failures reported to accounts, and the instants
-- that order the pause guarantee (a hold acknowledged means no send on the held scope starts afterwards).

-- Events to other services, delivered by services.common.outbox.Relay (same DDL as outbox.table_sql).
CREATE TABLE scheduler.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination text NOT NULL,
    ordering_key text NOT NULL,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_error text
);
CREATE INDEX outbox_by_key ON scheduler.outbox (ordering_key, id);

-- Events received once (StartProbation carries an event id): a redelivery changes nothing.
CREATE TABLE scheduler.processed_events (
    event_id uuid PRIMARY KEY,
    kind text NOT NULL,
    processed_at timestamptz NOT NULL
);

ALTER TABLE scheduler.sender_states
    -- The alert state last reported to campaigns; only its transitions are sent.
    ADD COLUMN failure_alert boolean NOT NULL DEFAULT false,
    ADD COLUMN failure_alert_changed_at timestamptz,
    -- The last evaluation: failures / attempts over the window, and the number of attempts.
    ADD COLUMN failure_rate double precision NOT NULL DEFAULT 0,
    ADD COLUMN failure_sample integer NOT NULL DEFAULT 0,
    ADD COLUMN failure_evaluated_at timestamptz NOT NULL DEFAULT '-infinity',
    -- Outcomes before this instant do not count (set when a probation starts: the sample starts afresh).
    ADD COLUMN failure_window_start timestamptz NOT NULL DEFAULT '-infinity',
    -- P7: after a member resumed a campaign paused for a high failure rate, a smaller sample re-pauses.
    ADD COLUMN probation_until timestamptz;

-- The window of outcomes per sender.
CREATE INDEX send_attempts_by_sender_finished ON scheduler.send_attempts (sender_id, finished_at)
    WHERE finished_at IS NOT NULL;

-- Database time (not the injected clock) of the claim that recorded the attempt and of the transaction that
-- recorded its outcome, so the order of a claim and a hold can be audited.
ALTER TABLE scheduler.send_attempts
    ADD COLUMN claimed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    ADD COLUMN settled_at timestamptz;
-- Database time of the last change of a campaign's holds, taken once the hold row is locked: every claim
-- that saw the previous holds committed before it.
ALTER TABLE scheduler.campaign_holds ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp();
