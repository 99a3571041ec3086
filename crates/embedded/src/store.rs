//! Opening the store: the file, its lock, the connections and the schema.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fibstack_core::IndexPolicy;
use fibstack_core::clock::Clock;
use fibstack_core::store::{EventSink, QueuePolicy};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::Notify;

use crate::errors::classify;
use crate::intake::SubmissionGroups;
use crate::writer::GroupWriter;

/// How the store behaves: the same knobs as the Redis queue and cache.
#[derive(Debug, Clone)]
pub struct EmbeddedSettings {
    /// The SQLite file; its directory is created when missing.
    pub path: PathBuf,
    /// Which stored indexes are still valid (a lowered `FIB_MAX_INDEX` fails old jobs).
    pub policy: IndexPolicy,
    /// The queue's limit, reclaiming, failures and the cache's budget, as every backend has them.
    pub queue: QueuePolicy,
    /// Longest wait of a worker for a new job before it looks for stale ones.
    pub block: Duration,
    /// Where claims, failures and values get their times ([`SystemClock`] but in tests).
    ///
    /// [`SystemClock`]: fibstack_core::clock::SystemClock
    pub clock: Arc<dyn Clock>,
}

/// The embedded store. Cheap to clone: every clone shares the connections and signals.
#[derive(Debug, Clone)]
pub struct EmbeddedStore {
    pub(crate) shared: Arc<Shared>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) settings: EmbeddedSettings,
    /// Every write after opening, committed in batches on the thread that owns the only
    /// connection that writes: transactions never wait on each other's locks.
    pub(crate) writes: GroupWriter,
    /// Submissions, grouped into one write each.
    pub(crate) intake: SubmissionGroups,
    pub(crate) readers: SqlitePool,
    /// Wakes waiting workers when a job is queued.
    pub(crate) job_added: Notify,
    pub(crate) events: Arc<dyn EventSink>,
    /// Held while the store is open: a second process on the same file would not see this
    /// one's jobs and events.
    _lock: File,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The writer's page cache, in SQLite's terms (negative: KiB): 16 MiB at most.
const WRITER_CACHE_KIB: &str = "-16384";

/// Statements the writer keeps prepared: every one it runs, with room to spare.
const WRITER_STATEMENTS: usize = 32;

/// Connections that read at the same time as the writer writes (WAL mode allows it).
const READERS: u32 = 4;

impl EmbeddedStore {
    /// Opens (or creates) the file, applies the schema and returns jobs that were running when
    /// the last process stopped to the queue. Events are sent to `events`.
    pub async fn open(
        settings: EmbeddedSettings,
        events: Arc<dyn EventSink>,
    ) -> Result<EmbeddedStore, OpenError> {
        let lock = lock_file(&settings.path)?;
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(OpenError::Sqlite)?
            .filename(&settings.path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Each commit reaches the disk before the request is answered.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        // The schema through sqlx's migrator, on a connection closed before the writer opens.
        let migrating = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(OpenError::Sqlite)?;
        MIGRATOR.run(&migrating).await.map_err(OpenError::Migrate)?;
        sqlx::query("UPDATE jobs SET claimed_until = NULL WHERE claimed_until IS NOT NULL")
            .execute(&migrating)
            .await
            .map_err(OpenError::Sqlite)?;
        migrating.close().await;
        let writes = GroupWriter::start(open_writer(&settings.path)?).map_err(OpenError::Thread)?;
        let readers = SqlitePoolOptions::new()
            .max_connections(READERS)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(2))
            .connect_with(options.read_only(true))
            .await
            .map_err(OpenError::Sqlite)?;
        let intake = SubmissionGroups::start(
            writes.clone(),
            settings.queue.queue_limit,
            settings.clock.clone(),
        );
        Ok(EmbeddedStore {
            shared: Arc::new(Shared {
                settings,
                writes,
                intake,
                readers,
                job_added: Notify::new(),
                events,
                _lock: lock,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.shared.settings.path
    }

    /// Closes the connections, finishing the write-ahead log into the file.
    pub async fn close(&self) {
        self.shared.readers.close().await;
        self.shared.writes.close().await;
    }

    pub(crate) fn settings(&self) -> &EmbeddedSettings {
        &self.shared.settings
    }

    /// Now, in the milliseconds the tables keep, by the store's clock.
    pub(crate) fn now_ms(&self) -> i64 {
        to_ms(self.settings().clock.now())
    }

    pub(crate) async fn ping_pool(
        &self,
        pool: &SqlitePool,
    ) -> Result<(), fibstack_core::BackendError> {
        sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(drop)
            .map_err(classify)
    }
}

/// Why the store could not be opened; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create {0}; set FIBSTACK_DATA_DIR to a writable directory")]
    Directory(PathBuf, #[source] std::io::Error),
    #[error(
        "{0} is in use by another fibstack process; stop it, or set FIBSTACK_DATA_DIR to another directory"
    )]
    InUse(PathBuf),
    #[error("cannot open the SQLite file")]
    Sqlite(#[source] sqlx::Error),
    #[error("cannot open the SQLite file for writing")]
    Writer(#[source] rusqlite::Error),
    #[error("cannot start the thread that writes the SQLite file")]
    Thread(#[source] std::io::Error),
    #[error("cannot bring the SQLite file's schema up to date")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// The connection the writer thread owns, set up as sqlx sets up the readers.
fn open_writer(path: &Path) -> Result<rusqlite::Connection, OpenError> {
    let connection = rusqlite::Connection::open(path).map_err(OpenError::Writer)?;
    connection
        .busy_timeout(Duration::from_secs(5))
        .map_err(OpenError::Writer)?;
    // Each commit reaches the disk before the request is answered. The pages every write
    // touches (the queue, the indexes, their B-trees) stay in memory past SQLite's default
    // 2 MiB, which a long history outgrows.
    connection
        .execute_batch(&format!(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = {WRITER_CACHE_KIB};"
        ))
        .map_err(OpenError::Writer)?;
    connection.set_prepared_statement_cache_capacity(WRITER_STATEMENTS);
    Ok(connection)
}

fn lock_file(path: &Path) -> Result<File, OpenError> {
    let directory = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory)
        .map_err(|error| OpenError::Directory(directory.to_owned(), error))?;
    let lock_path = path.with_extension("lock");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|error| OpenError::Directory(lock_path.clone(), error))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(OpenError::InUse(path.to_owned())),
        Err(std::fs::TryLockError::Error(error)) => Err(OpenError::Directory(lock_path, error)),
    }
}

/// Milliseconds since the Unix epoch, as the schema stores times.
pub(crate) fn to_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    })
}

pub(crate) fn from_ms(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

pub(crate) fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
