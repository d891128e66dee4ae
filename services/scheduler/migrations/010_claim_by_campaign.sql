-- The claim finds senders through the due actions of active campaigns (B11): per campaign, only what is due now
-- is read (the sender and channel ride in the index), so senders with nothing due cost nothing, nor does the
-- overdue backlog of a held campaign.
CREATE INDEX prospect_plans_due_by_campaign ON scheduler.prospect_plans (campaign_id, next_action_at)
    INCLUDE (sender_id, channel) WHERE state = 'scheduled';
