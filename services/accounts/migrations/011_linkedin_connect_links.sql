-- Issue 13: a new LinkedIn account connects through Unipile's hosted auth (type "create"). The link's `name`
-- is an unguessable token (kept here only as its SHA-256) naming the workspace that asked; Unipile echoes it
-- in the notification to notify_url, and the account is recorded then, read from Unipile first.
CREATE TABLE accounts.linkedin_connect_links (
    token_sha256 bytea PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES accounts.workspaces (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    timezone text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    -- Set once the account is recorded: a repeated notification finds it and creates nothing.
    account_id uuid REFERENCES accounts.linkedin_accounts (id) ON DELETE SET NULL
);
