//! The team gateway's foundation: teams, members and virtual keys in the
//! gateway's own store, and authentication of a presented key. Knows
//! nothing of the proxy; the proxy (`serve` as a gateway) calls into it.
//!
//! # The API the proxy builds on
//!
//! - [`store::Store`]: open once per process with
//!   `Store::open(&StoreLocation::parse(s)?, now).await` (or
//!   `Store::open_sqlite(path, now)`); clones share the connection. Every
//!   method is `async` and returns plain values ([`store::KeyRecord`],
//!   [`store::Member`], [`store::Team`]) or a [`store::StoreError`].
//!   SQLite work runs on tokio's blocking pool, so a tokio runtime must be
//!   running. `Store::Postgres` (`--store postgres://…`) has the same
//!   methods on a bounded pool of connections, each call bounded in time
//!   (a server that does not answer is `StoreError::Postgres` with
//!   `unreachable`, i.e. `Refusal::Unavailable`, a 503); migrations are
//!   numbered steps recorded in a `schema_version` table, the same steps
//!   in both.
//! - [`auth::Authenticator`]: one per gateway, around a `Store`.
//!   `authenticator.authenticate(presented, now).await` gives a
//!   [`auth::Principal`] (key id and prefix, member, team, allowed
//!   profiles, budgets, rate limits) or a [`auth::Refusal`] (`Malformed`,
//!   `Unknown`, `Revoked`, `Expired`: the key's fault; `Unavailable`: the
//!   store's). Answers are cached for at most [`auth::CACHE_TTL`] (5 s), so
//!   a revocation reaches every replica within that. `auth::authenticate`
//!   is the same check uncached. `Principal::may_use(profile)` checks the
//!   profile list; `Refusal::kind()` names the refusal for counting.
//! - [`keys`]: `keys::parse(presented)` checks a key's shape without the
//!   store (the authenticator calls it first); `keys::mint()` makes a key.
//! - [`admin`]: `admin::issue` and `admin::rotate` mint, store and return
//!   a key once; the `ccswitch gateway` commands use them.
//!
//! - [`ui`]: the operator's usage page (`GET /ui`) as pure parts: the
//!   ledger read into a snapshot, the snapshot rendered to HTML, and the
//!   sign-in cookie's rules; the proxy serves it.
//!
//! Presented keys are never logged or stored: only their SHA-256 and the
//! 13-character display prefix (`ccsk_` and 8 hex digits).

pub mod admin;
pub mod auth;
pub mod budget;
pub mod keys;
pub mod limit;
pub mod store;
pub mod ui;
