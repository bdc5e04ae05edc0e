//! The words of ccswitch(1)'s ENVIRONMENT and FILES. Variable names the
//! code keeps as constants are those constants; `tests/it/man.rs` finds
//! every variable the code reads and fails when one is missing here.

use std::path::{Path, PathBuf};

use crate::claude::status_line::{BUDGET_VAR, PROFILE_VAR, SESSION_VAR};
use crate::ctx::{NO_PROXY_VARS, PROXY_VARS};
use crate::launch::env::MANAGED;
use crate::launch::env::session::HELPER_VAR;
use crate::paths::{HOME_ENV, Paths};
use crate::secrets::SERVICE;

/// Variables and what they are to ccswitch.
type Vars = &'static [(&'static [&'static str], &'static str)];

pub(super) const READ: Vars = &[
    (
        &[HOME_ENV],
        "Keep every file in this folder instead of the platform's folders (see FILES): \
         portable installs, tests.",
    ),
    (
        &["CCSWITCH_LANG", "LC_ALL", "LC_MESSAGES", "LANG"],
        "The language of messages and of the interactive screen, the first one set \
         deciding: a value starting with zh selects Simplified Chinese, any other English. \
         Help and these pages are in English.",
    ),
    (
        &["NO_COLOR"],
        "When set and not empty, the interactive screen draws without colours.",
    ),
    (
        &["COMPLETE"],
        "Set by the scripts ccswitch completions prints, when the shell asks for \
         completions at a TAB: ccswitch then prints them and does nothing else.",
    ),
    (
        &["HOME", "USERPROFILE"],
        "Your home folder (USERPROFILE on Windows): what ~ in config.toml stands for, and \
         where Claude Code's folder and claude's usual install places are.",
    ),
    (
        &["XDG_CONFIG_HOME", "XDG_DATA_HOME"],
        "Linux: where ccswitch's CONFIG and DATA folders go (see FILES).",
    ),
    (
        &["CCSWITCH_CLAUDE"],
        "The claude binary to run, when neither --claude nor claude_path in config.toml \
         names one.",
    ),
    (
        &["PATH", "NPM_CONFIG_PREFIX", "npm_config_prefix", "APPDATA"],
        "Where claude is looked for next: PATH, then the usual install places, npm's \
         global folder among them (under its prefix; %APPDATA%\\npm on Windows).",
    ),
    (
        &["CLAUDE_CONFIG_DIR"],
        "Claude Code's folder (default ~/.claude), read and never written: its settings \
         (a status line of your own is kept; doctor checks their env block) and the \
         transcripts of sessions to resume.",
    ),
    (
        PROXY_VARS,
        "ccswitch's requests to providers go through these proxies, unless the provider \
         sets its own proxy or is on this machine. import gives HTTPS_PROXY to the remote \
         providers it adds.",
    ),
    (
        NO_PROXY_VARS,
        "Hosts exempt from those proxies. run gives claude NO_PROXY with \
         127.0.0.1,localhost,::1 added; doctor warns when a proxy is set and loopback is \
         not exempt.",
    ),
    (
        &[
            "ANTHROPIC_FOUNDRY_RESOURCE",
            "ANTHROPIC_FOUNDRY_BASE_URL",
            "ANTHROPIC_FOUNDRY_API_KEY",
            "ANTHROPIC_FOUNDRY_AUTH_TOKEN",
        ],
        "With CLAUDE_CODE_USE_FOUNDRY set, import makes a foundry provider of them: its \
         base URL (the resource's, else the one given) and API key. An Entra ID token \
         (ANTHROPIC_FOUNDRY_AUTH_TOKEN) is not copied: it expires within the hour.",
    ),
    (
        &["CC_SWITCH_CONFIG_DIR"],
        "cc-switch's folder (default ~/.cc-switch), which import reads.",
    ),
    (
        &["ENABLE_TOOL_SEARCH"],
        "Set in your shell, it reaches claude unchanged when the profile has no \
         tool_search setting; unset, run turns tool search on in proxied sessions.",
    ),
];

/// Read too, under names the user chooses.
pub(super) const USER_NAMED: &str = "Variables you name: a provider's key = { env = \"VAR\" } \
     and extra_keys, the search backend's key, and serve --token-env. Each is read when the \
     key is needed.";

pub(super) const SET: Vars = &[
    (
        MANAGED,
        "Claude Code's routing variables. run sets the ones the profile needs and removes \
         the rest from what claude inherits, so an old export cannot divert the session; \
         import reads Claude Code's own from the shell; doctor warns when they are exported.",
    ),
    (
        &[
            "AWS_REGION",
            "AWS_PROFILE",
            "AWS_BEARER_TOKEN_BEDROCK",
            "CLOUD_ML_REGION",
            "ANTHROPIC_VERTEX_PROJECT_ID",
        ],
        "Bedrock and Vertex profiles whose provider has direct = true (or with the ledger \
         off): the provider's region, aws_profile, key and project. import reads the region, \
         key and project ones (and AWS_DEFAULT_REGION) from the shell. Through the proxy, \
         Bedrock is signed with the AWS SDK's credential chain (its AWS_* variables and \
         files) or AWS_BEARER_TOKEN_BEDROCK, and Vertex gets Google tokens from Application \
         Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's login, the metadata \
         server), read by ccswitch; ANTHROPIC_VERTEX_PROJECT_ID is the project when the \
         provider names none.",
    ),
    (
        &["NODE_EXTRA_CA_CERTS"],
        "Connections without the proxy (direct Bedrock or Vertex, direct = true): the provider's \
         ca_file, as its proxy becomes HTTPS_PROXY. import reads it.",
    ),
    (
        &[
            "CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
            "CLAUDE_CODE_AUTO_MODE_SERVER",
            "CLAUDE_CODE_AUTO_MODE_MODEL",
            "API_TIMEOUT_MS",
        ],
        "As the profile and its providers need: /model lists the profile's models, no \
         traffic to Anthropic from a session that does not use it, auto mode's safety \
         check on the profile's classifier model, the profile's api_timeout_ms.",
    ),
    (
        &["ANTHROPIC_CUSTOM_HEADERS"],
        "Proxied sessions: x-ccswitch-project, the project label (the profile's project, \
         else the git repository's or the folder's name), added to the headers the shell \
         or the profile's env already set there.",
    ),
    (
        &[PROFILE_VAR, SESSION_VAR, BUDGET_VAR],
        "Proxied sessions: the profile, the session's id in the usage ledger, and \
         \"ignored\" under --ignore-budget. ccswitch statusline reads them.",
    ),
    (
        &[HELPER_VAR],
        "Sessions with direct = true: the key, which Claude Code's apiKeyHelper (a hidden \
         ccswitch command) prints for it. Only claude's environment holds it.",
    ),
];

/// Each of `p`'s files as the page shows it (`CONFIG/config.toml`,
/// `DATA/logs/`), and what it holds. `p` is taken apart field by field, so
/// a file added to `Paths` does not build until it is here too.
pub(super) fn files(p: &Paths) -> Vec<(String, String)> {
    let Paths {
        config_dir: _,
        data_dir: _,
        config_file,
        presets_file,
        credentials_file,
        state_file,
        log_dir,
        usage_db,
        audit_dir,
        circuits_file,
        gateway_db,
        home: _,
    } = p;
    // With `/` on every platform: the page is the same wherever it is made.
    let shown = |path: &Path| {
        let parts: Vec<String> = path
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        parts.join("/")
    };
    let said = |path: &PathBuf, what: &str| (shown(path), what.to_string());
    let folder = |path: &PathBuf, what: &str| (format!("{}/", shown(path)), what.to_string());
    vec![
        said(
            config_file,
            "Providers and profiles. Every change ccswitch makes is saved atomically under a \
             lock with comments kept, the previous version left as config.toml.bak. ccswitch \
             config example prints a commented example.",
        ),
        said(
            presets_file,
            "Your own presets: additions to the built-in ones, and overrides of them.",
        ),
        (
            shown(credentials_file),
            format!(
                "Keys stored with ccswitch key set NAME --file: plaintext, mode 0600, refused \
                 when others can read it. Other keys are in the OS keyring, service \
                 \"{SERVICE}\", account the provider's name; or where the provider's key \
                 setting says."
            ),
        ),
        said(
            state_file,
            "When each profile was last launched: a cache, safe to delete.",
        ),
        folder(
            log_dir,
            "ccswitch.log: the proxy's log for ccswitch run, one line per request and never \
             prompt text (--log-file chooses another file).",
        ),
        said(
            usage_db,
            "The usage ledger (SQLite): tokens and cost per request, for ccswitch usage, \
             budgets, the status line and the interactive screen. A file that is not a \
             ledger is moved aside as usage.db.bad-TIME.",
        ),
        folder(
            audit_dir,
            "The audit log, when audit is on in config.toml: audit.jsonl, rotated to \
             audit.1.jsonl and up; private to your user.",
        ),
        said(
            circuits_file,
            "The fallback targets running sessions skip for now (open breakers), shared by \
             every session.",
        ),
        said(
            gateway_db,
            "The team gateway's store (SQLite), when ccswitch gateway is used: teams, members \
             and their virtual keys, each key as its SHA-256 and display prefix, never the key. \
             Readable only by you; ccswitch gateway --store names another file.",
        ),
    ]
}

/// Files outside ccswitch's folders.
pub(super) const ELSEWHERE: &[(&str, &str)] = &[
    (
        "ccswitch-session-*/",
        "In the temp folder: a session's settings for claude (mode 0600, in a 0700 folder), \
         removed when claude exits, or by the next ccswitch run.",
    ),
    (
        "~/.claude/",
        "Claude Code's folder (CLAUDE_CONFIG_DIR): read, never written.",
    ),
];
