-- Issue 13 (DESIGN T1-T3): what the provider said of a sender's LinkedIn invitation limit. Unipile's invite
-- answer carries `usage`, the share of the limit used, when it passes 50/75/90/95 %; the dispatcher slows
-- the sender's invites accordingly.
ALTER TABLE scheduler.sender_states
    ADD COLUMN invite_usage integer CHECK (invite_usage BETWEEN 0 AND 100),
    ADD COLUMN invite_usage_at timestamptz;

-- Prospects given by LinkedIn profile URL or public identifier: the provider id an invite needs is looked up
-- (GET /users/{identifier}) in the background, paced per sender with a daily cap, before they are planned.
ALTER TABLE scheduler.prospect_plans
    ADD COLUMN IF NOT EXISTS linkedin_public_identifier text,
    DROP CONSTRAINT prospect_plans_state_check,
    ADD CONSTRAINT prospect_plans_state_check CHECK (state IN ('scheduled', 'in_flight', 'waiting_acceptance', 'done',
                                                              'stopped', 'resolving', 'not_found'));
CREATE INDEX prospect_plans_resolving ON scheduler.prospect_plans (linkedin_sender_id) WHERE state = 'resolving';
ALTER TABLE scheduler.sender_states
    -- When this sender may look up its next profile, and how many it looked up on lookup_day (UTC).
    ADD COLUMN next_lookup_at timestamptz NOT NULL DEFAULT '-infinity',
    ADD COLUMN lookup_day date,
    ADD COLUMN lookups_on_day integer NOT NULL DEFAULT 0;
