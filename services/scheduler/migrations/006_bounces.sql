-- Hard bounces of sent emails (RFC 3464 delivery-status notifications found in the sending inbox by accounts)
-- and each inbox's bounce rate over a sliding window, which feeds email_high_bounce_rate (DESIGN P1, S10).

-- One row per bounced attempt: the primary key makes a DSN delivered or reported twice count once.
CREATE TABLE scheduler.bounces (
    attempt_id uuid PRIMARY KEY REFERENCES scheduler.send_attempts (id) ON DELETE CASCADE,
    sender_id uuid NOT NULL,
    recipient text NOT NULL DEFAULT '' CHECK (length(recipient) <= 320),
    status text NOT NULL DEFAULT '' CHECK (length(status) <= 20),
    diagnostic text NOT NULL DEFAULT '' CHECK (length(diagnostic) <= 500),
    received_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX bounces_by_sender ON scheduler.bounces (sender_id, received_at);

ALTER TABLE scheduler.sender_states
    -- The alert state last reported to campaigns; only its transitions are sent.
    ADD COLUMN bounce_alert boolean NOT NULL DEFAULT false,
    ADD COLUMN bounce_alert_changed_at timestamptz,
    -- The last evaluation: bounces / emails sent over the window, and the number of emails sent.
    ADD COLUMN bounce_rate double precision NOT NULL DEFAULT 0,
    ADD COLUMN bounce_sample integer NOT NULL DEFAULT 0,
    ADD COLUMN bounce_evaluated_at timestamptz NOT NULL DEFAULT '-infinity',
    -- Emails sent before this instant do not count (set when a member resumes: the sample starts afresh).
    ADD COLUMN bounce_window_start timestamptz NOT NULL DEFAULT '-infinity';
