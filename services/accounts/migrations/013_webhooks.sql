-- Outbound webhooks (services/accounts/webhook_domain.py): endpoints with an encrypted signing secret, the events
-- of a workspace, and one delivery per (endpoint, event) retried with back-off until delivered or three days old.
CREATE TABLE accounts.webhook_endpoints (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES accounts.workspaces (id) ON DELETE CASCADE,
    url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    events text[] NOT NULL CHECK (cardinality(events) >= 1),
    -- Ciphertext only (services/common/crypto.py), as the inbox passwords.
    secret bytea NOT NULL CHECK (get_byte(secret, 0) = 1 AND length(secret) >= 31),
    enabled boolean NOT NULL DEFAULT true,
    disabled_reason text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_by_workspace ON accounts.webhook_endpoints (workspace_id, created_at, id);

CREATE TABLE accounts.webhook_events (
    -- The webhook-id of every attempt ("msg_" and this id without dashes). Given by the event's source, so a
    -- source delivering it twice records it once.
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES accounts.workspaces (id) ON DELETE CASCADE,
    type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE accounts.webhook_deliveries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    endpoint_id uuid NOT NULL REFERENCES accounts.webhook_endpoints (id) ON DELETE CASCADE,
    event_id uuid NOT NULL REFERENCES accounts.webhook_events (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz,
    last_status integer,
    last_error text NOT NULL DEFAULT '',
    delivered_at timestamptz,
    created_at timestamptz NOT NULL,
    UNIQUE (endpoint_id, event_id),
    CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON accounts.webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON accounts.webhook_deliveries (endpoint_id, created_at DESC, id);
