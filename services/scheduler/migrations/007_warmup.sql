-- Warm-up campaigns (issue 5): the scheduler keeps their queue of warm-up emails topped up.
ALTER TABLE scheduler.campaign_plans ADD COLUMN warmup boolean NOT NULL DEFAULT false;
