-- Campaigns and their pause state. DESIGN P1 (reason values) and P3 (a paused campaign always has a
-- reason, and only a paused one has one) are enforced here, whatever code writes.
CREATE TABLE campaigns.campaigns (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind text NOT NULL DEFAULT 'outreach' CHECK (kind IN ('outreach', 'warmup')),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'finished')),
    paused_reason text CHECK (paused_reason IN (
        'manual', 'linkedin_account_disconnected', 'linkedin_high_failure_rate', 'account_restricted',
        'subscription_canceled', 'email_account_disconnected', 'email_high_bounce_rate')),
    schedule_days text[] NOT NULL
        CHECK (cardinality(schedule_days) > 0
               AND schedule_days <@ ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']),
    window_start time NOT NULL,
    window_end time NOT NULL,
    timezone text NOT NULL,
    randomize_within_window boolean NOT NULL DEFAULT false,
    -- Bumped by every change of the pause state; orders the holds pushed to the scheduler.
    pause_version bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT window_in_one_day CHECK (window_end > window_start),
    CONSTRAINT paused_iff_reason CHECK ((status = 'paused') = (paused_reason IS NOT NULL))
);
CREATE INDEX campaigns_by_workspace ON campaigns.campaigns (workspace_id, created_at, id);

-- Every active reason of a campaign (DESIGN P2: several at once). `subject` tells apart the same
-- reason from two sources (two disconnected accounts); the campaign stays paused until all are cleared.
CREATE TABLE campaigns.pause_reasons (
    campaign_id uuid NOT NULL REFERENCES campaigns.campaigns (id) ON DELETE CASCADE,
    reason text NOT NULL CHECK (reason IN (
        'manual', 'linkedin_account_disconnected', 'linkedin_high_failure_rate', 'account_restricted',
        'subscription_canceled', 'email_account_disconnected', 'email_high_bounce_rate')),
    subject text NOT NULL DEFAULT '',
    scope text NOT NULL CHECK (scope IN ('campaign', 'linkedin', 'email')),
    since timestamptz NOT NULL,
    detail text NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, reason, subject)
);

-- Every add and clear, with its actor (DESIGN P4).
CREATE TABLE campaigns.pause_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id uuid NOT NULL REFERENCES campaigns.campaigns (id) ON DELETE CASCADE,
    action text NOT NULL CHECK (action IN ('added', 'cleared')),
    reason text NOT NULL,
    subject text NOT NULL DEFAULT '',
    scope text NOT NULL,
    actor_kind text NOT NULL CHECK (actor_kind IN ('member', 'system')),
    actor_member_id uuid,
    actor_source text NOT NULL DEFAULT '',
    actor_event_id text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT '',
    status_after text NOT NULL,
    at timestamptz NOT NULL,
    CHECK ((actor_kind = 'member') = (actor_member_id IS NOT NULL))
);
CREATE INDEX pause_history_by_campaign ON campaigns.pause_history (campaign_id, id);
