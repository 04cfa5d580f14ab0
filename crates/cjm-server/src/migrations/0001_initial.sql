-- Times are Unix seconds (UTC). Secrets (sessions, setup, invitations,
-- share links, API tokens) are stored as SHA-256 hex of the token; the
-- token itself is shown once.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name          TEXT NOT NULL,
  handle        TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  is_admin      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER
);

CREATE TABLE workspaces (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE members (
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role         TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'commenter', 'viewer')),
  PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE invitations (
  id           INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email        TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'commenter', 'viewer')),
  token_hash   TEXT NOT NULL UNIQUE,
  created_by   INTEGER NOT NULL REFERENCES users(id),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  accepted_at  INTEGER
);

CREATE TABLE maps (
  id                INTEGER PRIMARY KEY,
  workspace_id      INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  title             TEXT NOT NULL,
  tags              TEXT NOT NULL DEFAULT '',
  created_by        INTEGER NOT NULL REFERENCES users(id),
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  head              INTEGER NOT NULL DEFAULT 0,
  current_version   INTEGER,
  future_version    INTEGER,
  evidence_id       INTEGER
);
CREATE INDEX maps_workspace ON maps(workspace_id, updated_at DESC);

CREATE TABLE versions (
  id         INTEGER PRIMARY KEY,
  map_id     INTEGER NOT NULL REFERENCES maps(id) ON DELETE CASCADE,
  number     INTEGER NOT NULL,
  source     TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  author_id  INTEGER NOT NULL REFERENCES users(id),
  message    TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (map_id, number)
);

CREATE TABLE comments (
  id          INTEGER PRIMARY KEY,
  map_id      INTEGER NOT NULL REFERENCES maps(id) ON DELETE CASCADE,
  parent_id   INTEGER REFERENCES comments(id) ON DELETE CASCADE,
  step        TEXT,
  author_id   INTEGER NOT NULL REFERENCES users(id),
  body        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  resolved_at INTEGER,
  resolved_by INTEGER REFERENCES users(id)
);
CREATE INDEX comments_map ON comments(map_id, created_at);

CREATE TABLE mentions (
  comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  seen       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (comment_id, user_id)
);

CREATE TABLE share_links (
  id         INTEGER PRIMARY KEY,
  map_id     INTEGER NOT NULL REFERENCES maps(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  label      TEXT NOT NULL DEFAULT '',
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);

CREATE TABLE evidence (
  id           INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  file_name    TEXT NOT NULL,
  stored_as    TEXT NOT NULL,
  bytes        INTEGER NOT NULL,
  mapping      TEXT NOT NULL DEFAULT '{}',
  uploaded_by  INTEGER NOT NULL REFERENCES users(id),
  created_at   INTEGER NOT NULL
);
