-- "Replies need approval": such a user's replies become drafts a lead approves (or rejects)
-- before anything reaches X (the console's approvals). Numbered like the console's migration of
-- the same feature (0006), so it cannot collide with other accounts migrations being written.
ALTER TABLE users ADD COLUMN replies_need_approval boolean NOT NULL DEFAULT false;
