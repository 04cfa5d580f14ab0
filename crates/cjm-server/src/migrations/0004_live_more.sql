-- Live co-editing, continued.
-- `generation`: a random number given to a map's live document when it is
-- made. A browser that kept a document of the same map id (in IndexedDB)
-- from another generation throws its copy away instead of merging it: map
-- ids are reused after a deletion, and merging two unrelated documents
-- duplicates their text. 0 for documents made before this migration.
ALTER TABLE doc_state ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;

-- Who changed what in the live text since it was last saved: one row per
-- person, with how many updates they sent and the map items they touched
-- (JSON list of short sentences such as "changed step “Pay”"), cleared by a
-- save. It outlives compaction, which folds the updates (and their authors)
-- into the snapshot.
CREATE TABLE doc_contributions (
  map_id     INTEGER NOT NULL REFERENCES maps(id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  updates    INTEGER NOT NULL,
  items      TEXT    NOT NULL DEFAULT '[]',
  first_at   INTEGER NOT NULL,
  last_at    INTEGER NOT NULL,
  PRIMARY KEY (map_id, user_id)
) WITHOUT ROWID;

-- A share link whose holders may watch the map being edited, live (the
-- drawing only, without anybody's name).
ALTER TABLE share_links ADD COLUMN live INTEGER NOT NULL DEFAULT 0;
