-- More outbound webhook events (docs/API.md), each written to the scheduler outbox by a trigger in the
-- transaction that records the fact, as prospect.accepted is (011_webhook_events.sql); the relay carries them to
-- accounts (RecordWebhookEvent), which signs and delivers them.
--
--   prospect.replied / prospect.out_of_office / prospect.opted_out: a voice event recorded (V3; once per inbound
--     message, V9, so a redelivered reply announces nothing new; a member's re-classification is a new event).
--   prospect.bounced: a hard bounce of one of our emails counted (T6; once per attempt).
--   campaign.completed: the last unfinished prospect of a campaign finished its sequence or was stopped.

CREATE FUNCTION scheduler.voice_webhook_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    workspace uuid;
BEGIN
    IF NEW.voice NOT IN ('replied', 'out_of_office', 'opted_out') THEN
        RETURN NULL;  -- 'suppressed' is the workspace's own list, not something the prospect said
    END IF;
    SELECT workspace_id INTO workspace FROM scheduler.campaign_plans WHERE campaign_id = NEW.campaign_id;
    INSERT INTO scheduler.outbox (destination, ordering_key, payload)
    VALUES ('accounts.RecordWebhookEvent', 'webhooks:' || NEW.prospect_id, convert_to(json_build_object(
        'event_id', gen_random_uuid(), 'workspace_id', workspace, 'type', 'prospect.' || NEW.voice,
        'occurred_at_epoch', extract(epoch FROM NEW.recorded_at),
        'data', json_build_object(
            'campaign_id', NEW.campaign_id, 'prospect_id', NEW.prospect_id, 'reply_id', NEW.id,
            'channel', NEW.channel, 'source', NEW.source, 'snippet', NEW.snippet,
            'received_at', NEW.received_at, 'until', NEW.until,
            'stopped_prospects', NEW.affected))::text, 'UTF8'));
    RETURN NULL;
END
$$;

CREATE TRIGGER voice_webhook_event AFTER INSERT ON scheduler.voice_events
    FOR EACH ROW EXECUTE FUNCTION scheduler.voice_webhook_event();

CREATE FUNCTION scheduler.bounce_webhook_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    attempt record;
    workspace uuid;
BEGIN
    SELECT campaign_id, prospect_id, step_index INTO attempt FROM scheduler.send_attempts WHERE id = NEW.attempt_id;
    SELECT workspace_id INTO workspace FROM scheduler.campaign_plans WHERE campaign_id = attempt.campaign_id;
    INSERT INTO scheduler.outbox (destination, ordering_key, payload)
    VALUES ('accounts.RecordWebhookEvent', 'webhooks:' || attempt.prospect_id, convert_to(json_build_object(
        'event_id', gen_random_uuid(), 'workspace_id', workspace, 'type', 'prospect.bounced',
        'occurred_at_epoch', extract(epoch FROM NEW.recorded_at),
        'data', json_build_object(
            'campaign_id', attempt.campaign_id, 'prospect_id', attempt.prospect_id,
            'step_index', attempt.step_index, 'inbox_id', NEW.sender_id, 'recipient', NEW.recipient,
            'status', NEW.status, 'diagnostic', NEW.diagnostic, 'received_at', NEW.received_at))::text, 'UTF8'));
    RETURN NULL;
END
$$;

CREATE TRIGGER bounce_webhook_event AFTER INSERT ON scheduler.bounces
    FOR EACH ROW EXECUTE FUNCTION scheduler.bounce_webhook_event();

-- Campaigns announced complete; a campaign that takes new prospects (or one that is put back in its sequence)
-- leaves it, and is announced again when those finish.
CREATE TABLE scheduler.completed_campaigns (
    campaign_id uuid PRIMARY KEY REFERENCES scheduler.campaign_plans (campaign_id) ON DELETE CASCADE,
    completed_at timestamptz NOT NULL
);

-- Deferred to commit, serialized per campaign by an advisory lock: of two transactions finishing a campaign's
-- last two prospects, the second to commit sees the first's change and announces it (a check at the row's update
-- would see the other still unfinished, and nobody would). The lock is taken at commit, after every row lock of
-- the transaction, so it cannot deadlock with them. Every change of the transaction is made by then, so one look
-- per campaign and transaction is enough: the rows after the first return at once (a bulk stop of 5,000
-- prospects makes one look, not 5,000).
CREATE FUNCTION scheduler.campaign_completed_webhook_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    looked text := 'holdfast.campaign_completed_' || replace(NEW.campaign_id::text, '-', '');
    workspace uuid;
    done_count bigint;
    stopped_count bigint;
    last_change timestamptz;
BEGIN
    IF current_setting(looked, true) = '1' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config(looked, '1', true);  -- until the transaction ends
    PERFORM pg_advisory_xact_lock(hashtextextended('campaign-completed:' || NEW.campaign_id, 0));
    -- The unfinished states by name (not NOT IN the finished ones): three seeks of the (campaign_id, state) index.
    IF EXISTS (SELECT 1 FROM scheduler.prospect_plans WHERE campaign_id = NEW.campaign_id
                 AND state IN ('scheduled', 'in_flight', 'waiting_acceptance')) THEN
        DELETE FROM scheduler.completed_campaigns WHERE campaign_id = NEW.campaign_id;  -- (re)opened
        RETURN NULL;
    END IF;
    SELECT workspace_id INTO workspace FROM scheduler.campaign_plans WHERE campaign_id = NEW.campaign_id;
    IF NOT FOUND THEN
        RETURN NULL;  -- the campaign's plan is gone: nothing to announce
    END IF;
    SELECT count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'stopped'), max(updated_at)
      INTO done_count, stopped_count, last_change
      FROM scheduler.prospect_plans WHERE campaign_id = NEW.campaign_id;
    INSERT INTO scheduler.completed_campaigns (campaign_id, completed_at) VALUES (NEW.campaign_id, last_change)
        ON CONFLICT (campaign_id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN NULL;  -- announced already, by an earlier transaction
    END IF;
    INSERT INTO scheduler.outbox (destination, ordering_key, payload)
    VALUES ('accounts.RecordWebhookEvent', 'webhooks:' || NEW.campaign_id, convert_to(json_build_object(
        'event_id', gen_random_uuid(), 'workspace_id', workspace, 'type', 'campaign.completed',
        'occurred_at_epoch', extract(epoch FROM last_change),
        'data', json_build_object(
            'campaign_id', NEW.campaign_id, 'prospects', done_count + stopped_count,
            'finished', done_count, 'stopped', stopped_count))::text, 'UTF8'));
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER campaign_completed_webhook_event AFTER UPDATE OF state ON scheduler.prospect_plans
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state
                       AND (NEW.state IN ('done', 'stopped')) <> (OLD.state IN ('done', 'stopped')))
    EXECUTE FUNCTION scheduler.campaign_completed_webhook_event();

CREATE CONSTRAINT TRIGGER campaign_reopened AFTER INSERT ON scheduler.prospect_plans
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.state NOT IN ('done', 'stopped'))
    EXECUTE FUNCTION scheduler.campaign_completed_webhook_event();
