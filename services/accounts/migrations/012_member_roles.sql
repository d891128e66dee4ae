-- Roles of members (owner, admin, member, viewer; services/common/roles.py) and the scopes of their API tokens.
-- A token made before scopes existed is its member's with every scope (the workspace creator's: the owner's).
ALTER TABLE accounts.members DROP CONSTRAINT members_role_check;
ALTER TABLE accounts.members ADD CONSTRAINT members_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer'));
-- Exactly one owner per workspace (a transfer swaps the two rows in one transaction).
CREATE UNIQUE INDEX members_one_owner ON accounts.members (workspace_id) WHERE role = 'owner';

ALTER TABLE accounts.api_tokens
    ADD COLUMN name text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    ADD COLUMN scopes text[] NOT NULL DEFAULT '{read,write,admin}'
        CHECK (cardinality(scopes) >= 1 AND scopes <@ '{read,write,admin}'::text[]),
    -- The token's last four characters, so a list can tell tokens apart without showing them.
    ADD COLUMN hint text NOT NULL DEFAULT '' CHECK (length(hint) <= 4);
CREATE INDEX api_tokens_by_workspace ON accounts.api_tokens (workspace_id, created_at, id);
