-- Outbound webhook events of pauses (docs/API.md): every pause-history row that adds a reason is a
-- campaign.paused, one that clears the last reason a campaign.resumed. A trigger writes the event to the outbox in
-- the transaction that writes the history row, whichever use case wrote it (one campaign or a bulk change), so
-- no pause is announced that did not commit and none that committed is missed. The relay carries it to accounts
-- (RecordWebhookEvent), which signs and delivers it; the event id makes a second delivery harmless.
CREATE FUNCTION campaigns.pause_history_webhook_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    event_type text;
    workspace uuid;
BEGIN
    IF NEW.action = 'added' THEN
        event_type := 'campaign.paused';
    ELSIF NEW.status_after = 'active' THEN
        event_type := 'campaign.resumed';
    ELSE
        RETURN NULL;  -- a reason cleared while another still pauses the campaign
    END IF;
    SELECT workspace_id INTO workspace FROM campaigns.campaigns WHERE id = NEW.campaign_id;
    INSERT INTO campaigns.outbox (destination, ordering_key, payload)
    VALUES ('accounts.RecordWebhookEvent', 'webhooks:' || NEW.campaign_id, convert_to(json_build_object(
        'event_id', gen_random_uuid(), 'workspace_id', workspace, 'type', event_type,
        'occurred_at_epoch', extract(epoch FROM NEW.at),
        'data', json_build_object(
            'campaign_id', NEW.campaign_id, 'reason', NEW.reason, 'scope', NEW.scope, 'subject', NEW.subject,
            'detail', NEW.detail, 'status', NEW.status_after,
            'actor', json_build_object('kind', NEW.actor_kind, 'member_id', NEW.actor_member_id,
                                       'source', NEW.actor_source)))::text, 'UTF8'));
    RETURN NULL;
END
$$;

CREATE TRIGGER pause_history_webhook_event AFTER INSERT ON campaigns.pause_history
    FOR EACH ROW EXECUTE FUNCTION campaigns.pause_history_webhook_event();
