-- Live co-editing: each map's live document (Yjs, kept by yrs) as a
-- snapshot and the updates stored after it. An update is stored before any
-- client sees it, so what anybody saw survives a crash. `saved_version` is
-- the version the live text last equalled (when seeded or saved).
CREATE TABLE doc_state (
  map_id        INTEGER PRIMARY KEY REFERENCES maps(id) ON DELETE CASCADE,
  snapshot      BLOB    NOT NULL,
  snapshot_seq  INTEGER NOT NULL,
  saved_version INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE TABLE doc_updates (
  map_id     INTEGER NOT NULL REFERENCES maps(id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  data       BLOB    NOT NULL,
  user_id    INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (map_id, seq)
) WITHOUT ROWID;
