//! Every integration test, in one test crate: one binary links the whole
//! dependency tree once instead of once per file.

// Test helpers stop at the first failure, which is the test failing.
#![allow(clippy::unwrap_used)]

mod support;

mod abuse;
mod architecture;
mod auto_mode;
mod balance;
mod bedrock;
mod bedrock_claude;
mod bedrock_creds;
mod bedrock_golden;
mod budget;
mod classifier_presets;
mod claude_code;
mod cli;
mod compat;
mod completions;
mod config_files;
mod config_store;
mod discovery;
mod doctor;
mod env_reads;
mod fallback;
mod fallback_claude;
mod foundry;
mod fuzz_replay;
mod gateway;
mod gateway_budget;
mod gateway_pg;
mod gateway_replicas;
mod gateway_serve;
mod gateway_ui;
mod gateway_usage;
mod golden;
mod i18n;
mod import;
mod import_hostile;
#[cfg(unix)]
mod interactive;
mod key_pool;
mod key_refresh;
mod keyring;
// Fake `claude` scripts and signals: Unix.
#[cfg(unix)]
mod launch_safety;
mod ledger_claude;
mod man;
mod menu;
mod menu_claude;
mod metrics;
mod models;
mod packaging;
mod passthrough_golden;
mod probe;
mod profile_show;
mod prompt_cache;
mod provider_edit;
mod proxy_e2e;
mod quirks;
mod routes;
mod run;
mod sdk_conformance;
mod secrets_out;
mod serve;
mod serve_tls;
mod stream_golden;
mod tool_search;
mod translate_golden;
mod translate_history;
mod tui;
mod tui_menu;
mod tui_size;
// Kills `serve` sessions with signals.
#[cfg(unix)]
mod usage;
// Stops `serve` with SIGTERM.
#[cfg(unix)]
mod upstream_net;
mod vertex;
mod vertex_claude;
mod vertex_creds;
mod vertex_golden;
mod web_fetch;
mod web_search;
mod web_search_golden;
mod web_search_loop;
