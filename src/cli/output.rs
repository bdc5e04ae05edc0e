//! Standard output as commands write it. A reader that goes away early
//! (`ccswitch usage | head`) is not a failure of the command: the write
//! fails with `BrokenPipe`, the command stops at that error, and
//! [`Output::closed`] tells `main` to end quietly with 0, as `cat` and
//! `grep` do. Rust ignores SIGPIPE, so without this every command would
//! print "Broken pipe" and exit 1, or panic where a library expects its
//! writes to succeed.

use std::io::{self, Write};

pub struct Output<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> Output<W> {
    pub fn new(inner: W) -> Output<W> {
        Output {
            inner,
            closed: false,
        }
    }

    /// Whether the reader went away.
    pub fn closed(&self) -> bool {
        self.closed
    }

    fn note<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        if r.as_ref()
            .is_err_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
        {
            self.closed = true;
        }
        r
    }
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.inner.write(buf);
        self.note(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.inner.flush();
        self.note(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Gone;
    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_broken_pipe_is_noted_and_other_errors_are_not() {
        let mut out = Output::new(Gone);
        assert!(writeln!(out, "x").is_err());
        assert!(out.closed());
        let mut full = Output::new(io::Cursor::new([0u8; 1]));
        assert!(full.write_all(b"xy").is_err());
        assert!(!full.closed());
    }
}
