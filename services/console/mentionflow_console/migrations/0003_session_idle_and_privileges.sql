-- Idle timeout: a session unused for the configured idle time is refused (expires_at stays the
-- absolute limit). Privileges: the role and brands the user had at login; a session whose user
-- has since gained or lost any is refused, so a privilege change always starts a new session.
-- Sessions from before this migration have '' and end once (their users log in again).
ALTER TABLE console_sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE console_sessions ADD COLUMN privileges text NOT NULL DEFAULT '';
