-- Issue 17: the replies each member has read, per campaign of their workspace (the home view's "replies to
-- read"), kept here rather than in one browser's storage. `replied` is the campaign's replied count the member
-- last saw; a campaign with more replies than that has replies to read. Gone with its campaign.
CREATE TABLE campaigns.replies_read (
    workspace_id uuid NOT NULL,
    member_id uuid NOT NULL,
    campaign_id uuid NOT NULL REFERENCES campaigns.campaigns (id) ON DELETE CASCADE,
    replied integer NOT NULL CHECK (replied >= 0),
    read_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, member_id, campaign_id)
);
CREATE INDEX replies_read_by_campaign ON campaigns.replies_read (campaign_id);
