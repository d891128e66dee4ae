-- Health of LinkedIn accounts (DESIGN A1-A3) and the workspace subscription (A6): every change is written to
-- a history, numbered by one global change sequence (for campaigns' reconciliation, ListHealthEvents), and
-- carried to campaigns through the outbox. Replays of billing events and of the scheduler's failure reports
-- are refused by their ids.

-- The global change sequence. One row, incremented inside each health change's transaction: its row lock
-- serializes changes, so sequence order is commit order and a reader paging by "sequence > n" never skips a
-- change that commits late (a SEQUENCE would hand out numbers in start order, not commit order).
CREATE TABLE accounts.health_sequence (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    value bigint NOT NULL CHECK (value >= 0)
);
INSERT INTO accounts.health_sequence (value) VALUES (0);

ALTER TABLE accounts.linkedin_accounts
    -- The global sequence of the account's last health change; 0 until the first one.
    ADD COLUMN health_sequence bigint NOT NULL DEFAULT 0 CHECK (health_sequence >= 0),
    -- The id of the HealthEvent that announced the current health (ListHealthEvents repeats it).
    ADD COLUMN health_event_id uuid,
    ADD CONSTRAINT linkedin_accounts_restricted_has_kind
        CHECK (status <> 'restricted' OR restriction_kind IS NOT NULL);
CREATE INDEX linkedin_accounts_degraded ON accounts.linkedin_accounts (status_since) WHERE status = 'degraded';
CREATE INDEX linkedin_accounts_by_health_sequence ON accounts.linkedin_accounts (health_sequence)
    WHERE health_sequence > 0;

ALTER TABLE accounts.inboxes
    ADD COLUMN health_sequence bigint NOT NULL DEFAULT 0 CHECK (health_sequence >= 0),
    ADD COLUMN health_event_id uuid;
CREATE INDEX inboxes_by_health_sequence ON accounts.inboxes (health_sequence) WHERE health_sequence > 0;

ALTER TABLE accounts.workspaces
    -- Bumped on each subscription change; orders the workspace's SubscriptionHealth events.
    ADD COLUMN subscription_version bigint NOT NULL DEFAULT 1 CHECK (subscription_version >= 1),
    ADD COLUMN subscription_since timestamptz,
    -- `created` of the newest billing event applied: an older one arriving late is ignored.
    ADD COLUMN billing_event_at timestamptz,
    ADD COLUMN health_sequence bigint NOT NULL DEFAULT 0 CHECK (health_sequence >= 0),
    ADD COLUMN health_event_id uuid;
UPDATE accounts.workspaces SET subscription_since = created_at;
ALTER TABLE accounts.workspaces ALTER COLUMN subscription_since SET NOT NULL;
CREATE INDEX workspaces_by_health_sequence ON accounts.workspaces (health_sequence) WHERE health_sequence > 0;

-- Every health change of a sender, newest last.
CREATE TABLE accounts.health_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sender_kind text NOT NULL CHECK (sender_kind IN ('linkedin_account', 'inbox')),
    sender_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('connected', 'degraded', 'disconnected', 'restricted')),
    detail text NOT NULL DEFAULT '' CHECK (length(detail) <= 1000),
    source text NOT NULL
        CHECK (source IN ('unipile_webhook', 'grace_expired', 'send_failure', 'operator', 'reconnect')),
    -- Who or what: a member id for an operator, the send attempt for a send failure, else ''.
    actor text NOT NULL DEFAULT '' CHECK (length(actor) <= 200),
    restriction_kind text CHECK (restriction_kind IN ('warning', 'jail', 'partial')),
    -- The sender's version after the change.
    version bigint NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX health_history_by_sender ON accounts.health_history (sender_id, id);

-- Billing webhooks already seen (a replay with the same event id changes nothing).
CREATE TABLE accounts.billing_events (
    event_id text PRIMARY KEY CHECK (length(event_id) BETWEEN 1 AND 255),
    workspace_id uuid,
    type text NOT NULL CHECK (type IN ('subscription.canceled', 'subscription.activated')),
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    -- False when the workspace is unknown or a newer event was already applied.
    applied boolean NOT NULL
);

-- Account failures reported by the scheduler, by send attempt: a repeated report changes nothing.
CREATE TABLE accounts.account_failure_reports (
    attempt_id text PRIMARY KEY CHECK (length(attempt_id) BETWEEN 1 AND 200),
    sender_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('disconnected', 'restricted')),
    changed boolean NOT NULL,
    received_at timestamptz NOT NULL
);
