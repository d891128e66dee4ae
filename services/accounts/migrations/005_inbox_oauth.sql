-- Inboxes connected by Google / Microsoft OAuth (DESIGN A4): the refresh token, encrypted like the passwords
-- (services/common/crypto.py, context "inbox:<id>:oauth"), and the pending authorization requests.

ALTER TABLE accounts.inboxes
    ADD COLUMN oauth_refresh_token bytea,
    ADD CONSTRAINT inboxes_oauth_refresh_token_encrypted
        CHECK (oauth_refresh_token IS NULL OR (get_byte(oauth_refresh_token, 0) = 1
                                               AND length(oauth_refresh_token) >= 31)),
    -- An OAuth inbox has its refresh token; a password inbox has none.
    ADD CONSTRAINT inboxes_oauth_auth_complete CHECK ((auth_kind = 'password') = (oauth_refresh_token IS NULL));
CREATE INDEX inboxes_oauth_probe_due ON accounts.inboxes (next_probe_at NULLS FIRST) WHERE auth_kind <> 'password';

-- One authorization request in flight: found by the SHA-256 of its `state` (the state itself only travels in
-- the user's browser), single use, gone after `expires_at`. The PKCE code verifier is encrypted (context
-- "oauth-state:<hex of state_hash>").
CREATE TABLE accounts.oauth_states (
    state_hash bytea PRIMARY KEY CHECK (length(state_hash) = 32),
    inbox_id uuid NOT NULL REFERENCES accounts.inboxes (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL,
    provider text NOT NULL CHECK (provider IN ('google', 'microsoft')),
    redirect_uri text NOT NULL CHECK (length(redirect_uri) BETWEEN 1 AND 2000),
    code_verifier bytea NOT NULL CHECK (get_byte(code_verifier, 0) = 1 AND length(code_verifier) >= 31),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX oauth_states_by_expiry ON accounts.oauth_states (expires_at);
