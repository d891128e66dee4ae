-- The prospect.accepted webhook event (docs/API.md): a prospect leaving waiting_acceptance for its next step (or
-- the end) has accepted the invitation (S9; the only way out of that state but a stop). A trigger writes it to the
-- scheduler outbox in the transaction of that change, whichever path saw the acceptance (webhook or relations
-- poll); the relay carries it to accounts (RecordWebhookEvent), which signs and delivers it.
CREATE FUNCTION scheduler.prospect_accepted_webhook_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    workspace uuid;
BEGIN
    SELECT workspace_id INTO workspace FROM scheduler.campaign_plans WHERE campaign_id = NEW.campaign_id;
    INSERT INTO scheduler.outbox (destination, ordering_key, payload)
    VALUES ('accounts.RecordWebhookEvent', 'webhooks:' || NEW.prospect_id, convert_to(json_build_object(
        'event_id', gen_random_uuid(), 'workspace_id', workspace, 'type', 'prospect.accepted',
        'occurred_at_epoch', extract(epoch FROM NEW.updated_at),
        'data', json_build_object(
            'campaign_id', NEW.campaign_id, 'prospect_id', NEW.prospect_id,
            'linkedin_provider_id', NEW.linkedin_provider_id, 'sender_id', NEW.linkedin_sender_id))::text, 'UTF8'));
    RETURN NULL;
END
$$;

CREATE TRIGGER prospect_accepted_webhook_event AFTER UPDATE OF state ON scheduler.prospect_plans
    FOR EACH ROW WHEN (OLD.state = 'waiting_acceptance' AND NEW.state IN ('scheduled', 'done'))
    EXECUTE FUNCTION scheduler.prospect_accepted_webhook_event();
