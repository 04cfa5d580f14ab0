//! The database: one SQLite file in WAL mode, versioned migrations, one
//! writer connection and a few readers.
//!
//! Durability: `synchronous = FULL`, so a transaction whose commit returned
//! is in the WAL on disk before the server answers; a save the user was told
//! succeeded survives `kill -9` and a power cut.
//!
//! Handlers never hold a connection across an `.await`: they call
//! [`Db::read`] or [`Db::write`], which run the closure on tokio's blocking
//! pool.

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Migrations, applied in order; `PRAGMA user_version` records how many ran.
/// Never edit one that has shipped: append a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_token_scope.sql"),
    include_str!("migrations/0003_live.sql"),
    include_str!("migrations/0004_live_more.sql"),
    include_str!("migrations/0005_log_folder.sql"),
    include_str!("migrations/0006_share_pins.sql"),
    include_str!("migrations/0007_personas.sql"),
    include_str!("migrations/0008_spark_logs.sql"),
];

#[derive(Clone)]
pub(crate) struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    group: Mutex<Group>,
}

/// Writes waiting to be committed together (see [`Db::write_grouped`]).
#[derive(Default)]
struct Group {
    jobs: Vec<Job>,
    /// Whether a task is committing the queue now; it takes what comes.
    leading: bool,
}

/// A grouped write: runs in the shared transaction (inside its own
/// savepoint) and answers how to tell its caller once the commit is known.
type Job = Box<dyn FnOnce(&rusqlite::Transaction) -> Finish + Send>;
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

#[derive(Debug)]
pub struct DbError(pub String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError(e.to_string())
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

impl Db {
    /// Opens (creating if needed) `path` and brings its schema up to date.
    pub(crate) fn open(path: &Path) -> Result<Db, DbError> {
        let writer = Connection::open(path).map_err(|e| DbError(format!("{}: {e}", path.display())))?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(DbError(format!("{}: could not switch to WAL mode (got {mode})", path.display())));
        }
        configure(&writer)?;
        migrate(&writer)?;
        Ok(Db {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                group: Mutex::new(Group::default()),
            }),
        })
    }

    /// Runs `f` with a read-only connection on the blocking pool.
    pub(crate) async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<rusqlite::Error> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.read_blocking(f))
            .await
            .map_err(|e| E::from(DbError(format!("database task failed: {e}"))))?
    }

    /// [`Db::read`] for code already on the blocking pool (drawing a
    /// version reads the persona library text it drew).
    pub(crate) fn read_blocking<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError> + From<rusqlite::Error>,
    {
        let inner = &self.inner;
        let conn = match inner.readers.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            Some(c) => c,
            None => open_reader(&inner.path)?,
        };
        let out = f(&conn);
        let mut pool = inner.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < 8 {
            pool.push(conn);
        }
        out
    }

    /// Runs `f` inside one transaction on the writer connection; commits
    /// when `f` returns `Ok`, rolls back otherwise.
    pub(crate) async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<rusqlite::Error> + Send + 'static,
        F: FnOnce(&rusqlite::Transaction) -> Result<T, E> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
        .map_err(|e| E::from(DbError(format!("database task failed: {e}"))))?
    }

    /// Like [`Db::write`], but committed together with the other grouped
    /// writes waiting at the same moment: one transaction and one fsync for
    /// all of them (group commit). Each runs in a savepoint, so one that
    /// fails is rolled back alone; each caller hears back only after the
    /// commit, so what it was told is on disk. Live documents store their
    /// updates this way: fifty documents typed into at once share commits
    /// instead of queueing one fsync each.
    pub(crate) async fn write_grouped<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<rusqlite::Error> + Send + 'static,
        F: FnOnce(&rusqlite::Transaction) -> Result<T, E> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |tx| {
            let out = match tx.execute_batch("SAVEPOINT grouped") {
                Ok(()) => f(tx),
                Err(e) => Err(E::from(e)),
            };
            let undo = if out.is_ok() { "RELEASE grouped" } else { "ROLLBACK TO grouped; RELEASE grouped" };
            let out = match (out, tx.execute_batch(undo)) {
                (Ok(_), Err(e)) => Err(E::from(e)),
                (out, _) => out,
            };
            Box::new(move |committed| {
                let _ = answer.send(match (out, committed) {
                    (Ok(v), Ok(())) => Ok(v),
                    (Ok(_), Err(why)) => Err(E::from(DbError(why))),
                    (Err(e), _) => Err(e),
                });
            })
        });
        let lead = {
            let mut group = self.inner.group.lock().unwrap_or_else(|p| p.into_inner());
            group.jobs.push(job);
            !std::mem::replace(&mut group.leading, true)
        };
        if lead {
            let inner = self.inner.clone();
            tokio::task::spawn_blocking(move || commit_groups(&inner));
        }
        answered.await.map_err(|_| E::from(DbError("the database writer stopped".into())))?
    }

    /// The same as [`Db::write`], for code that is already blocking (start-up).
    pub(crate) fn write_blocking<T, E>(&self, f: impl FnOnce(&rusqlite::Transaction) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError> + From<rusqlite::Error>,
    {
        let mut conn = self.inner.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Commits the grouped writes queued, round after round, until none wait.
fn commit_groups(inner: &Inner) {
    loop {
        let jobs = {
            let mut group = inner.group.lock().unwrap_or_else(|p| p.into_inner());
            if group.jobs.is_empty() {
                group.leading = false;
                return;
            }
            std::mem::take(&mut group.jobs)
        };
        let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                // Nothing ran; dropping the jobs tells each caller the write failed.
                eprintln!("cjm serve: internal error (starting a grouped commit): {e}");
                drop(jobs);
                continue;
            }
        };
        let finishes: Vec<Finish> = jobs.into_iter().map(|job| job(&tx)).collect();
        let committed = tx.commit().map_err(|e| e.to_string());
        drop(conn);
        for finish in finishes {
            finish(committed.clone());
        }
    }
}

fn open_reader(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

fn migrate(conn: &Connection) -> Result<(), DbError> {
    let done: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if done as usize > MIGRATIONS.len() {
        return Err(DbError(format!(
            "the database was written by a newer cjm (schema version {done}, this cjm knows {}); upgrade cjm",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
        conn.execute_batch(&format!("BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;", i + 1))
            .map_err(|e| DbError(format!("migration {}: {e}", i + 1)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two hundred grouped writes at once all land (in fewer commits than
    /// writes), and one that fails is rolled back alone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_writes_commit_together_and_fail_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(&dir.path().join("t.db")).expect("open");
        db.write(|tx| tx.execute_batch("CREATE TABLE t (n INTEGER NOT NULL)").map_err(DbError::from)).await.unwrap();
        let tasks: Vec<_> = (0..200)
            .map(|n| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.write_grouped(move |tx| {
                        tx.execute("INSERT INTO t (n) VALUES (?1)", [n])?;
                        if n == 7 {
                            return Err(DbError("seven fails".into()));
                        }
                        Ok::<_, DbError>(n)
                    })
                    .await
                })
            })
            .collect();
        let mut failed = Vec::new();
        for t in tasks {
            if let Err(e) = t.await.expect("task") {
                failed.push(e.0);
            }
        }
        assert_eq!(failed, ["seven fails"]);
        let (count, seven): (i64, i64) = db
            .read(|c| {
                c.query_row("SELECT count(*), count(*) FILTER (WHERE n = 7) FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(DbError::from)
            })
            .await
            .unwrap();
        assert_eq!((count, seven), (199, 0));
    }
}
