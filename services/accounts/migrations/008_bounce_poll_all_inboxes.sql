-- OAuth inboxes are polled for bounce reports too (IMAP XOAUTH2): the claim's index covers every inbox.
DROP INDEX accounts.inboxes_bounce_poll_due;
CREATE INDEX inboxes_bounce_poll_due ON accounts.inboxes (next_bounce_poll_at NULLS FIRST);
