-- DESIGN T4 (issue 13): a LinkedIn account that is not OK is re-read from Unipile periodically, so a lost
-- webhook costs minutes, never forever. When each account is next due (jittered; claimed SKIP LOCKED and moved
-- on before Unipile is asked, so replicas never read the same account twice in a round).
ALTER TABLE accounts.linkedin_accounts ADD COLUMN next_recheck_at timestamptz NOT NULL DEFAULT '-infinity';
CREATE INDEX linkedin_accounts_recheck ON accounts.linkedin_accounts (next_recheck_at)
    WHERE status IN ('disconnected', 'degraded');
-- 'unipile_read': a change decided on a read Holdfast made itself (the periodic re-read, or at creation).
ALTER TABLE accounts.health_history DROP CONSTRAINT health_history_source_check;
ALTER TABLE accounts.health_history ADD CONSTRAINT health_history_source_check
    CHECK (source IN ('unipile_webhook', 'grace_expired', 'send_failure', 'operator', 'reconnect', 'probe',
                      'unipile_read'));
