//! The resume screen's state: a profile's recent Claude Code sessions in
//! this folder, once listed. Listing reads transcripts and the ledger, so
//! the run loop does it (`App::update`'s part is in `flow`); nothing here
//! touches them.

use std::time::SystemTime;

/// A session the screen offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    /// When Claude Code last wrote to it.
    pub modified: SystemTime,
    /// Its summary or first prompt, on one line; `None` when none was found.
    pub title: Option<String>,
    /// The ledger has no row for it: a launch without the proxy (Anthropic
    /// direct, Bedrock, Vertex), or a session from before the ledger or
    /// with it off. It may be this profile's.
    pub unknown: bool,
}

/// What the listing found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionList {
    /// The folder the sessions are of: the one ccswitch runs in, as only
    /// its sessions can be resumed there.
    pub folder: String,
    /// Newest first.
    pub sessions: Vec<SessionRow>,
    /// Sessions in the folder that ran with other profiles (not offered).
    pub others: usize,
    /// When it was listed, for "5 min ago".
    pub now: SystemTime,
}

/// The resume screen.
#[derive(Clone, Debug)]
pub struct ResumeView {
    pub profile: String,
    /// Which listing the answer must belong to.
    pub seq: u64,
    /// Index into the sessions.
    pub selected: usize,
    /// `None` while listing; `Err` when it could not be done.
    pub list: Option<Result<SessionList, String>>,
}

impl ResumeView {
    /// The sessions, once listed.
    pub fn sessions(&self) -> &[SessionRow] {
        match &self.list {
            Some(Ok(l)) => &l.sessions,
            _ => &[],
        }
    }

    /// The session Enter resumes.
    pub fn current(&self) -> Option<&SessionRow> {
        self.sessions().get(self.selected)
    }

    /// Move the selection by `by`, staying on the list.
    pub fn step(&mut self, by: isize) {
        let last = self.sessions().len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(by).min(last);
    }
}
