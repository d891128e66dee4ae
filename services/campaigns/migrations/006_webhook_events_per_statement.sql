-- The webhook events of pauses (005), written once per statement instead of once per history row: a bulk pause
-- writes 2,500 history rows in one statement, and a row trigger ran a query and an insert for each (about a second
-- of a 10,000-campaign pause under load, B4). Same rows, same transaction, same payloads: every history row that
-- adds a reason is a campaign.paused, one that clears the last reason a campaign.resumed.
DROP TRIGGER pause_history_webhook_event ON campaigns.pause_history;
DROP FUNCTION campaigns.pause_history_webhook_event();

CREATE FUNCTION campaigns.pause_history_webhook_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO campaigns.outbox (destination, ordering_key, payload)
    SELECT 'accounts.RecordWebhookEvent', 'webhooks:' || h.campaign_id, convert_to(json_build_object(
               'event_id', gen_random_uuid(), 'workspace_id', c.workspace_id,
               'type', CASE WHEN h.action = 'added' THEN 'campaign.paused' ELSE 'campaign.resumed' END,
               'occurred_at_epoch', extract(epoch FROM h.at),
               'data', json_build_object(
                   'campaign_id', h.campaign_id, 'reason', h.reason, 'scope', h.scope, 'subject', h.subject,
                   'detail', h.detail, 'status', h.status_after,
                   'actor', json_build_object('kind', h.actor_kind, 'member_id', h.actor_member_id,
                                              'source', h.actor_source)))::text, 'UTF8')
      FROM new_history h
      LEFT JOIN campaigns.campaigns c ON c.id = h.campaign_id
     -- a reason cleared while another still pauses the campaign announces nothing
     WHERE h.action = 'added' OR h.status_after = 'active'
     ORDER BY h.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER pause_history_webhook_events AFTER INSERT ON campaigns.pause_history
    REFERENCING NEW TABLE AS new_history FOR EACH STATEMENT
    EXECUTE FUNCTION campaigns.pause_history_webhook_events();
