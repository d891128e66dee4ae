-- S9: when each LinkedIn sender's relations are next read, to catch acceptances the webhook missed.
ALTER TABLE scheduler.sender_states ADD COLUMN next_relations_poll_at timestamptz NOT NULL DEFAULT '-infinity';
