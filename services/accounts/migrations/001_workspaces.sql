-- Workspaces (teams), their members and the API tokens members use. Only a SHA-256 of a token is kept.
CREATE TABLE accounts.workspaces (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    subscription_status text NOT NULL DEFAULT 'active'
        CHECK (subscription_status IN ('active', 'canceled')),
    created_at timestamptz NOT NULL
);

CREATE TABLE accounts.members (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES accounts.workspaces (id) ON DELETE CASCADE,
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role text NOT NULL CHECK (role IN ('owner', 'member')),
    created_at timestamptz NOT NULL,
    UNIQUE (workspace_id, email)
);

CREATE TABLE accounts.api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    member_id uuid NOT NULL REFERENCES accounts.members (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES accounts.workspaces (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
