-- Replies (issue 16, DESIGN V2): each inbox's IMAP INBOX is also read for new messages, beside the bounce poll,
-- with a cursor of its own (the last UID read under the mailbox's UIDVALIDITY): a first read only marks where
-- the mailbox ends, so a mailbox is never read whole.
ALTER TABLE accounts.inboxes
    -- NULL: as soon as possible.
    ADD COLUMN next_reply_poll_at timestamptz,
    ADD COLUMN reply_uidvalidity bigint,
    ADD COLUMN reply_last_uid bigint NOT NULL DEFAULT 0 CHECK (reply_last_uid >= 0),
    ADD COLUMN last_reply_poll_error text NOT NULL DEFAULT '' CHECK (length(last_reply_poll_error) <= 1000);
CREATE INDEX inboxes_reply_poll_due ON accounts.inboxes (next_reply_poll_at NULLS FIRST);
