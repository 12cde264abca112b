-- Browser sessions. The cookie carries a random secret; only its hash is stored. The CSRF
-- token is the synchronizer token every form post and cookie-authenticated API write echoes.
CREATE TABLE console_sessions (
    session_hash text        PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    ip           text
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- Every login attempt, for rate limiting per username + client address (shared by replicas).
CREATE TABLE login_attempts (
    id        bigserial   PRIMARY KEY,
    username  text        NOT NULL,
    ip        text        NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    succeeded boolean     NOT NULL
);
CREATE INDEX login_attempts_lookup ON login_attempts (username, ip, at DESC);
