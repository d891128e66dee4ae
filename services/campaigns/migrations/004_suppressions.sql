-- DESIGN V6: each workspace's suppression list (email addresses, whole domains, LinkedIn profiles), with where
-- each entry came from and when. The scheduler keeps a copy (outbox events) and enforces it at every claim.
CREATE TABLE campaigns.suppressions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Listing order (newest first) and the page cursor.
    seq bigint GENERATED ALWAYS AS IDENTITY,
    workspace_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('email', 'domain', 'linkedin')),
    value text NOT NULL CHECK (length(value) BETWEEN 1 AND 320),
    source text NOT NULL CHECK (source IN ('opt_out', 'hard_bounce', 'reply', 'member', 'import')),
    -- A member's id, or the system source (an unsubscribe token's prospect, a message id).
    actor text NOT NULL DEFAULT '' CHECK (length(actor) <= 200),
    created_at timestamptz NOT NULL,
    UNIQUE (workspace_id, kind, value)
);
CREATE INDEX suppressions_page ON campaigns.suppressions (workspace_id, seq);

-- DESIGN V4: a reply stops its author ("prospect") or every prospect of its company ("company").
ALTER TABLE campaigns.campaigns ADD COLUMN stop_on_reply text NOT NULL DEFAULT 'prospect'
    CHECK (stop_on_reply IN ('prospect', 'company'));
