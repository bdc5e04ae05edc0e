//! Where the proxy's log lines are written: by a thread of their own,
//! through a bounded queue, never by the thread that logs. A stderr pipe
//! nobody reads (or a slow disk) then costs log lines, not the proxy: when
//! the queue is full a line is dropped and counted, and the count is
//! written where the lines went missing: before the next line that gets
//! through, or last.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::setup::LogFn;
use crate::t;

/// Lines waiting for the writer, at most.
pub const QUEUE: usize = 4096;

/// How long the writer waits after a write before it looks again.
const LINGER: Duration = Duration::from_millis(10);

/// Bytes of lines written at once, at most.
const BATCH: usize = 64 * 1024;

/// How long closing waits for the queue to be written. A writer stuck on a
/// pipe nobody reads is left behind (the process is about to end).
pub const FLUSH_WAIT: Duration = Duration::from_secs(2);

/// A line, and how many were dropped just before it; `None`: stop.
type Msg = Option<(u64, String)>;

/// Turns a line into what is written (a time, a tag, the newline); run by
/// the thread that logs, so the time is when it happened.
pub type Format = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// The running writer; closing it (or dropping it) writes what is queued,
/// within [`FLUSH_WAIT`].
pub struct LogWriter {
    tx: mpsc::SyncSender<Msg>,
    done: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl LogWriter {
    /// Log lines, formatted by `format`, written to `out` by a thread.
    pub fn start(mut out: Box<dyn Write + Send>, format: Format) -> (LogWriter, LogFn) {
        let (tx, rx) = mpsc::sync_channel::<Msg>(QUEUE);
        let (done_tx, done) = mpsc::channel();
        let dropped = Arc::new(AtomicU64::new(0));
        let left = dropped.clone();
        let fmt = format.clone();
        let thread = std::thread::Builder::new()
            .name("ccswitch-log".into())
            .spawn(move || {
                let count = |n: u64| fmt(&t!("proxy.log_dropped", n = n));
                let mut batch = String::new();
                let mut stop = false;
                while !stop {
                    let Ok(first) = rx.recv() else { break };
                    // What queued up meanwhile goes in the same write:
                    // under load, one write for many lines. Whole lines
                    // only, so sessions sharing a file never interleave.
                    let mut next = Some(first);
                    while let Some(m) = next.take() {
                        let Some((n, line)) = m else {
                            stop = true;
                            break;
                        };
                        if n > 0 {
                            batch.push_str(&count(n));
                        }
                        batch.push_str(&line);
                        if batch.len() < BATCH {
                            next = rx.try_recv().ok();
                        }
                    }
                    let _ = out.write_all(batch.as_bytes());
                    batch.clear();
                    // Lines that come meanwhile only queue (a sender wakes
                    // no one while this sleeps): under steady traffic the
                    // thread wakes a hundred times a second, not once a
                    // line, which cost the proxy a fifth more CPU per
                    // request.
                    if !stop {
                        std::thread::sleep(LINGER);
                    }
                }
                let n = left.swap(0, Ordering::Relaxed);
                if n > 0 {
                    let _ = out.write_all(count(n).as_bytes());
                }
                let _ = out.flush();
                let _ = done_tx.send(());
            })
            .ok();
        let sender = tx.clone();
        let log: LogFn = Arc::new(move |line: &str| {
            let n = dropped.swap(0, Ordering::Relaxed);
            if sender.try_send(Some((n, format(line)))).is_err() {
                dropped.fetch_add(n + 1, Ordering::Relaxed);
            }
        });
        let w = LogWriter { tx, done, thread };
        (w, log)
    }

    /// Write what is queued, waiting at most [`FLUSH_WAIT`].
    pub fn close(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        let deadline = Instant::now() + FLUSH_WAIT;
        loop {
            match self.tx.try_send(None) {
                Ok(()) => break,
                Err(mpsc::TrySendError::Full(_)) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => return,
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if self.done.recv_timeout(left).is_ok() {
            let _ = thread.join();
        }
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A writer whose every write waits until `open` is set: a pipe nobody
    /// reads.
    struct Blocked {
        open: Arc<Mutex<bool>>,
        got: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Blocked {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            while !*self.open.lock().expect("open") {
                std::thread::sleep(Duration::from_millis(5));
            }
            self.got.lock().expect("got").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn plain() -> Format {
        Arc::new(|l: &str| format!("{l}\n"))
    }

    #[test]
    fn a_blocked_output_costs_lines_not_the_caller() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        let open = Arc::new(Mutex::new(false));
        let got = Arc::new(Mutex::new(Vec::new()));
        let out = Blocked {
            open: open.clone(),
            got: got.clone(),
        };
        let (w, log) = LogWriter::start(Box::new(out), plain());
        // The writer takes the first line and waits in its write.
        log("line 0");
        std::thread::sleep(Duration::from_millis(200));
        let began = Instant::now();
        let extra = 100;
        for i in 1..=QUEUE + extra {
            log(&format!("line {i}"));
        }
        // Nothing waited on the output.
        assert!(began.elapsed() < Duration::from_secs(5));
        *open.lock().expect("open") = true;
        w.close();
        let text = String::from_utf8(got.lock().expect("got").clone()).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        // The line the writer held, the queue, then the count.
        assert_eq!(lines.len(), 1 + QUEUE + 1, "{}", lines.len());
        assert_eq!(lines[0], "line 0");
        assert!(
            lines[QUEUE + 1].contains(&format!("log lines dropped: {extra}")),
            "{}",
            lines[QUEUE + 1]
        );
    }

    #[test]
    fn closing_gives_up_on_an_output_that_never_drains() {
        let out = Blocked {
            open: Arc::new(Mutex::new(false)),
            got: Arc::default(),
        };
        let (w, log) = LogWriter::start(Box::new(out), plain());
        log("stuck");
        let began = Instant::now();
        w.close();
        assert!(began.elapsed() < FLUSH_WAIT + Duration::from_secs(3));
    }
}
