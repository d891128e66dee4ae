-- Issue 17: an archived campaign is read-only and out of the default list (NULL: not archived).
ALTER TABLE campaigns.campaigns ADD COLUMN archived_at timestamptz;
CREATE INDEX campaigns_listing ON campaigns.campaigns (workspace_id, (archived_at IS NOT NULL), created_at, id);
