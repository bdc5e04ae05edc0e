//! The PostgreSQL store's versioned migrations: the SQLite store's steps,
//! numbered the same and meaning the same, in PostgreSQL's own words
//! (`BIGSERIAL` ids, `BYTEA` hashes, times as whole seconds in `BIGINT`).
//! Never edit a step that has shipped: add one, here and in SQLite's
//! `schema.rs`.
//!
//! Several replicas may start at once on a new database: the steps run in
//! one transaction holding an advisory lock, so one of them migrates and
//! the others find it done. The `schema_version` table carries a comment
//! that marks the database as ours; a database holding other tables and
//! no such mark is refused and left alone.

use std::time::SystemTime;

use tokio_postgres::Client;

use super::fail::Fail;
use super::queries::secs;

/// `pg_advisory_xact_lock` key of the migrations: "ccgw", then 1.
const MIGRATION_LOCK: i64 = 0x6363_6777_0000_0001;

/// The comment on `schema_version` that says whose tables these are.
const MARK: &str = "ccswitch gateway store";

/// Schema steps; step N is `MIGRATIONS[N - 1]`.
const MIGRATIONS: &[&str] = &[
    // 1: teams, members (each in one team), keys (a member's; the SHA-256
    // of the key and its display prefix, never the key) and the profiles
    // each key may use (none listed: all).
    "CREATE TABLE teams (
        id BIGSERIAL PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL
     );
     CREATE TABLE members (
        id BIGSERIAL PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        team_id BIGINT NOT NULL REFERENCES teams(id),
        created_at BIGINT NOT NULL
     );
     CREATE INDEX members_team ON members(team_id);
     CREATE TABLE keys (
        id BIGSERIAL PRIMARY KEY,
        prefix TEXT NOT NULL UNIQUE,
        hash BYTEA NOT NULL UNIQUE,
        member_id BIGINT NOT NULL REFERENCES members(id),
        daily_usd DOUBLE PRECISION,
        monthly_usd DOUBLE PRECISION,
        rpm BIGINT,
        tpm BIGINT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT,
        rotated_from BIGINT REFERENCES keys(id)
     );
     CREATE INDEX keys_member ON keys(member_id);
     CREATE TABLE key_profiles (
        key_id BIGINT NOT NULL REFERENCES keys(id),
        profile TEXT NOT NULL,
        PRIMARY KEY (key_id, profile)
     );",
    // 2: budgets for whole members and teams; and what each key, member and
    // team spent per UTC day (days since 1970-01-01), which budgets are
    // checked against.
    "ALTER TABLE teams ADD COLUMN daily_usd DOUBLE PRECISION;
     ALTER TABLE teams ADD COLUMN monthly_usd DOUBLE PRECISION;
     ALTER TABLE members ADD COLUMN daily_usd DOUBLE PRECISION;
     ALTER TABLE members ADD COLUMN monthly_usd DOUBLE PRECISION;
     CREATE TABLE spend (
        scope TEXT NOT NULL,
        id BIGINT NOT NULL,
        day BIGINT NOT NULL,
        usd DOUBLE PRECISION NOT NULL,
        tokens BIGINT NOT NULL,
        requests BIGINT NOT NULL,
        PRIMARY KEY (scope, id, day)
     );",
    // 3: the gateway's own ledger: one row per member request, written with
    // its spend in one statement, so every replica's requests are here.
    "CREATE TABLE requests (
        id BIGSERIAL PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        key_id BIGINT NOT NULL,
        key_prefix TEXT NOT NULL,
        member TEXT NOT NULL,
        team TEXT NOT NULL,
        project TEXT,
        profile TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        status INTEGER NOT NULL,
        error TEXT,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        cache_write_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        duration_ms BIGINT NOT NULL
     );
     CREATE INDEX requests_at ON requests(at_ms);",
    // 4: each key's requests and tokens per second (Unix seconds), which
    // every replica adds to and reads: one rate limit for the gateway.
    "CREATE TABLE rates (
        key_id BIGINT NOT NULL,
        second BIGINT NOT NULL,
        requests BIGINT NOT NULL,
        tokens BIGINT NOT NULL,
        PRIMARY KEY (key_id, second)
     );",
    // 5: the failed requests alone, for the usage page's recent errors:
    // only a failure's insert pays for it.
    "CREATE INDEX requests_failed ON requests(at_ms) WHERE error IS NOT NULL;",
];

/// The newest step this build knows.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Run the steps not yet run, under the migration lock.
pub(super) async fn migrate(c: &mut Client, now: SystemTime) -> Result<(), Fail> {
    let tx = c.transaction().await?;
    tx.batch_execute("SET LOCAL synchronous_commit = on")
        .await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    // The mark, if `schema_version` exists, and how many tables the
    // schema we would create ours in holds.
    let row = tx
        .query_one(
            "SELECT obj_description(to_regclass('schema_version'), 'pg_class'),
                    (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())",
            &[],
        )
        .await?;
    let mark: Option<String> = row.try_get(0)?;
    let tables: i64 = row.try_get(1)?;
    let ours = mark.as_deref() == Some(MARK);
    if !ours && tables > 0 {
        return Err(Fail::NotOurs);
    }
    if !ours {
        tx.batch_execute(&format!(
            "CREATE TABLE schema_version (
                version BIGINT PRIMARY KEY,
                applied_at BIGINT NOT NULL
             );
             COMMENT ON TABLE schema_version IS '{MARK}';"
        ))
        .await?;
    }
    let found: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0)::BIGINT FROM schema_version",
            &[],
        )
        .await?
        .try_get(0)?;
    if found > VERSION {
        return Err(Fail::Newer {
            found,
            known: VERSION,
        });
    }
    for (n, step) in (1i64..)
        .zip(MIGRATIONS)
        .skip(usize::try_from(found).unwrap_or(0))
    {
        tx.batch_execute(step).await?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
            &[&n, &secs(now)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
