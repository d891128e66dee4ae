-- Listening to the prospect (DESIGN V1-V9): replies, opt-outs, out-of-office and the workspace suppression list
-- stop or park a prospect's sequence. The scheduler enforces them on the plan row itself, so a claim (which
-- locks that row and re-checks its state) cannot start a send after one was acknowledged (V8).

ALTER TABLE scheduler.prospect_plans
    -- What the prospect told us, the strongest so far. replied/opted_out/suppressed stop the sequence for good;
    -- out_of_office parks it until parked_until.
    ADD COLUMN voice text NOT NULL DEFAULT ''
        CHECK (voice IN ('', 'out_of_office', 'replied', 'suppressed', 'opted_out')),
    -- Database time of the change, taken once the row is locked (orders it against claims, as changed_at holds).
    ADD COLUMN voice_changed_at timestamptz,
    -- out_of_office: no action of the prospect is planned before this instant (the return date, in the window).
    ADD COLUMN parked_until timestamptz,
    ADD COLUMN linkedin_public_identifier text,
    -- The state a voice stopped (scheduled or waiting_acceptance), so a member who re-classifies a reply as an
    -- out-of-office can put the prospect back where it was.
    ADD COLUMN stopped_from text,
    ADD CHECK ((voice = 'out_of_office') = (parked_until IS NOT NULL));
CREATE INDEX prospect_plans_by_email ON scheduler.prospect_plans (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX prospect_plans_by_domain ON scheduler.prospect_plans (split_part(lower(email), '@', 2))
    WHERE email IS NOT NULL;
CREATE INDEX prospect_plans_by_provider_id ON scheduler.prospect_plans (linkedin_provider_id)
    WHERE linkedin_provider_id IS NOT NULL;

-- V4: a reply stops the prospect alone, or every prospect of its company in the campaign.
ALTER TABLE scheduler.campaign_plans ADD COLUMN stop_on_reply text NOT NULL DEFAULT 'prospect'
    CHECK (stop_on_reply IN ('prospect', 'company'));

-- V6: the scheduler's copy of each workspace's suppression list, kept by events from campaigns (which owns it).
CREATE TABLE scheduler.suppressions (
    workspace_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('email', 'domain', 'linkedin')),
    value text NOT NULL CHECK (length(value) BETWEEN 1 AND 320),
    PRIMARY KEY (workspace_id, kind, value)
);

-- What each prospect said, once per inbound message (V9: the event id is the provider message id or the
-- Message-ID, so a redelivery records nothing new).
CREATE TABLE scheduler.voice_events (
    event_id text PRIMARY KEY CHECK (length(event_id) BETWEEN 1 AND 1000),
    -- The id the API shows (a reply's page, its re-classification).
    id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    prospect_id uuid NOT NULL,
    campaign_id uuid NOT NULL,
    voice text NOT NULL CHECK (voice IN ('out_of_office', 'replied', 'suppressed', 'opted_out')),
    channel text NOT NULL DEFAULT '' CHECK (channel IN ('', 'linkedin', 'email')),
    source text NOT NULL DEFAULT '' CHECK (length(source) <= 100),
    snippet text NOT NULL DEFAULT '' CHECK (length(snippet) <= 300),
    until timestamptz,
    -- The prospects this event stopped or parked (more than one with stop_on_reply = company).
    affected integer NOT NULL DEFAULT 0,
    received_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX voice_events_by_prospect ON scheduler.voice_events (prospect_id, received_at);

-- V2: each LinkedIn sender's recent chats are read now and then (jittered), to catch a reply whose
-- message_received webhook was lost; only messages newer than chats_read_until are looked at.
ALTER TABLE scheduler.sender_states
    ADD COLUMN next_chats_poll_at timestamptz NOT NULL DEFAULT '-infinity',
    ADD COLUMN chats_read_until timestamptz NOT NULL DEFAULT '-infinity';
