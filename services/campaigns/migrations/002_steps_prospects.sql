-- Steps, senders and prospects of a campaign, and the outbox that carries them to the scheduler.
ALTER TABLE campaigns.campaigns ADD COLUMN definition_version bigint NOT NULL DEFAULT 1;

CREATE TABLE campaigns.steps (
    campaign_id uuid NOT NULL REFERENCES campaigns.campaigns (id) ON DELETE CASCADE,
    index integer NOT NULL CHECK (index BETWEEN 0 AND 49),
    channel text NOT NULL CHECK (channel IN ('linkedin', 'email')),
    action text NOT NULL CHECK (action IN ('invite', 'message', 'inmail', 'email')),
    delay_hours integer NOT NULL CHECK (delay_hours BETWEEN 0 AND 8784),
    text text NOT NULL DEFAULT '',
    subject text NOT NULL DEFAULT '',
    body text NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, index),
    CHECK ((channel = 'email') = (action = 'email'))
);

CREATE TABLE campaigns.campaign_senders (
    campaign_id uuid NOT NULL REFERENCES campaigns.campaigns (id) ON DELETE CASCADE,
    sender_kind text NOT NULL CHECK (sender_kind IN ('linkedin_account', 'inbox')),
    sender_id uuid NOT NULL,
    PRIMARY KEY (campaign_id, sender_kind, sender_id)
);
CREATE INDEX campaign_senders_by_sender ON campaigns.campaign_senders (sender_id);

-- A prospect is one person in one campaign, whichever identifier names them: adding them again under any
-- of their identifiers changes nothing.
CREATE TABLE campaigns.prospects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Upload order: prospects are listed in the order they were given.
    seq bigint GENERATED ALWAYS AS IDENTITY,
    campaign_id uuid NOT NULL REFERENCES campaigns.campaigns (id) ON DELETE CASCADE,
    linkedin_provider_id text,
    linkedin_public_identifier text,
    email text,
    first_name text NOT NULL DEFAULT '',
    last_name text NOT NULL DEFAULT '',
    company text NOT NULL DEFAULT '',
    fields jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    CHECK (linkedin_provider_id IS NOT NULL OR linkedin_public_identifier IS NOT NULL OR email IS NOT NULL)
);
CREATE UNIQUE INDEX prospects_by_provider_id ON campaigns.prospects (campaign_id, linkedin_provider_id)
    WHERE linkedin_provider_id IS NOT NULL;
CREATE UNIQUE INDEX prospects_by_public_identifier ON campaigns.prospects (campaign_id, linkedin_public_identifier)
    WHERE linkedin_public_identifier IS NOT NULL;
CREATE UNIQUE INDEX prospects_by_email ON campaigns.prospects (campaign_id, email) WHERE email IS NOT NULL;
CREATE INDEX prospects_page ON campaigns.prospects (campaign_id, seq);

CREATE TABLE campaigns.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination text NOT NULL,
    ordering_key text NOT NULL,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_error text
);
CREATE INDEX outbox_by_key ON campaigns.outbox (ordering_key, id);
