-- The workspace's persona library. A persona is edited in one place and
-- every map that takes it (`use personas.cjm`) draws the new version; each
-- map version records the persona versions it drew, with their text, so an
-- old version draws as it did.
CREATE TABLE portraits (
  id           INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  -- Re-encoded by the server (JPEG, at most 512 px a side); never the upload.
  bytes        BLOB NOT NULL,
  width        INTEGER NOT NULL,
  height       INTEGER NOT NULL,
  created_at   INTEGER NOT NULL
);

CREATE TABLE library_personas (
  id           INTEGER PRIMARY KEY,
  workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  version      INTEGER NOT NULL,
  -- The persona's fields as JSON (cjm's persona object, without id and image).
  body         TEXT NOT NULL,
  portrait_id  INTEGER REFERENCES portraits(id),
  updated_by   INTEGER NOT NULL REFERENCES users(id),
  updated_at   INTEGER NOT NULL,
  UNIQUE (workspace_id, name)
);

CREATE TABLE library_persona_versions (
  persona_id   INTEGER NOT NULL REFERENCES library_personas(id) ON DELETE CASCADE,
  version      INTEGER NOT NULL,
  name         TEXT NOT NULL,
  body         TEXT NOT NULL,
  portrait_id  INTEGER REFERENCES portraits(id),
  author_id    INTEGER NOT NULL REFERENCES users(id),
  message      TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (persona_id, version)
);

-- The library text a map version drew (only the personas it took), read
-- back when that version is drawn.
ALTER TABLE versions ADD COLUMN personas TEXT;

CREATE TABLE version_personas (
  version_id      INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  persona_id      INTEGER NOT NULL REFERENCES library_personas(id) ON DELETE CASCADE,
  persona_version INTEGER NOT NULL,
  name            TEXT NOT NULL,
  PRIMARY KEY (version_id, persona_id)
);
CREATE INDEX version_personas_persona ON version_personas(persona_id);
