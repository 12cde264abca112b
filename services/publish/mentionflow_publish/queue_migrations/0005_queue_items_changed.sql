-- The console's reads of the queue, at agency scale (a million rows):
-- live updates ask "which items changed since T" every poll: a range scan, not the whole queue;
CREATE INDEX queue_items_updated ON queue_items (updated_at);
-- the work order (priority, then the SLA that runs out first) is read in index order up to the
-- page's limit instead of sorting every row of the user's brands.
CREATE INDEX queue_items_work_order_all ON queue_items (priority, sla_due_at, id);
