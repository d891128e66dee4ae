-- Senders: LinkedIn accounts (through Unipile) and email inboxes, their sending limits (DESIGN S5-S7), and
-- the outbox that carries their state to the scheduler. Passwords are stored only as ciphertext
-- (services/common/crypto.py: version byte 1 | key id | nonce | ciphertext+tag), never in clear.

CREATE TABLE accounts.linkedin_accounts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES accounts.workspaces (id) ON DELETE CASCADE,
    -- One Unipile account belongs to one workspace.
    unipile_account_id text NOT NULL CHECK (length(unipile_account_id) BETWEEN 1 AND 200),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    timezone text NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 64),
    status text NOT NULL DEFAULT 'connected'
        CHECK (status IN ('connected', 'degraded', 'disconnected', 'restricted')),
    status_since timestamptz NOT NULL,
    status_detail text NOT NULL DEFAULT '',
    restriction_kind text CHECK (restriction_kind IN ('warning', 'jail', 'partial')),
    restriction_verified boolean NOT NULL DEFAULT false,
    -- Bumped on every change the scheduler must learn; it ignores a state that is not newer.
    version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at timestamptz NOT NULL,
    CONSTRAINT linkedin_accounts_unipile_account_id_key UNIQUE (unipile_account_id)
);
CREATE INDEX linkedin_accounts_by_workspace ON accounts.linkedin_accounts (workspace_id, created_at, id);

CREATE TABLE accounts.inboxes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES accounts.workspaces (id) ON DELETE CASCADE,
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email)),
    display_name text NOT NULL DEFAULT '' CHECK (length(display_name) <= 100),
    timezone text NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 64),
    auth_kind text NOT NULL CHECK (auth_kind IN ('password', 'google_oauth', 'microsoft_oauth')),
    smtp_host text,
    smtp_port integer CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_security text CHECK (smtp_security IN ('ssl', 'starttls', 'none')),
    smtp_username text,
    smtp_password bytea,
    imap_host text,
    imap_port integer CHECK (imap_port BETWEEN 1 AND 65535),
    imap_security text CHECK (imap_security IN ('ssl', 'starttls', 'none')),
    imap_username text,
    imap_password bytea,
    status text NOT NULL DEFAULT 'connected'
        CHECK (status IN ('connected', 'degraded', 'disconnected', 'restricted')),
    status_since timestamptz NOT NULL,
    status_detail text NOT NULL DEFAULT '',
    version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at timestamptz NOT NULL,
    CONSTRAINT inboxes_workspace_id_email_key UNIQUE (workspace_id, email),
    -- Only ciphertext of the known format can be stored: a password written in clear is refused.
    CONSTRAINT inboxes_smtp_password_encrypted
        CHECK (smtp_password IS NULL OR (get_byte(smtp_password, 0) = 1 AND length(smtp_password) >= 31)),
    CONSTRAINT inboxes_imap_password_encrypted
        CHECK (imap_password IS NULL OR (get_byte(imap_password, 0) = 1 AND length(imap_password) >= 31)),
    -- A password inbox has both servers, complete.
    CONSTRAINT inboxes_password_auth_complete CHECK (auth_kind <> 'password' OR (
        smtp_host IS NOT NULL AND smtp_port IS NOT NULL AND smtp_security IS NOT NULL
        AND smtp_username IS NOT NULL AND smtp_password IS NOT NULL
        AND imap_host IS NOT NULL AND imap_port IS NOT NULL AND imap_security IS NOT NULL
        AND imap_username IS NOT NULL AND imap_password IS NOT NULL))
);
CREATE INDEX inboxes_by_workspace ON accounts.inboxes (workspace_id, created_at, id);

-- Caps, ramp and pacing of one sender for one action type.
CREATE TABLE accounts.sending_limits (
    sender_kind text NOT NULL CHECK (sender_kind IN ('linkedin_account', 'inbox')),
    sender_id uuid NOT NULL,
    action_type text NOT NULL
        CHECK (action_type IN ('linkedin_invite', 'linkedin_message', 'linkedin_inmail', 'email')),
    daily_cap integer NOT NULL CHECK (daily_cap > 0),
    weekly_cap integer NOT NULL CHECK (weekly_cap > 0),
    ramp_start integer NOT NULL,
    ramp_step integer NOT NULL CHECK (ramp_step >= 0),
    pacing_min_seconds integer NOT NULL CHECK (pacing_min_seconds >= 0),
    pacing_max_seconds integer NOT NULL,
    PRIMARY KEY (sender_kind, sender_id, action_type),
    CONSTRAINT sending_limits_weekly_covers_daily CHECK (weekly_cap >= daily_cap),
    CONSTRAINT sending_limits_ramp_within_cap CHECK (ramp_start BETWEEN 1 AND daily_cap),
    CONSTRAINT sending_limits_pacing_ordered CHECK (pacing_max_seconds >= pacing_min_seconds),
    -- An inbox sends email; a LinkedIn account sends the linkedin_* actions.
    CONSTRAINT sending_limits_action_fits_sender CHECK ((sender_kind = 'inbox') = (action_type = 'email'))
);

-- The transactional outbox (services.common.outbox.table_sql('accounts')): sender state for the scheduler.
CREATE TABLE accounts.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination text NOT NULL,
    ordering_key text NOT NULL,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_error text
);
CREATE INDEX outbox_by_key ON accounts.outbox (ordering_key, id);
