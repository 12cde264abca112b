-- Auto-assignment (a queue's `assignment` in the brand config). Whether a person takes items:
-- 'available' or 'away' as they (or a lead) set it; no row means "auto": on shift during their
-- team's business hours.
CREATE TABLE agent_availability (
    username   text        PRIMARY KEY REFERENCES users (username) ON DELETE CASCADE,
    mode       text        NOT NULL CHECK (mode IN ('available', 'away')),
    updated_by text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Round-robin's turn per queue: who got the queue's last item.
CREATE TABLE assignment_cursors (
    queue_id      text        PRIMARY KEY,
    last_assignee text        NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- An item assigned and not yet claimed is a work row with an assignee and no status of its
-- own; the assigner finds the open ones of an agent by it.
CREATE INDEX queue_work_assignee ON queue_work (assignee) WHERE assignee IS NOT NULL;
