-- Sign-in for the web UI (issue 18): a member's password (argon2id, PHC string), one-time links sent by email
-- (an invitation, a sign-in link, a password reset), UI sessions, and the attempts that rate-limit sign-in.
-- Link tokens and session secrets are stored as their SHA-256 only.
ALTER TABLE accounts.members ADD COLUMN password_hash text CHECK (length(password_hash) <= 512);

CREATE TABLE accounts.auth_links (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash bytea NOT NULL UNIQUE,
    purpose text NOT NULL CHECK (purpose IN ('invitation', 'sign_in', 'password_reset')),
    workspace_id uuid NOT NULL REFERENCES accounts.workspaces (id) ON DELETE CASCADE,
    -- The member a sign-in link or a reset is for; an invitation has none until it is accepted.
    member_id uuid REFERENCES accounts.members (id) ON DELETE CASCADE,
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    -- An invitation's role (never the owner's).
    role text CHECK (role IN ('admin', 'member', 'viewer')),
    invited_by uuid REFERENCES accounts.members (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    CHECK ((purpose = 'invitation') = (role IS NOT NULL)),
    CHECK (purpose = 'invitation' OR member_id IS NOT NULL)
);
CREATE INDEX auth_links_by_workspace ON accounts.auth_links (workspace_id, created_at);

CREATE TABLE accounts.sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    secret_hash bytea NOT NULL UNIQUE,
    workspace_id uuid NOT NULL REFERENCES accounts.workspaces (id) ON DELETE CASCADE,
    member_id uuid NOT NULL REFERENCES accounts.members (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    -- How it was opened (password, link, invitation, reset), from where and with what browser: shown in the list.
    method text NOT NULL CHECK (method IN ('password', 'link', 'invitation', 'password_reset')),
    address text NOT NULL DEFAULT '' CHECK (length(address) <= 100),
    user_agent text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 300)
);
CREATE INDEX sessions_by_member ON accounts.sessions (member_id, created_at);

-- A failed sign-in, or an email requested (a sign-in link, a reset): counted per email and per address over a
-- sliding window; rows older than the window are deleted as new ones come.
CREATE TABLE accounts.sign_in_attempts (
    kind text NOT NULL CHECK (kind IN ('failure', 'email')),
    email text NOT NULL CHECK (length(email) <= 254),
    address text NOT NULL CHECK (length(address) <= 100),
    at timestamptz NOT NULL
);
CREATE INDEX sign_in_attempts_by_email ON accounts.sign_in_attempts (kind, email, at);
CREATE INDEX sign_in_attempts_by_address ON accounts.sign_in_attempts (kind, address, at);
