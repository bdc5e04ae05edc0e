//! How many client connections are open, and which may be closed to make
//! room. Any local process can connect without the token; a connection
//! that has not sent a byte yet is the cheapest to give up, so when the
//! cap is reached the oldest such one is closed for the newcomer, and only
//! when every connection is busy does accepting wait.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};

/// What a client connection may cost: how long it may stay silent, how
/// long its headers may take, and how many may be open (see `server`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub first_byte: Duration,
    pub headers: Duration,
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            first_byte: Duration::from_secs(10),
            // hyper's own default; Claude Code reconnects when an idle
            // keep-alive connection is closed.
            headers: Duration::from_secs(30),
            connections: connection_cap(),
        }
    }
}

/// Each client connection may need an upstream one too, so at most half of
/// the descriptors this process may open, less a margin for log files and
/// the listener; never fewer than a handful, never more than 1024.
fn connection_cap() -> usize {
    #[cfg(unix)]
    {
        use nix::sys::resource::{Resource, getrlimit};
        if let Ok((soft, _)) = getrlimit(Resource::RLIMIT_NOFILE) {
            let soft = usize::try_from(soft).unwrap_or(usize::MAX);
            return (soft.saturating_sub(32) / 2).clamp(8, 1024);
        }
    }
    1024
}

pub struct Slots {
    cap: usize,
    inner: Mutex<Inner>,
    freed: Notify,
}

#[derive(Default)]
struct Inner {
    open: usize,
    next_id: u64,
    /// Connections that have sent nothing yet, oldest first, with the
    /// sender that closes each.
    silent: VecDeque<(u64, oneshot::Sender<()>)>,
}

impl Slots {
    pub fn new(cap: usize) -> Arc<Slots> {
        Arc::new(Slots {
            cap: cap.max(1),
            inner: Mutex::default(),
            freed: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for a connection just accepted: free, or taken from the
    /// oldest silent connection, or (every connection busy) the next one
    /// to close.
    pub async fn take(self: &Arc<Slots>) -> ConnSlot {
        loop {
            let freed = self.freed.notified();
            {
                let mut g = self.lock();
                if g.open < self.cap {
                    g.open += 1;
                    return self.slot(&mut g);
                }
                if let Some((_, close)) = g.silent.pop_front() {
                    // Its slot passes to the newcomer; the closed one gives
                    // back nothing (see `ConnSlot::drop`), even if it was already
                    // on its way out and no longer listening.
                    let _ = close.send(());
                    return self.slot(&mut g);
                }
            }
            freed.await;
        }
    }

    /// A new connection's slot, offered for closing from the start: its
    /// task may not have run yet when the next connection needs room.
    fn slot(self: &Arc<Slots>, g: &mut Inner) -> ConnSlot {
        g.next_id += 1;
        let (tx, rx) = oneshot::channel();
        g.silent.push_back((g.next_id, tx));
        ConnSlot {
            slots: self.clone(),
            id: g.next_id,
            offered: true,
            closed: Some(rx),
        }
    }

    #[cfg(test)]
    fn open(&self) -> usize {
        self.lock().open
    }
}

/// One connection's place; given back when dropped.
pub struct ConnSlot {
    slots: Arc<Slots>,
    id: u64,
    offered: bool,
    closed: Option<oneshot::Receiver<()>>,
}

impl ConnSlot {
    /// Fires if this connection is chosen to make room before it has
    /// [`ConnSlot::spoke`]n.
    pub fn chosen(&mut self) -> oneshot::Receiver<()> {
        self.closed.take().unwrap_or_else(|| oneshot::channel().1)
    }

    /// The connection sent something: it is no longer offered. If it was
    /// chosen in the same instant, it keeps going and counts again.
    pub fn spoke(&mut self) {
        if std::mem::take(&mut self.offered) {
            let mut g = self.slots.lock();
            if !withdraw(&mut g, self.id) {
                g.open += 1;
            }
        }
    }
}

/// Take `id` off the silent list; false when it was no longer there
/// (chosen to make room: its slot went to a newcomer).
fn withdraw(g: &mut Inner, id: u64) -> bool {
    let before = g.silent.len();
    g.silent.retain(|(i, _)| *i != id);
    g.silent.len() != before
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        let mut g = self.slots.lock();
        if self.offered && !withdraw(&mut g, self.id) {
            return;
        }
        g.open -= 1;
        drop(g);
        self.slots.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_oldest_silent_connection_makes_room() {
        let slots = Slots::new(2);
        let mut a = slots.take().await;
        let mut b = slots.take().await;
        let mut a_closed = a.chosen();
        let mut b_closed = b.chosen();
        let mut c = slots.take().await;
        assert!(a_closed.try_recv().is_ok());
        assert!(b_closed.try_recv().is_err());
        drop(a);
        assert_eq!(slots.open(), 2);
        // Both spoke: nothing is silent, so the next one waits for a slot.
        b.spoke();
        c.spoke();
        let waiting = tokio::spawn({
            let slots = slots.clone();
            async move { slots.take().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(c);
        let d = waiting.await.unwrap();
        assert_eq!(slots.open(), 2);
        drop((b, d));
        assert_eq!(slots.open(), 0);
    }

    #[tokio::test]
    async fn chosen_while_speaking_keeps_going_and_is_counted() {
        let slots = Slots::new(1);
        let mut a = slots.take().await;
        let b = slots.take().await;
        // a's first byte arrived as b took its place.
        a.spoke();
        assert_eq!(slots.open(), 2);
        drop(a);
        drop(b);
        assert_eq!(slots.open(), 0);
    }
}
