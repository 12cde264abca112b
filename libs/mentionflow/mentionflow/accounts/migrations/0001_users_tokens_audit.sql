-- Users of the console. A role is agent < lead < admin; brand scopes are grants in
-- user_brands ('*' grants every brand, for admins and agency-wide leads).
CREATE TABLE users (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    username      text        NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    display_name  text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('agent', 'lead', 'admin')),
    password_hash text        NOT NULL,
    active        boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_brands (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    brand_id   text        NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, brand_id)
);

-- Only a hash of each token is stored: a leaked table does not leak usable tokens.
CREATE TABLE api_tokens (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    token_hash   text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Every action people take (console and CLI): who, what, when, on what, before/after.
CREATE TABLE audit_log (
    id          bigserial   PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    action      text        NOT NULL,
    brand_id    text,
    item_id     uuid,
    incident_id text,
    target      text,
    before      jsonb,
    after       jsonb,
    detail      text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_item ON audit_log (item_id) WHERE item_id IS NOT NULL;
CREATE INDEX audit_log_incident ON audit_log (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX audit_log_actor ON audit_log (actor, at DESC);
