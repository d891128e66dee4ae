-- Sending through OAuth inboxes (issue 5): the current access token of each OAuth inbox is cached with its expiry,
-- encrypted like every other secret (services/common/crypto.py, context "inbox:<id>:oauth_access"), so a send does
-- not call the provider's token endpoint each time. It belongs to the refresh token beside it: storing a new refresh
-- token (a reconnect) or switching the inbox to passwords drops it.

ALTER TABLE accounts.inboxes
    ADD COLUMN oauth_access_token bytea,
    ADD COLUMN oauth_access_expires_at timestamptz,
    ADD CONSTRAINT inboxes_oauth_access_token_encrypted
        CHECK (oauth_access_token IS NULL OR (get_byte(oauth_access_token, 0) = 1
                                              AND length(oauth_access_token) >= 31)),
    ADD CONSTRAINT inboxes_oauth_access_token_expires
        CHECK ((oauth_access_token IS NULL) = (oauth_access_expires_at IS NULL)),
    -- Only an OAuth inbox (one with a refresh token) has an access token.
    ADD CONSTRAINT inboxes_oauth_access_token_of_grant
        CHECK (oauth_access_token IS NULL OR oauth_refresh_token IS NOT NULL);
