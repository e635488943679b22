//! The writer's WAL checkpoints, on a thread of their own ([`Checkpointer`]), so that a
//! commit never pays for writing the WAL back into the database file.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

/// How often, at most, the background checkpointer writes the WAL back while commits go on.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// The writer's background checkpoint thread; it ends when this is dropped.
#[derive(Debug)]
pub(super) struct Checkpointer {
    nudge: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens the thread's own connection (so failure is seen here) and starts it.
    pub(super) fn start(path: &Path) -> Option<Checkpointer> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;")
            .ok()?;
        conn.busy_timeout(std::time::Duration::from_millis(100))
            .ok()?;
        let (nudge, rx) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("mediamatch-wal-checkpoint".into())
            .spawn(move || {
                // One checkpoint per nudge (a commit), at most every CHECKPOINT_INTERVAL;
                // ends when the writer drops the sender.
                while rx.recv().is_ok() {
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    let until = std::time::Instant::now() + CHECKPOINT_INTERVAL;
                    loop {
                        let left = until.saturating_duration_since(std::time::Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        match rx.recv_timeout(left) {
                            // A commit meanwhile: checkpoint again once the interval is over.
                            Ok(()) => {}
                            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                        }
                    }
                }
            })
            .ok()?;
        Some(Checkpointer {
            nudge: Some(nudge),
            thread: Some(thread),
        })
    }

    pub(super) fn nudge(&self) {
        if let Some(n) = &self.nudge {
            let _ = n.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.nudge = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
