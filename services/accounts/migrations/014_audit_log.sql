-- The audit log: every change a member or an integration made through the API, newest read first. The member
-- id is kept as written (no foreign key): an entry outlives its member.
CREATE TABLE accounts.audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES accounts.workspaces (id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    member_id uuid NOT NULL,
    token_id uuid,
    action text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    method text NOT NULL CHECK (length(method) BETWEEN 1 AND 10),
    path text NOT NULL CHECK (length(path) BETWEEN 1 AND 500),
    target jsonb NOT NULL DEFAULT '{}',
    changes jsonb NOT NULL DEFAULT '{}',
    status integer NOT NULL,
    request_id text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_workspace ON accounts.audit_log (workspace_id, id DESC);
