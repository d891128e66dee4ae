-- An inbox whose mail server refused the inbox itself (its sender address, relaying: DESIGN T3, T5) is
-- disconnected with that reason. Its logins still work, so a login probe must not connect it again: only new
-- credentials (a reconnect, T8) clear this.
ALTER TABLE accounts.inboxes ADD COLUMN sender_refused boolean NOT NULL DEFAULT false;
