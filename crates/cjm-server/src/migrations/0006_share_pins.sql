-- Share links that fit a review: which version a link shows (`current`:
-- the version marked current, else the latest; `latest`: the latest
-- version; or a version number), the nonce its token is made from (with
-- the server's key, outside the database, so the link can be shown again
-- while the database still holds only its hash), and the origins that may
-- frame its embeddable view. Links made before keep showing the latest.
ALTER TABLE share_links ADD COLUMN pin TEXT NOT NULL DEFAULT 'latest';
ALTER TABLE share_links ADD COLUMN nonce TEXT;
ALTER TABLE share_links ADD COLUMN embed_origins TEXT NOT NULL DEFAULT '';
