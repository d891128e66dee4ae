-- The claim's ready queue (B11): one row per sender with the earliest instant it may have something to claim, so a
-- round walks the senders ready now in that order and stops at its batch, whatever the number of senders.
--
-- due_at is never later than the sender's earliest claimable action (scheduled, campaign active, not held on its
-- channel): the triggers below only lower it, whenever a plan is written as scheduled, a hold is lifted or a
-- campaign turns active. Only the claim raises it, for a sender it locked and found nothing to claim for, and only
-- if no trigger touched the row since the claim read it (`version`): an earlier due_at costs a probe, never a send.
-- send_after mirrors sender_states (next_send_after, or 'infinity' while the sender cannot send), kept by a trigger
-- on that table; the claim still checks sender_states itself.
CREATE TABLE scheduler.sender_due (
    sender_id uuid PRIMARY KEY,
    due_at timestamptz NOT NULL DEFAULT 'infinity',
    send_after timestamptz NOT NULL DEFAULT '-infinity',
    ready_at timestamptz GENERATED ALWAYS AS (greatest(due_at, send_after)) STORED,
    version bigint NOT NULL DEFAULT 0
);
CREATE INDEX sender_due_ready ON scheduler.sender_due (ready_at, send_after);

INSERT INTO scheduler.sender_due (sender_id, due_at)
SELECT sender_id, min(next_action_at) FROM scheduler.prospect_plans
 WHERE state = 'scheduled' AND sender_id IS NOT NULL GROUP BY sender_id;
INSERT INTO scheduler.sender_due AS q (sender_id, send_after)
SELECT sender_id, CASE WHEN status IN ('connected', 'degraded') THEN next_send_after ELSE 'infinity' END
  FROM scheduler.sender_states
ON CONFLICT (sender_id) DO UPDATE SET send_after = EXCLUDED.send_after;

-- Plans written as scheduled lower their senders' due_at. The row is written (and its version bumped) even when
-- due_at does not move: a claim correcting it meanwhile waits for this transaction or sees the new version.
CREATE FUNCTION scheduler.sender_due_from_plans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scheduler.sender_due AS q (sender_id, due_at)
    SELECT sender_id, min(next_action_at) FROM new_plans
     WHERE state = 'scheduled' AND sender_id IS NOT NULL
     GROUP BY sender_id ORDER BY sender_id
    ON CONFLICT (sender_id) DO UPDATE SET due_at = least(q.due_at, EXCLUDED.due_at), version = q.version + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER sender_due_plans_inserted AFTER INSERT ON scheduler.prospect_plans
    REFERENCING NEW TABLE AS new_plans FOR EACH STATEMENT EXECUTE FUNCTION scheduler.sender_due_from_plans();
CREATE TRIGGER sender_due_plans_updated AFTER UPDATE ON scheduler.prospect_plans
    REFERENCING NEW TABLE AS new_plans FOR EACH STATEMENT EXECUTE FUNCTION scheduler.sender_due_from_plans();

-- A campaign whose plans may have become claimable (a hold lifted or first written, the campaign turned active)
-- lowers the due_at of the senders of its scheduled plans.
CREATE FUNCTION scheduler.sender_due_from_campaigns(campaign_ids uuid[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO scheduler.sender_due AS q (sender_id, due_at)
    SELECT p.sender_id, min(p.next_action_at) FROM scheduler.prospect_plans p
     WHERE p.campaign_id = ANY(campaign_ids) AND p.state = 'scheduled' AND p.sender_id IS NOT NULL
     GROUP BY p.sender_id ORDER BY p.sender_id
    ON CONFLICT (sender_id) DO UPDATE SET due_at = least(q.due_at, EXCLUDED.due_at), version = q.version + 1;
$$;

CREATE FUNCTION scheduler.sender_due_holds_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM scheduler.sender_due_from_campaigns(ARRAY(SELECT campaign_id FROM new_holds));
    RETURN NULL;
END $$;
CREATE FUNCTION scheduler.sender_due_holds_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM scheduler.sender_due_from_campaigns(ARRAY(
        SELECT n.campaign_id FROM new_holds n JOIN old_holds o ON o.campaign_id = n.campaign_id
         WHERE NOT (o.held_scopes <@ n.held_scopes)));
    RETURN NULL;
END $$;
CREATE TRIGGER sender_due_holds_inserted AFTER INSERT ON scheduler.campaign_holds
    REFERENCING NEW TABLE AS new_holds FOR EACH STATEMENT EXECUTE FUNCTION scheduler.sender_due_holds_inserted();
CREATE TRIGGER sender_due_holds_updated AFTER UPDATE ON scheduler.campaign_holds
    REFERENCING OLD TABLE AS old_holds NEW TABLE AS new_holds
    FOR EACH STATEMENT EXECUTE FUNCTION scheduler.sender_due_holds_updated();

CREATE FUNCTION scheduler.sender_due_campaigns_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM scheduler.sender_due_from_campaigns(ARRAY(SELECT campaign_id FROM new_campaigns WHERE active));
    RETURN NULL;
END $$;
CREATE FUNCTION scheduler.sender_due_campaigns_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM scheduler.sender_due_from_campaigns(ARRAY(
        SELECT n.campaign_id FROM new_campaigns n JOIN old_campaigns o ON o.campaign_id = n.campaign_id
         WHERE n.active AND NOT o.active));
    RETURN NULL;
END $$;
CREATE TRIGGER sender_due_campaigns_inserted AFTER INSERT ON scheduler.campaign_plans
    REFERENCING NEW TABLE AS new_campaigns FOR EACH STATEMENT
    EXECUTE FUNCTION scheduler.sender_due_campaigns_inserted();
CREATE TRIGGER sender_due_campaigns_updated AFTER UPDATE ON scheduler.campaign_plans
    REFERENCING OLD TABLE AS old_campaigns NEW TABLE AS new_campaigns FOR EACH STATEMENT
    EXECUTE FUNCTION scheduler.sender_due_campaigns_updated();

-- The sender's own readiness: its pacing, or never while it cannot send. A sender that becomes ready sooner (or
-- new) waits for the row; one that becomes ready later (the dispatcher's pacing, in the claim's transaction) skips
-- a row another transaction holds: a send_after left early costs a look, and the claim never waits for a lock
-- after taking its senders.
CREATE FUNCTION scheduler.sender_due_from_sender() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ready timestamptz := CASE WHEN NEW.status IN ('connected', 'degraded') THEN NEW.next_send_after
                              ELSE 'infinity' END;
    was timestamptz := 'infinity';
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status IN ('connected', 'degraded') THEN
        was := OLD.next_send_after;
    END IF;
    IF TG_OP = 'INSERT' OR ready < was THEN
        INSERT INTO scheduler.sender_due AS q (sender_id, send_after) VALUES (NEW.sender_id, ready)
        ON CONFLICT (sender_id) DO UPDATE SET send_after = EXCLUDED.send_after
         WHERE q.send_after IS DISTINCT FROM EXCLUDED.send_after;
    ELSE
        UPDATE scheduler.sender_due q SET send_after = ready
         WHERE q.sender_id = (SELECT l.sender_id FROM scheduler.sender_due l WHERE l.sender_id = NEW.sender_id
                                 FOR UPDATE SKIP LOCKED)
           AND q.send_after IS DISTINCT FROM ready;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sender_due_sender_inserted AFTER INSERT ON scheduler.sender_states
    FOR EACH ROW EXECUTE FUNCTION scheduler.sender_due_from_sender();
CREATE TRIGGER sender_due_sender_updated AFTER UPDATE OF status, next_send_after ON scheduler.sender_states
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.next_send_after IS DISTINCT FROM NEW.next_send_after)
    EXECUTE FUNCTION scheduler.sender_due_from_sender();
