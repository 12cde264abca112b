-- The console's live updates ask "which items changed since T" every poll: a range scan on
-- this index instead of reading the whole queue.
CREATE INDEX queue_items_updated ON queue_items (updated_at);
