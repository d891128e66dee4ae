-- Bounce detection (issue 5): each password inbox's IMAP INBOX is read periodically for delivery-status
-- notifications (RFC 3464). Claimed like the login probe: the next poll is moved ahead in the claiming
-- statement, so replicas never poll the same inbox at once. The cursor is the last UID read under the
-- mailbox's UIDVALIDITY (a new UIDVALIDITY means the old UIDs are meaningless: read the mailbox again).

ALTER TABLE accounts.inboxes
    -- NULL: as soon as possible.
    ADD COLUMN next_bounce_poll_at timestamptz,
    ADD COLUMN bounce_uidvalidity bigint,
    ADD COLUMN bounce_last_uid bigint NOT NULL DEFAULT 0 CHECK (bounce_last_uid >= 0),
    -- What the last failed poll saw (never a password); '' after a success.
    ADD COLUMN last_bounce_poll_error text NOT NULL DEFAULT '' CHECK (length(last_bounce_poll_error) <= 1000);
CREATE INDEX inboxes_bounce_poll_due ON accounts.inboxes (next_bounce_poll_at NULLS FIRST)
    WHERE auth_kind = 'password';
