//! The command line as clap parses it.

use clap::{Args, Parser, Subcommand};

// Help texts are catalog entries (`help.*`), read when clap builds the
// command, so `--help` follows the language as every other message does.
use crate::i18n::text;

#[derive(Debug, Parser)]
#[command(
    name = "ccswitch",
    version,
    about = text("help.about"),
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    // What Claude Code's own "Resume this session with" line names.
    #[arg(
        long,
        value_name = "SESSION",
        num_args = 0..=1,
        default_missing_value = "",
        help = text("help.arg.resume")
    )]
    pub resume: Option<String>,
    /// With `--resume`: what followed `--`, for claude (split off before
    /// clap parses, so other commands' usage and errors stay as they are).
    #[arg(skip)]
    pub claude_args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(about = text("help.profile"), subcommand)]
    Profile(ProfileCmd),
    #[command(about = text("help.provider"), subcommand)]
    Provider(ProviderCmd),
    #[command(about = text("help.key"), subcommand)]
    Key(KeyCmd),
    #[command(about = text("help.presets"))]
    Presets(JsonFlag),
    #[command(about = text("help.paths"))]
    Paths(JsonFlag),
    #[command(about = text("help.config"), subcommand)]
    Config(ConfigCmd),
    #[command(about = text("help.serve"))]
    Serve(ServeArgs),
    #[command(about = text("help.gateway"))]
    Gateway(super::gateway::GatewayArgs),
    #[command(about = text("help.run"))]
    Run(RunArgs),
    #[command(about = text("help.env"))]
    Env(EnvArgs),
    #[command(about = text("help.test"))]
    Test(TestArgs),
    #[command(about = text("help.statusline"))]
    Statusline,
    #[command(about = text("help.usage"))]
    Usage(UsageArgs),
    #[command(about = text("help.route"), subcommand)]
    Route(RouteCmd),
    #[command(about = text("help.search"), subcommand)]
    Search(super::search::SearchCmd),
    #[command(about = text("help.completions"))]
    Completions(CompletionsArgs),
    #[command(about = text("help.man"))]
    Man(super::man::ManArgs),
    #[command(about = text("help.import"))]
    Import(ImportArgs),
    #[command(about = text("help.doctor"))]
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
    #[arg(help = text("help.arg.import_from"), long, value_name = "PATH")]
    pub from: Option<std::path::PathBuf>,
    #[arg(help = text("help.arg.import_dry_run"), long)]
    pub dry_run: bool,
    #[arg(help = text("help.arg.import_keep_env"), long)]
    pub keep_env: bool,
    #[arg(help = text("help.arg.import_key_vars"), long = "key-var", value_name = "VAR")]
    pub key_vars: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(help = text("help.arg.completions_shell"), value_enum)]
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
    #[arg(help = text("help.arg.profile_or_default"), add = super::complete::profiles())]
    pub profile: Option<String>,
    #[arg(help = text("help.arg.test_json"), long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(help = text("help.arg.run_claude"), long, value_name = "PATH")]
    pub claude: Option<std::path::PathBuf>,
    #[arg(help = text("help.arg.run_log_file"), long, value_name = "PATH")]
    pub log_file: Option<std::path::PathBuf>,
    #[arg(help = text("help.arg.run_verbose"), long)]
    pub verbose: bool,
    #[arg(help = text("help.arg.run_quiet"), long, short)]
    pub quiet: bool,
    #[arg(help = text("help.arg.run_ignore_budget"), long)]
    pub ignore_budget: bool,
    #[arg(help = text("help.arg.run_model"), long, value_name = "ENTRY")]
    pub model: Option<String>,
    #[arg(help = text("help.arg.profile_or_default"), add = super::complete::profiles())]
    pub profile: Option<String>,
    #[arg(help = text("help.arg.run_claude_args"), 
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CLAUDE_ARGS"
    )]
    pub claude_args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[arg(help = text("help.arg.profile_or_default"), add = super::complete::profiles())]
    pub profile: Option<String>,
    #[arg(help = text("help.arg.env_shell"), long, value_enum, default_value = "sh")]
    pub shell: crate::launch::shell::Shell,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(help = text("help.arg.serve_profile"), add = super::complete::profiles())]
    pub profile: Option<String>,
    #[arg(help = text("help.arg.serve_port"), long, default_value_t = 0)]
    pub port: u16,
    #[arg(help = text("help.arg.serve_host"), long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    #[arg(help = text("help.arg.serve_allow_remote"), long)]
    pub allow_remote: bool,
    #[arg(help = text("help.arg.serve_token_env"), long, value_name = "NAME")]
    pub token_env: Option<String>,
    #[arg(help = text("help.arg.serve_ignore_budget"), long)]
    pub ignore_budget: bool,
    #[arg(help = text("help.arg.serve_tls_cert"), long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    #[arg(help = text("help.arg.serve_tls_key"), long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    #[arg(help = text("help.arg.serve_gateway"), long, value_name = "STORE", num_args = 0..=1)]
    pub gateway: Option<Option<String>>,
    #[arg(help = text("help.arg.serve_workers"), long, value_name = "N")]
    pub workers: Option<usize>,
    #[arg(help = text("help.arg.serve_admit_first"), long, requires = "gateway")]
    pub admit_first: bool,
    #[arg(help = text("help.arg.serve_shell"), long, value_enum, default_value = "sh")]
    pub shell: crate::launch::shell::Shell,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    #[arg(help = text("help.arg.usage_since"), long, value_name = "WHEN")]
    pub since: Option<String>,
    #[arg(help = text("help.arg.usage_until"), long, value_name = "WHEN")]
    pub until: Option<String>,
    #[arg(help = text("help.arg.usage_by"), long, value_enum)]
    pub by: Option<crate::usage::query::By>,
    #[arg(help = text("help.arg.usage_profile"), long)]
    pub profile: Option<String>,
    #[arg(help = text("help.arg.usage_json"), long, conflicts_with = "csv")]
    pub json: bool,
    #[arg(help = text("help.arg.usage_csv"), long)]
    pub csv: bool,
    #[arg(help = text("help.arg.usage_gateway"), long, value_name = "STORE", num_args = 0..=1)]
    pub gateway: Option<Option<String>>,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    #[arg(help = text("help.arg.json"), long)]
    pub json: bool,
}

// `show NAME [--json]`, for profiles and providers alike. (No doc comment:
// clap would take it for the subcommand's help.)
#[derive(Debug, Args)]
pub struct ShowArgs {
    pub name: String,
    #[arg(help = text("help.arg.json"), long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RouteCmd {
    #[command(about = text("help.route_explain"))]
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[arg(add = super::complete::profiles())]
    pub profile: String,
    #[arg(help = text("help.arg.explain_files"))]
    pub files: Vec<std::path::PathBuf>,
    #[arg(help = text("help.arg.json"), long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    #[command(about = text("help.profile_list"), alias = "ls")]
    List(JsonFlag),
    #[command(about = text("help.profile_show"))]
    Show(ShowArgs),
    #[command(about = text("help.profile_add"))]
    Add(ProfileArgs),
    #[command(about = text("help.profile_edit"))]
    Edit(ProfileArgs),
    #[command(about = text("help.profile_rm"), alias = "remove")]
    Rm { name: String },
    #[command(about = text("help.profile_default"))]
    Default { name: String },
    #[command(about = text("help.profile_export"))]
    Export { name: String },
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[arg(help = text("help.arg.profile_name"))]
    pub name: String,
    #[arg(help = text("help.arg.profile_provider"), long)]
    pub provider: Option<String>,
    #[arg(help = text("help.arg.profile_main"), long)]
    pub main: Option<String>,
    #[arg(help = text("help.arg.profile_fast"), long)]
    pub fast: Option<String>,
    #[arg(help = text("help.arg.profile_opus"), long)]
    pub opus: Option<String>,
    #[arg(help = text("help.arg.profile_sonnet"), long)]
    pub sonnet: Option<String>,
    #[arg(help = text("help.arg.profile_haiku"), long)]
    pub haiku: Option<String>,
    #[arg(help = text("help.arg.profile_subagent"), long)]
    pub subagent: Option<String>,
    #[arg(help = text("help.arg.profile_via"), long, value_name = "SLOT=PROVIDER")]
    pub via: Vec<String>,
    #[arg(help = text("help.arg.profile_description"), long)]
    pub description: Option<String>,
    #[arg(
        help = text("help.arg.profile_context_window"),
        long,
        value_name = "TOKENS|auto"
    )]
    pub context_window: Option<String>,
    #[arg(help = text("help.arg.profile_unset"), long, value_name = "FIELD")]
    pub unset: Vec<String>,
    #[arg(help = text("help.arg.profile_default"), long)]
    pub default: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProviderCmd {
    #[command(about = text("help.provider_list"), alias = "ls")]
    List(JsonFlag),
    #[command(about = text("help.provider_show"))]
    Show(ShowArgs),
    #[command(about = text("help.provider_add"))]
    Add(ProviderAddArgs),
    #[command(about = text("help.provider_edit"))]
    Edit(ProviderEditArgs),
    #[command(about = text("help.provider_models"))]
    Models {
        name: String,
        #[arg(help = text("help.arg.provider_models_json"), long)]
        json: bool,
    },
    #[command(about = text("help.provider_rm"), alias = "remove")]
    Rm { name: String },
}

#[derive(Debug, Args)]
pub struct ProviderAddArgs {
    #[arg(help = text("help.arg.provider_name"))]
    pub name: String,
    #[arg(help = text("help.arg.provider_preset"), long)]
    pub preset: Option<String>,
    #[arg(help = text("help.arg.provider_api"), long)]
    pub api: Option<String>,
    #[arg(help = text("help.arg.provider_base_url"), long)]
    pub base_url: Option<String>,
    #[arg(help = text("help.arg.key_env"), long, value_name = "VAR")]
    pub key_env: Option<String>,
    #[arg(help = text("help.arg.provider_key_command"), long, value_name = "CMD")]
    pub key_command: Option<String>,
    #[arg(help = text("help.arg.provider_proxy"), long)]
    pub proxy: Option<String>,
    #[arg(help = text("help.arg.provider_ca_file"), long, value_name = "PATH")]
    pub ca_file: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProviderEditArgs {
    /// Provider name.
    pub name: String,
    #[arg(help = text("help.arg.provider_edit_api"), long)]
    pub api: Option<String>,
    #[arg(help = text("help.arg.provider_edit_base_url"), long)]
    pub base_url: Option<String>,
    #[arg(
        help = text("help.arg.provider_edit_key_env"),
        long,
        value_name = "VAR",
        conflicts_with = "key_command"
    )]
    pub key_env: Option<String>,
    #[arg(help = text("help.arg.provider_edit_key_command"), long, value_name = "CMD")]
    pub key_command: Option<String>,
    #[arg(help = text("help.arg.provider_edit_proxy"), long)]
    pub proxy: Option<String>,
    #[arg(help = text("help.arg.provider_edit_ca_file"), long, value_name = "PATH")]
    pub ca_file: Option<String>,
    #[arg(help = text("help.arg.provider_edit_unset"), long, value_name = "FIELD")]
    pub unset: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    #[command(about = text("help.key_set"))]
    Set {
        provider: String,
        #[arg(help = text("help.arg.key_set_file"), long)]
        file: bool,
        #[arg(help = text("help.arg.key_set_add"), long, conflicts_with = "file")]
        add: bool,
        #[arg(help = text("help.arg.key_set_label"), long, requires = "add")]
        label: Option<String>,
    },
    #[command(about = text("help.key_rm"), alias = "remove")]
    Rm { provider: String },
    #[command(about = text("help.key_status"))]
    Status(KeyStatusArgs),
}

#[derive(Debug, Args)]
pub struct KeyStatusArgs {
    #[arg(help = text("help.arg.json"), long)]
    pub json: bool,
    #[arg(help = text("help.arg.key_status_no_command"), long)]
    pub no_command: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    #[command(about = text("help.config_check"))]
    Check,
    #[command(about = text("help.config_example"))]
    Example,
}
