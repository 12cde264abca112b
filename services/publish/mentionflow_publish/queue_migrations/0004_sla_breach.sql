-- When an open item passed its SLA due time, marked once by publish's sampler so that a
-- breach is counted exactly once whatever the number of replicas.
ALTER TABLE queue_items ADD COLUMN sla_breached_at timestamptz;
CREATE INDEX queue_items_sla_watch ON queue_items (sla_due_at)
    WHERE sla_breached_at IS NULL AND status IN ('new', 'claimed', 'escalated');
