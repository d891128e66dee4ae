-- A send failed with an account-level error: the sender waits (next_send_after) and this says why. The
-- status itself stays what accounts says, so a re-read that finds the account fine lets sending resume.
ALTER TABLE scheduler.sender_states ADD COLUMN provider_block text NOT NULL DEFAULT '';
