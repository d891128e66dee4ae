-- Health of inboxes connected by SMTP and IMAP passwords (DESIGN A4): a periodic login probe, its failure
-- counters, and reconnect by new credentials. Changes follow the LinkedIn pattern (history, global sequence,
-- outbox); the probe and reconnect are two more sources of history.

ALTER TABLE accounts.inboxes
    -- When the probe job next logs in; NULL: as soon as possible. Moved forward when a probe is claimed, so
    -- replicas never probe the same inbox for the same period.
    ADD COLUMN next_probe_at timestamptz,
    ADD COLUMN last_probe_at timestamptz,
    -- Consecutive probes whose login was refused (a success resets it; a network failure leaves it).
    ADD COLUMN auth_failures integer NOT NULL DEFAULT 0 CHECK (auth_failures >= 0),
    -- Since when every probe failed for a network reason; NULL while the servers answer.
    ADD COLUMN network_failing_since timestamptz,
    -- What the last failed probe saw (never a password); '' after a success.
    ADD COLUMN last_probe_error text NOT NULL DEFAULT '' CHECK (length(last_probe_error) <= 1000);
CREATE INDEX inboxes_probe_due ON accounts.inboxes (next_probe_at NULLS FIRST) WHERE auth_kind = 'password';

ALTER TABLE accounts.health_history DROP CONSTRAINT health_history_source_check;
ALTER TABLE accounts.health_history ADD CONSTRAINT health_history_source_check
    CHECK (source IN ('unipile_webhook', 'grace_expired', 'send_failure', 'operator', 'reconnect', 'probe'));
