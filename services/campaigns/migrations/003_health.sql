-- Health events from accounts and the scheduler become pause reasons (DESIGN P5-P9).

-- Receivers are idempotent: an event id is applied once, and per subject (a sender, a workspace's
-- subscription) only a newer version than the last applied changes anything.
CREATE TABLE campaigns.applied_events (
    event_id text PRIMARY KEY,
    applied_at timestamptz NOT NULL
);
CREATE TABLE campaigns.subject_versions (
    subject text PRIMARY KEY,
    version bigint NOT NULL
);

-- P9: auto-resume is damped. A system clear of the last reason within the cool-down of the previous
-- auto-resume is held back (clear_pending) and done by the sweeper once the cool-down has passed.
ALTER TABLE campaigns.campaigns ADD COLUMN last_auto_resumed_at timestamptz;
ALTER TABLE campaigns.pause_reasons ADD COLUMN clear_pending boolean NOT NULL DEFAULT false;

-- Where the reconciliation with accounts has read up to.
CREATE TABLE campaigns.sync_cursors (
    name text PRIMARY KEY,
    position bigint NOT NULL
);
