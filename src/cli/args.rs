//! The command line as clap parses it.

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ccswitch",
    version,
    about = "Run Claude Code on any model provider: profiles, keys and an embedded translating proxy.",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage profiles (what Claude Code runs with).
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Manage providers (where and how to connect).
    #[command(subcommand)]
    Provider(ProviderCmd),
    /// Store, remove and check provider keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// List the built-in and user presets.
    Presets(JsonFlag),
    /// Print where ccswitch keeps its files.
    Paths(JsonFlag),
    /// Check or print the configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Run the proxy in the foreground for other Anthropic clients; prints
    /// the environment they need.
    Serve(ServeArgs),
    /// Launch Claude Code with a profile (through the embedded proxy where
    /// the provider needs it). ccswitch's options come before PROFILE;
    /// everything after PROFILE (or after `--`) goes to claude unchanged.
    Run(RunArgs),
    /// Print export lines for a profile that needs no proxy (direct
    /// Anthropic, Bedrock, Vertex).
    Env(EnvArgs),
    /// Check a profile end to end: a tiny streamed conversation and a tool
    /// call through the same proxy `run` uses.
    Test(TestArgs),
    /// Claude Code's status line for a `ccswitch run` session (reads
    /// Claude Code's status JSON on stdin, prints one line).
    Statusline,
    /// Tokens and cost from the usage ledger: today, 7 and 30 days, this
    /// month, and by model; or one range grouped one way.
    Usage(UsageArgs),
    /// How a profile routes Claude Code's requests.
    #[command(subcommand)]
    Route(RouteCmd),
    /// The web search backend for Claude Code's WebSearch on providers
    /// that cannot search themselves (SearXNG, Brave, Tavily).
    #[command(subcommand)]
    Search(super::search::SearchCmd),
    /// Print a shell completion script: `ccswitch completions bash >
    /// ~/.local/share/bash-completion/completions/ccswitch`.
    Completions(CompletionsArgs),
    /// Print the man page (roff) or a command's (`ccswitch man run`), or
    /// write every page into a folder (`--out DIR`).
    Man(super::man::ManArgs),
    /// Bring an existing setup in: Claude Code's variables in this shell,
    /// `~/.claude/settings.json`, claude-code-router's config, or a file.
    Import(ImportArgs),
    /// Check the setup: claude, the config, the keyring, each provider's
    /// key and endpoint, stale variables and settings, proxy and IPv6 traps.
    Doctor(JsonFlag),
    /// Internal (`run` on Linux): becomes claude, which then ends when
    /// ccswitch does.
    #[command(name = "__guard", hide = true)]
    Guard(GuardArgs),
    /// Internal: Claude Code's `apiKeyHelper` in a direct-mode session.
    #[command(name = "__key-helper", hide = true)]
    KeyHelper,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Import this file instead of looking for sources: a
    /// claude-code-router `config.json`, a Claude Code `settings.json`, a
    /// LiteLLM `config.yaml`, or cc-switch's folder, `cc-switch.db` or
    /// `config.json`.
    #[arg(long, value_name = "PATH")]
    pub from: Option<std::path::PathBuf>,
    /// Print what would be added, with keys shown by where they are.
    #[arg(long)]
    pub dry_run: bool,
    /// Keys from this shell's variables stay references to them (for
    /// variables you keep exporting) instead of going to the keyring.
    #[arg(long)]
    pub keep_env: bool,
    /// Use this variable as an imported provider's key although its name
    /// is not that provider's (repeatable). Without it, ccswitch sends no
    /// variable a file names to a host the file chose.
    #[arg(long = "key-var", value_name = "VAR")]
    pub key_vars: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct GuardArgs {
    pub parent: u32,
    pub program: std::path::PathBuf,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Profile (default: the configured default).
    pub profile: Option<String>,
    /// Print the steps as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The claude binary to run.
    #[arg(long, value_name = "PATH")]
    pub claude: Option<std::path::PathBuf>,
    /// Proxy log file (default: ccswitch.log in the data dir's logs folder).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<std::path::PathBuf>,
    /// Also log translation notes (what was dropped or changed per request).
    #[arg(long)]
    pub verbose: bool,
    /// No session summary after claude exits.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not stop at a used-up budget this session.
    #[arg(long)]
    pub ignore_budget: bool,
    /// Profile (default: the configured default).
    pub profile: Option<String>,
    /// Arguments for claude, passed on verbatim.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CLAUDE_ARGS"
    )]
    pub claude_args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Profile (default: the configured default).
    pub profile: Option<String>,
    /// Syntax of the printed lines.
    #[arg(long, value_enum, default_value = "sh")]
    pub shell: crate::launch::shell::Shell,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Profile to serve (default: the configured default).
    pub profile: Option<String>,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Allow a non-loopback --host (anyone who can reach it and has the token can use your keys).
    #[arg(long)]
    pub allow_remote: bool,
    /// Take the session token from this environment variable instead of a random one.
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
    /// Do not stop at a used-up budget.
    #[arg(long)]
    pub ignore_budget: bool,
    /// Syntax of the printed environment lines.
    #[arg(long, value_enum, default_value = "sh")]
    pub shell: crate::launch::shell::Shell,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// Start: a local date (2026-11-01), date and time (2026-11-01 09:00),
    /// or a span back from now (7d, 12h). Default: 30 days ago.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// End, exclusive; a date alone means the end of that day. Default: now.
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Group the range by this.
    #[arg(long, value_enum)]
    pub by: Option<crate::usage::query::By>,
    /// Only this profile's requests.
    #[arg(long)]
    pub profile: Option<String>,
    /// Print JSON (documented in the README).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (one row per group).
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

// `show NAME [--json]`, for profiles and providers alike. (No doc comment:
// clap would take it for the subcommand's help.)
#[derive(Debug, Args)]
pub struct ShowArgs {
    pub name: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RouteCmd {
    /// Where each kind of Claude Code request would go (slot, targets in
    /// fallback order), and why.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    pub profile: String,
    /// Requests to explain instead of the usual kinds: a Messages request
    /// body, or a captured request (`{"headers": ..., "body": ...}`).
    pub files: Vec<std::path::PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// List profiles.
    #[command(alias = "ls")]
    List(JsonFlag),
    /// Show one profile with its providers and models.
    Show(ShowArgs),
    /// Add a profile.
    Add(ProfileArgs),
    /// Change fields of a profile.
    Edit(ProfileArgs),
    /// Remove a profile.
    #[command(alias = "remove")]
    Rm { name: String },
    /// Set the profile `ccswitch run` uses without a name.
    Default { name: String },
    /// Print a profile and the providers it uses as TOML, without keys,
    /// header values, proxy passwords or budgets: to share it.
    Export { name: String },
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Profile name (letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// Provider for the profile's slots.
    #[arg(long)]
    pub provider: Option<String>,
    /// Main-loop model (ANTHROPIC_MODEL). Default: the preset's suggestion.
    #[arg(long)]
    pub main: Option<String>,
    /// Small-fast model (titles, summaries, background work).
    #[arg(long)]
    pub fast: Option<String>,
    /// Model for the `opus` alias.
    #[arg(long)]
    pub opus: Option<String>,
    /// Model for the `sonnet` alias.
    #[arg(long)]
    pub sonnet: Option<String>,
    /// Model for the `haiku` alias.
    #[arg(long)]
    pub haiku: Option<String>,
    /// Model for subagents.
    #[arg(long)]
    pub subagent: Option<String>,
    /// Serve a slot from another provider: `--via fast=ollama`.
    #[arg(long, value_name = "SLOT=PROVIDER")]
    pub via: Vec<String>,
    /// A short description.
    #[arg(long)]
    pub description: Option<String>,
    /// The main model's context window in tokens, passed to Claude Code;
    /// `auto` takes it from the provider's model list.
    #[arg(long, value_name = "TOKENS|auto")]
    pub context_window: Option<String>,
    /// Remove a field (edit only): fast, opus, sonnet, haiku, subagent,
    /// description, context_window.
    #[arg(long, value_name = "FIELD")]
    pub unset: Vec<String>,
    /// Also make it the default profile.
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProviderCmd {
    /// List providers.
    #[command(alias = "ls")]
    List(JsonFlag),
    /// Show one provider (connection, key source, models, quirks).
    Show(ShowArgs),
    /// Add a provider from a preset (`ccswitch presets` lists them).
    Add(ProviderAddArgs),
    /// Change a provider's API kind, base URL, key source, proxy or CA
    /// file, for every profile that uses it.
    Edit(ProviderEditArgs),
    /// List the models the provider offers now (asks its API).
    Models {
        name: String,
        /// Print a JSON array instead of one id per line.
        #[arg(long)]
        json: bool,
    },
    /// Remove a provider no profile uses.
    #[command(alias = "remove")]
    Rm { name: String },
}

#[derive(Debug, Args)]
pub struct ProviderAddArgs {
    /// Provider name; also the keyring account for its key.
    pub name: String,
    /// Preset id or alias. Default: the preset named like the provider.
    #[arg(long)]
    pub preset: Option<String>,
    /// API kind: anthropic, openai, bedrock, vertex.
    #[arg(long)]
    pub api: Option<String>,
    /// Base URL (overrides the preset's).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Read the key from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<String>,
    /// Read the key from this command's output (run without a shell).
    #[arg(long, value_name = "CMD")]
    pub key_command: Option<String>,
    /// Upstream proxy: http://, https:// or socks5:// URL.
    #[arg(long)]
    pub proxy: Option<String>,
    /// Extra trusted CA certificate (PEM).
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProviderEditArgs {
    /// Provider name.
    pub name: String,
    /// API kind: anthropic, openai, bedrock, vertex (one its preset has an
    /// endpoint for). Without --base-url, the preset's URL follows; a URL
    /// of your own stays (Bedrock and Vertex drop it).
    #[arg(long)]
    pub api: Option<String>,
    /// Base URL (overrides the preset's).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Read the key from this environment variable (replaces the key's sources).
    #[arg(long, value_name = "VAR", conflicts_with = "key_command")]
    pub key_env: Option<String>,
    /// Read the key from this command's output, run without a shell
    /// (replaces the key's sources).
    #[arg(long, value_name = "CMD")]
    pub key_command: Option<String>,
    /// Upstream proxy: http://, https:// or socks5:// URL.
    #[arg(long)]
    pub proxy: Option<String>,
    /// Extra trusted CA certificate (PEM).
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<String>,
    /// Remove a field: base_url (back to the preset's), key (back to the
    /// default source), proxy, ca_file.
    #[arg(long, value_name = "FIELD")]
    pub unset: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Store a provider's key: typed without echo, or piped on stdin.
    Set {
        provider: String,
        /// Store in the plaintext credentials file (0600) instead of the OS keyring.
        #[arg(long)]
        file: bool,
        /// Add the key to the provider's key pool (in the keyring, under
        /// the next free label), used when another key is rate-limited.
        #[arg(long, conflicts_with = "file")]
        add: bool,
        /// The label for `--add` (default: the next free number).
        #[arg(long, requires = "add")]
        label: Option<String>,
    },
    /// Remove a provider's stored key (keyring and file).
    #[command(alias = "remove")]
    Rm { provider: String },
    /// Which providers have a key, and from where (never the key itself).
    Status(KeyStatusArgs),
}

#[derive(Debug, Args)]
pub struct KeyStatusArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Do not run key commands (a `pass` or `op` command may prompt, or
    /// take a while); report them as not run.
    #[arg(long)]
    pub no_command: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Validate config.toml and presets.toml; report the first problem.
    Check,
    /// Print a commented example configuration.
    Example,
}
