//! What can happen (messages into `App::update`) and what the run loop
//! must do about it (commands out).

use std::collections::HashMap;
use std::time::SystemTime;

use super::resume::SessionList;
use super::row::KeyState;
use super::usage::{UsageData, UsageQuery};
use crate::checks::probe::ProbeStep;
use crate::circuits::Circuit;
use crate::config::{Config, Presets};
use crate::proxy::models::ListedModel;
use crate::tui::plan::{FormPlan, ProviderPlan};
use crate::usage::query::Sums;

/// Everything that can happen.
#[derive(Clone, Debug)]
pub enum Msg {
    Up,
    Down,
    Left,
    Right,
    /// Tab / Shift-Tab: next or previous field.
    Next,
    Prev,
    Home,
    End,
    /// Enter.
    Activate,
    SetDefault,
    Delete,
    Filter,
    Help,
    Quit,
    Cancel,
    Char(char),
    Backspace,
    /// Clear the field (Ctrl-U).
    Clear,
    New,
    Edit,
    Duplicate,
    /// Test the connection (`t` on the list, Ctrl-T in the form).
    Test,
    /// Save the form (Ctrl-S).
    Save,
    /// Open the usage screen (`u` on the list).
    Usage,
    /// Open the resume screen (`r` on the list).
    Resume,
    /// Edit the focused model slot's fallback chain (Ctrl-F in the form).
    Fallbacks,
    /// Move the selected item up or down (Shift-↑/↓).
    MoveUp,
    MoveDown,
    /// Time passes (spinners).
    Tick,
    /// The config was (re)loaded, with the presets and when each profile
    /// was last used.
    Loaded(Box<Config>, Box<Presets>),
    LastUsed(HashMap<String, SystemTime>, SystemTime),
    /// A change was saved: the new config, what to tell the user, and the
    /// profile it made or changed, which the cursor goes to (`None`: it
    /// stays on its profile).
    Saved {
        config: Box<Config>,
        done: String,
        select: Option<String>,
    },
    /// A config change failed; the message says why.
    Failed(String),
    /// A background key check finished for a provider.
    KeyChecked(String, KeyState),
    /// A model list arrived (or could not be had).
    Models(u64, Result<Vec<ListedModel>, String>),
    /// A connection test finished.
    Tested(u64, Result<Vec<ProbeStep>, String>),
    /// The usage screen's numbers (or why the ledger cannot be read).
    UsageLoaded(u64, Box<Result<UsageData, String>>),
    /// The resume screen's sessions (or why they cannot be listed).
    Sessions(u64, Box<Result<SessionList, String>>),
    /// Each profile's last 7 days, for the list's detail pane.
    Week(Result<HashMap<String, Sums>, String>),
    /// Fallback targets whose breaker running sessions opened lately.
    Circuits(Vec<Circuit>),
    /// Each provider's last balance (`balances.json`).
    Balances(std::collections::BTreeMap<String, crate::proxy::upstream::balance::cache::Entry>),
    /// An existing setup on this machine that could be imported, as the
    /// lines that say what it becomes (`None`: nothing found).
    ImportFound(Option<Vec<String>>),
}

/// Side effects for the run loop.
#[derive(Clone, Debug)]
pub enum Cmd {
    Quit,
    /// Launch Claude Code with this profile and these arguments for claude.
    Launch(String, Vec<String>),
    SetDefault(String),
    Delete(String),
    /// Check the keys of these providers in the background.
    CheckKeys(Vec<String>),
    /// Write the form to the config (and its key to the keyring).
    Save(Box<FormPlan>),
    /// Fetch the provider's model list in the background.
    FetchModels(u64, Box<ProviderPlan>),
    /// Test a saved profile.
    TestProfile(u64, String),
    /// Test an unsaved form.
    TestPlan(u64, Box<FormPlan>),
    /// Read when each profile was last used and what it spent in the last
    /// 7 days ("5 min ago" moves on while the screen is open).
    ReadRecent,
    /// Read the usage screen's numbers from the ledger in the background.
    LoadUsage(u64, Box<UsageQuery>),
    /// List the profile's recent sessions in this folder in the
    /// background; with `true`, the ledger says whose each session was.
    ListSessions(u64, String, bool),
    /// Ask these providers for their balances (at most once a minute
    /// each: the cache and the screen both keep to that), then re-read
    /// `balances.json`.
    RefreshBalances(Vec<String>),
    /// Look for an existing setup to offer importing (first run).
    FindImport,
    /// Import it.
    Import,
}

// Commands carry keys; equality is what tests need, by name only.
impl PartialEq for Cmd {
    fn eq(&self, other: &Cmd) -> bool {
        use Cmd::{
            CheckKeys, Delete, FetchModels, FindImport, Import, Launch, ListSessions, LoadUsage,
            Quit, ReadRecent, RefreshBalances, Save, SetDefault, TestPlan, TestProfile,
        };
        match (self, other) {
            (Quit, Quit)
            | (ReadRecent, ReadRecent)
            | (FindImport, FindImport)
            | (Import, Import) => true,
            (LoadUsage(_, a), LoadUsage(_, b)) => a == b,
            (Launch(a, x), Launch(b, y)) => a == b && x == y,
            (ListSessions(_, a, x), ListSessions(_, b, y)) => a == b && x == y,
            (SetDefault(a), SetDefault(b))
            | (Delete(a), Delete(b))
            | (TestProfile(_, a), TestProfile(_, b)) => a == b,
            (CheckKeys(a), CheckKeys(b)) | (RefreshBalances(a), RefreshBalances(b)) => a == b,
            (Save(a), Save(b)) | (TestPlan(_, a), TestPlan(_, b)) => a.name == b.name,
            (FetchModels(_, a), FetchModels(_, b)) => a.name == b.name,
            _ => false,
        }
    }
}
