//! The live audit file and its rotated siblings, shared by every session
//! under a lock file that is waited for only so long.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::config::Audit;

/// How long a write waits for another session's lock before its line is
/// given up (and counted as dropped): a stuck process holding the lock
/// must not stop this one's writer for good.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

pub struct Files {
    pub dir: PathBuf,
    pub audit: Audit,
    pub lock_wait: Duration,
    /// The last wait for the lock timed out: until one succeeds, the lock
    /// is tried once, not waited for, so a queue does not take
    /// `lock_wait` per entry to drain.
    pub stuck: bool,
}

impl Files {
    fn live(&self) -> PathBuf {
        self.dir.join("audit.jsonl")
    }

    fn rotated(&self, n: u32) -> PathBuf {
        self.dir.join(format!("audit.{n}.jsonl"))
    }

    pub fn lock_path(&self) -> PathBuf {
        self.dir.join("audit.lock")
    }

    /// Append one line (one write, so sessions' lines never interleave),
    /// rotating first when the file is full.
    pub fn append(&mut self, text: &str) -> std::io::Result<()> {
        crate::fsutil::create_private_dir(&self.dir)?;
        let lock = File::create(self.lock_path())?;
        let wait = if self.stuck {
            Duration::ZERO
        } else {
            self.lock_wait
        };
        let locked = lock_within(&lock, wait);
        self.stuck = locked
            .as_ref()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::TimedOut);
        locked?;
        let live = self.live();
        let size = std::fs::metadata(&live).map_or(0, |m| m.len());
        if size > 0 && size + text.len() as u64 > self.audit.max_bytes {
            self.rotate()?;
        }
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        opts.open(&live)?.write_all(text.as_bytes())
    }

    /// audit.jsonl → audit.1.jsonl → … → audit.KEEP.jsonl; the oldest goes.
    fn rotate(&self) -> std::io::Result<()> {
        let keep = self.audit.keep;
        if keep == 0 {
            return std::fs::remove_file(self.live());
        }
        let _ = std::fs::remove_file(self.rotated(keep));
        for n in (1..keep).rev() {
            let from = self.rotated(n);
            if from.exists() {
                std::fs::rename(&from, self.rotated(n + 1))?;
            }
        }
        std::fs::rename(self.live(), self.rotated(1))
    }
}

/// The file's exclusive lock, tried until `wait` has passed.
fn lock_within(file: &File, wait: Duration) -> std::io::Result<()> {
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(2);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::Error(e)) => return Err(e),
            Err(TryLockError::WouldBlock) if Instant::now() >= deadline => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "audit.lock held by another process for over {} s",
                        wait.as_secs_f32()
                    ),
                ));
            }
            Err(TryLockError::WouldBlock) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
        }
    }
}
