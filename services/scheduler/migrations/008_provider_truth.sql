-- Issue 13 (DESIGN T1-T3): what the provider said of a sender's LinkedIn invitation limit. Unipile's invite
-- answer carries `usage`, the share of the limit used, when it passes 50/75/90/95 %; the dispatcher slows
-- the sender's invites accordingly.
ALTER TABLE scheduler.sender_states
    ADD COLUMN invite_usage integer CHECK (invite_usage BETWEEN 0 AND 100),
    ADD COLUMN invite_usage_at timestamptz;
