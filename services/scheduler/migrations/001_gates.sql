-- The scheduler's local copy of the gates it enforces, kept by events from campaigns and accounts so
-- the claim of a due action can check them in the same transaction (DESIGN §1).
CREATE TABLE scheduler.campaign_holds (
    campaign_id uuid PRIMARY KEY,
    -- The campaign's pause_version this row reflects; older pushes are ignored.
    version bigint NOT NULL,
    held_scopes text[] NOT NULL DEFAULT '{}'
        CHECK (held_scopes <@ ARRAY['campaign', 'linkedin', 'email']),
    updated_at timestamptz NOT NULL
);

CREATE TABLE scheduler.sender_states (
    sender_kind text NOT NULL CHECK (sender_kind IN ('linkedin_account', 'inbox')),
    sender_id uuid NOT NULL,
    version bigint NOT NULL,
    status text NOT NULL CHECK (status IN ('connected', 'degraded', 'disconnected', 'restricted')),
    timezone text NOT NULL DEFAULT 'UTC',
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (sender_kind, sender_id)
);
