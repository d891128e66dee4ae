-- One inbox poll (issue 16): one IMAP session per inbox and round reads the new messages once and hands them to every
-- reader (bounce reports, replies), under one cursor: the bounce poll's columns (006, 008). The reply poll's cursor
-- (009) goes; where both cursors read the same mailbox, the shared one starts from the lower of the two, so no
-- reply is lost (a message read twice is recorded once: the scheduler keys inbound messages by Message-ID).
UPDATE accounts.inboxes
   SET bounce_last_uid = LEAST(bounce_last_uid, reply_last_uid)
 WHERE reply_uidvalidity IS NOT NULL AND reply_uidvalidity = bounce_uidvalidity;
DROP INDEX IF EXISTS accounts.inboxes_reply_poll_due;
ALTER TABLE accounts.inboxes
    DROP COLUMN next_reply_poll_at,
    DROP COLUMN reply_uidvalidity,
    DROP COLUMN reply_last_uid,
    DROP COLUMN last_reply_poll_error;
