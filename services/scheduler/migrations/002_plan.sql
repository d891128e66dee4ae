-- The plan: each prospect's next action, and the ledger of every send attempt.

-- The campaign definition the planner needs, pushed by campaigns (newer version wins).
CREATE TABLE scheduler.campaign_plans (
    campaign_id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    version bigint NOT NULL,
    days text[] NOT NULL,
    window_start time NOT NULL,
    window_end time NOT NULL,
    timezone text NOT NULL,
    randomize boolean NOT NULL,
    active boolean NOT NULL,
    linkedin_account_ids uuid[] NOT NULL DEFAULT '{}',
    inbox_ids uuid[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL
);

CREATE TABLE scheduler.plan_steps (
    campaign_id uuid NOT NULL REFERENCES scheduler.campaign_plans (campaign_id) ON DELETE CASCADE,
    index integer NOT NULL CHECK (index >= 0),
    channel text NOT NULL CHECK (channel IN ('linkedin', 'email')),
    action_type text NOT NULL
        CHECK (action_type IN ('linkedin_invite', 'linkedin_message', 'linkedin_inmail', 'email')),
    delay_hours integer NOT NULL CHECK (delay_hours >= 0),
    text text NOT NULL DEFAULT '',
    subject text NOT NULL DEFAULT '',
    body text NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, index)
);

-- Senders: health and limits pushed by accounts; ramp and pacing state kept here.
ALTER TABLE scheduler.sender_states
    ADD COLUMN workspace_id uuid,
    ADD COLUMN unipile_account_id text NOT NULL DEFAULT '',
    ADD COLUMN email text NOT NULL DEFAULT '',
    -- S6: the number of local days on which the sender actually sent, before its last sending day.
    ADD COLUMN ramp_day integer NOT NULL DEFAULT 0,
    ADD COLUMN last_sent_local_date date,
    -- S7: no action of this sender starts before this instant.
    ADD COLUMN next_send_after timestamptz NOT NULL DEFAULT '-infinity';
CREATE UNIQUE INDEX sender_states_by_id ON scheduler.sender_states (sender_id);

CREATE TABLE scheduler.sender_limits (
    sender_id uuid NOT NULL,
    action_type text NOT NULL
        CHECK (action_type IN ('linkedin_invite', 'linkedin_message', 'linkedin_inmail', 'email')),
    daily_cap integer NOT NULL CHECK (daily_cap > 0),
    weekly_cap integer NOT NULL CHECK (weekly_cap >= daily_cap),
    ramp_start integer NOT NULL CHECK (ramp_start >= 1),
    ramp_step integer NOT NULL CHECK (ramp_step >= 0),
    pacing_min_seconds integer NOT NULL CHECK (pacing_min_seconds >= 0),
    pacing_max_seconds integer NOT NULL,
    PRIMARY KEY (sender_id, action_type),
    CHECK (pacing_max_seconds >= pacing_min_seconds)
);

CREATE TABLE scheduler.prospect_plans (
    prospect_id uuid PRIMARY KEY,
    campaign_id uuid NOT NULL REFERENCES scheduler.campaign_plans (campaign_id) ON DELETE CASCADE,
    linkedin_provider_id text,
    email text,
    first_name text NOT NULL DEFAULT '',
    last_name text NOT NULL DEFAULT '',
    company text NOT NULL DEFAULT '',
    fields jsonb NOT NULL DEFAULT '{}',
    -- Senders are sticky per prospect: the invite and the message go from the same account.
    linkedin_sender_id uuid,
    inbox_id uuid,
    step_index integer NOT NULL DEFAULT 0,
    state text NOT NULL CHECK (state IN ('scheduled', 'in_flight', 'waiting_acceptance', 'done', 'stopped')),
    -- The current step, denormalized so the claim reads one row.
    channel text CHECK (channel IN ('linkedin', 'email')),
    action_type text,
    sender_id uuid,
    -- When the current step became due (its place in line) and when it is planned to go out.
    due_at timestamptz,
    next_action_at timestamptz,
    failures integer NOT NULL DEFAULT 0,
    stop_reason text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL,
    CHECK ((state = 'scheduled') = (next_action_at IS NOT NULL))
);
-- The claim reads only what is due, per sender (B6).
CREATE INDEX prospect_plans_due ON scheduler.prospect_plans (sender_id, next_action_at) WHERE state = 'scheduled';
CREATE INDEX prospect_plans_by_campaign ON scheduler.prospect_plans (campaign_id, state);
CREATE INDEX prospect_plans_awaiting ON scheduler.prospect_plans (linkedin_sender_id, linkedin_provider_id)
    WHERE state = 'waiting_acceptance';

-- S8: every attempt is written before the provider is called. At most one live or successful attempt per
-- (prospect, step): the unique index is the idempotency key.
CREATE TABLE scheduler.send_attempts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    prospect_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    step_index integer NOT NULL,
    sender_id uuid NOT NULL,
    channel text NOT NULL,
    action_type text NOT NULL,
    status text NOT NULL CHECK (status IN ('started', 'succeeded', 'refused', 'failed', 'reconciled_sent',
                                           'abandoned')),
    outcome text NOT NULL DEFAULT '',
    provider_ref text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT '',
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    -- The sender's local day the attempt counts against (S5).
    sender_local_date date NOT NULL
);
CREATE UNIQUE INDEX send_attempts_once ON scheduler.send_attempts (prospect_id, step_index)
    WHERE status IN ('started', 'succeeded', 'reconciled_sent');
CREATE INDEX send_attempts_by_sender_day ON scheduler.send_attempts (sender_id, action_type, sender_local_date);
CREATE INDEX send_attempts_unfinished ON scheduler.send_attempts (started_at) WHERE status = 'started';
