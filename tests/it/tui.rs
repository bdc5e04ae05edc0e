//! The TUI rendered headless (ratatui TestBackend) and compared with
//! reviewed snapshots, at 80x24 and a wide size; and the real binary in
//! tmux.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use ccswitch::checks::probe::ProbeStep;
use ccswitch::config::{self, Presets};
use ccswitch::i18n::{Lang, set_lang, with_lang};
use ccswitch::proxy::models::ListedModel;
use ccswitch::tui::app::{App, Cmd, KeyState, Msg, SessionList, SessionRow, SpentSoFar, UsageData};
use ccswitch::tui::view::{Theme, draw};
use ccswitch::usage::query::{Sums, UsageGroup};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::text::Line;

const CONFIG: &str = r#"
default = "kimi"
[providers.ds]
preset = "deepseek"
[providers.moon]
preset = "moonshot"
key = { env = "MOONSHOT_API_KEY" }
[providers.local]
preset = "ollama"
[profiles.deepseek]
provider = "ds"
description = "daily driver"
main = "deepseek-v4-pro"
fast = "deepseek-v4-flash"
[profiles.kimi]
provider = "moon"
main = "kimi-k3"
[profiles.mixed]
provider = "ds"
main = "deepseek-v4-pro"
fast = { provider = "local", model = "qwen3-coder" }
"#;

pub(crate) fn mk_app(src: &str) -> App {
    set_lang(Lang::En);
    let cfg = config::parse(Path::new("c.toml"), src, &Presets::builtin()).unwrap();
    let (mut app, _) = App::new(&cfg, &Presets::builtin());
    // The cursor starts on the default (kimi); these screens are drawn
    // from the first profile.
    send(&mut app, Msg::Home);
    send(
        &mut app,
        Msg::KeyChecked("ds".into(), KeyState::Found("keyring".into())),
    );
    send(
        &mut app,
        Msg::KeyChecked(
            "moon".into(),
            KeyState::Missing("env MOONSHOT_API_KEY, keyring".into()),
        ),
    );
    // A fixed clock: "last used" reads the same on every run.
    let now = UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    send(
        &mut app,
        Msg::LastUsed(
            [("deepseek".to_string(), now - Duration::from_secs(2 * 3600))].into(),
            now,
        ),
    );
    app
}

/// Send a message that asks the run loop for nothing.
#[track_caller]
pub(crate) fn send(app: &mut App, msg: Msg) {
    assert_eq!(app.update(msg), None);
}

pub(crate) fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        send(app, Msg::Char(c));
    }
}

pub(crate) fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app, Theme { color: false })).unwrap();
    t.backend().to_string()
}

pub(crate) fn snap(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x32"), render(app, 120, 32));
}

/// The app on `CONFIG` after these messages.
fn app_after(msgs: impl IntoIterator<Item = Msg>) -> App {
    let mut app = mk_app(CONFIG);
    for msg in msgs {
        send(&mut app, msg);
    }
    app
}

/// The 80x24 screen shows `text`.
#[track_caller]
fn shows(app: &App, text: &str) {
    let screen = render(app, 80, 24);
    assert!(screen.contains(text), "{screen}");
}

#[test]
fn empty() {
    snap("empty", &mk_app(""));
}

/// A first run on a machine with claude-code-router set up: the empty
/// screen offers the import, and `i` shows everything before it happens.
#[test]
fn first_run_import_offer() {
    let mut app = mk_app("");
    let lines = vec![
        "From /home/ana/.claude-code-router/config.json:".to_string(),
        "  provider deepseek: deepseek (openai), key = { env = \"DEEPSEEK_API_KEY\" }".to_string(),
        "  profile ccr: deepseek: main = deepseek-chat".to_string(),
    ];
    send(&mut app, Msg::ImportFound(Some(lines)));
    snap("import_offer", &app);
    send(&mut app, Msg::Char('i'));
    snap("import_confirm", &app);
}

/// Issue 27: the import dialog showed the offer's lines, and the screen
/// behind it showed them again below and beside it, its long line cut.
/// The dialog now covers the screen it was opened from, and each line
/// shows once, whole.
#[test]
fn the_import_dialog_shows_each_line_once_and_whole() {
    let mut app = mk_app("");
    let lines = vec![
        "From /home/ana/.claude-code-router/config.json:".to_string(),
        "  provider deepseek: deepseek (openai), https://api.deepseek.com, key = { env = \
         \"DEEPSEEK_API_KEY\" }"
            .to_string(),
        "  profile ccr: deepseek: main = deepseek-chat".to_string(),
    ];
    send(&mut app, Msg::ImportFound(Some(lines)));
    send(&mut app, Msg::Char('i'));
    let screen = render(&app, 80, 24);
    for part in [
        "From /home/ana/.claude-code-router/config.json:",
        "profile ccr: deepseek: main = deepseek-chat",
        "provider deepseek: deepseek (openai)",
        "\"DEEPSEEK_API_KEY\" }",
        "y = import",
    ] {
        assert_eq!(screen.matches(part).count(), 1, "{part}\n{screen}");
    }
    assert!(!screen.contains("Found an existing setup"), "{screen}");
}

/// More lines than the screen has rows: the question stays in sight, and
/// a last line says how many are not shown and where they all are.
#[test]
fn a_long_import_keeps_its_question_in_sight() {
    let mut app = mk_app("");
    let lines: Vec<String> = (1..=40)
        .map(|i| format!("  provider p{i}: custom-openai (openai), http://10.0.0.{i}:8000/v1"))
        .collect();
    send(&mut app, Msg::ImportFound(Some(lines)));
    send(&mut app, Msg::Char('i'));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("y = import"), "{screen}");
    assert!(screen.contains("provider p1:"), "{screen}");
    assert!(!screen.contains("provider p40:"), "{screen}");
    assert!(
        screen.contains("more lines: `ccswitch import --dry-run` lists them all"),
        "{screen}"
    );
}

#[test]
fn populated_list() {
    snap("populated", &mk_app(CONFIG));
}

#[test]
fn selected_profile_with_a_slot_on_another_provider() {
    snap("mixed_selected", &app_after([Msg::End]));
}

/// A running session's breaker opened on deepseek's main target: the list
/// marks both profiles that start there, and the detail says since when.
/// DeepSeek's pro model failed three times, half a minute before the
/// clock the tests hold.
fn ds_pro_failing() -> ccswitch::circuits::Circuit {
    ccswitch::circuits::Circuit {
        provider: "ds".into(),
        model: "deepseek-v4-pro".into(),
        since: 1_790_000_000 - 180,
        until: 1_790_000_000 - 150,
        failures: 3,
        profile: "mixed".into(),
    }
}

#[test]
fn a_failing_first_target_is_marked() {
    let mut app = mk_app(CONFIG);
    send(&mut app, Msg::Circuits(vec![ds_pro_failing()]));
    snap("breaker_open", &app);
}

#[test]
fn missing_key() {
    snap("missing_key", &app_after([Msg::Down]));
}

#[test]
fn filter_active() {
    let mut app = app_after([Msg::Filter]);
    typed(&mut app, "deep");
    snap("filter", &app);
}

#[test]
fn help() {
    snap("help", &app_after([Msg::Help]));
}

#[test]
fn confirm_delete() {
    snap("confirm_delete", &app_after([Msg::Delete]));
}

#[test]
fn provider_picker() {
    let mut app = app_after([Msg::New]);
    snap("picker_provider", &app);
    typed(&mut app, "kimi");
    snap("picker_provider_filtered", &app);
}

/// A new profile from the DeepSeek preset, with the key typed.
fn new_deepseek() -> App {
    let mut app = app_after([Msg::New]);
    typed(&mut app, "deepseek");
    send(&mut app, Msg::Down);
    send(&mut app, Msg::Activate);
    typed(&mut app, "sk-secret");
    app
}

#[test]
fn form_new_from_preset() {
    let app = new_deepseek();
    let screen = render(&app, 120, 32);
    assert!(!screen.contains("sk-secret"), "the key is masked");
    snap("form_new", &app);
}

#[test]
fn form_with_validation_errors() {
    let mut app = new_deepseek();
    send(&mut app, Msg::Clear); // the key
    for _ in 0..3 {
        send(&mut app, Msg::Prev);
    }
    send(&mut app, Msg::Clear);
    typed(&mut app, "ftp://nowhere");
    send(&mut app, Msg::Prev);
    send(&mut app, Msg::Prev);
    send(&mut app, Msg::Clear);
    typed(&mut app, "kimi");
    send(&mut app, Msg::Save);
    snap("form_errors", &app);
}

#[test]
fn form_edit_with_more_options() {
    let mut app = app_after([Msg::End, Msg::Edit]);
    // Down to More, past the saved provider's API row and the context
    // window.
    for _ in 0..10 {
        send(&mut app, Msg::Next);
    }
    send(&mut app, Msg::Activate);
    assert!(app.screen.form().unwrap().more);
    snap("form_edit_more", &app);
}

fn model_picker() -> (App, u64) {
    let mut app = app_after([Msg::Edit]);
    // Down to the main model, past the saved provider's API row.
    for _ in 0..6 {
        send(&mut app, Msg::Next);
    }
    let Some(Cmd::FetchModels(seq, _)) = app.update(Msg::Activate) else {
        panic!("the model picker fetches")
    };
    (app, seq)
}

/// A profile whose main slot falls back to two other targets: the form
/// shows the chain after the model, and Ctrl-F opens the editor.
#[test]
fn fallback_chain_editor() {
    let src = CONFIG.replace(
        "[profiles.kimi]\nprovider = \"moon\"\nmain = \"kimi-k3\"",
        "[profiles.kimi]\nprovider = \"moon\"\nmain = [\"kimi-k3\", \"kimi-k2\", \
         { provider = \"ds\", model = \"deepseek-v4-pro\" }]",
    );
    let mut app = mk_app(&src);
    send(&mut app, Msg::Down);
    send(&mut app, Msg::Edit);
    app.screen.form_mut().unwrap().focus = ccswitch::tui::form::FieldId::Main;
    snap("form_chain", &app);
    send(&mut app, Msg::Fallbacks);
    send(&mut app, Msg::Down);
    snap("chain_editor", &app);
}

#[test]
fn model_picker_loading_loaded_failed() {
    let (app, _) = model_picker();
    snap("picker_model_loading", &app);
    let loaded = |list: Result<Vec<ListedModel>, String>| {
        let (mut app, seq) = model_picker();
        send(&mut app, Msg::Models(seq, list));
        app
    };
    let app = loaded(Ok(vec!["deepseek-chat".into(), "deepseek-reasoner".into()]));
    snap("picker_model_loaded", &app);
    let mut app = loaded(Err("HTTP 401: Authentication Fails (no such user)".into()));
    typed(&mut app, "deepseek-v9");
    snap("picker_model_failed", &app);
}

#[test]
fn connection_test_screen() {
    let mut app = mk_app(CONFIG);
    let Some(Cmd::TestProfile(seq, _)) = app.update(Msg::Test) else {
        panic!("t tests")
    };
    snap("test_running", &app);
    let step = |id, ok, detail: &str, ms| ProbeStep {
        id,
        ok,
        detail: detail.into(),
        ms,
    };
    let reached = || step("reach", true, "", None);
    let passed = vec![
        reached(),
        step("auth", true, "", None),
        step("model", true, "deepseek-v4-pro", None),
        step("stream", true, "\"pong\" in 840 ms", Some(610)),
        step("tool", true, "echo_number {\"n\":42}", None),
        step("tool_result", true, "42", None),
    ];
    send(&mut app, Msg::Tested(seq, Ok(passed)));
    snap("test_passed", &app);
    send(&mut app, Msg::Cancel);
    let Some(Cmd::TestProfile(seq, _)) = app.update(Msg::Test) else {
        panic!("t tests")
    };
    let rejected = step(
        "auth",
        false,
        "the provider rejected the key: check `ccswitch key status` (Authentication Fails)",
        None,
    );
    send(&mut app, Msg::Tested(seq, Ok(vec![reached(), rejected])));
    snap("test_failed", &app);
}

#[test]
fn form_help_and_discard() {
    let mut app = new_deepseek();
    send(&mut app, Msg::Help);
    snap("form_help", &app);
    send(&mut app, Msg::Cancel);
    send(&mut app, Msg::Cancel);
    snap("form_discard", &app);
}

/// `CONFIG` with a budget on `deepseek` and a token budget on its provider.
fn budgets() -> String {
    CONFIG
        .replace(
            "description = \"daily driver\"\n",
            "description = \"daily driver\"\nbudget = { daily_usd = 5, monthly_usd = 100 }\n",
        )
        .replace(
            "[providers.ds]\npreset = \"deepseek\"\n",
            "[providers.ds]\npreset = \"deepseek\"\nbudget = { monthly_tokens = 900_000_000 }\n",
        )
}

fn mk_sums(requests: u64, input: u64, cache_read: u64, cost_usd: f64) -> Sums {
    Sums {
        requests,
        input_tokens: input,
        output_tokens: input / 20,
        cache_read_tokens: cache_read,
        cost_usd,
        cache_read_cost_usd: cost_usd / 5.0,
        ..Sums::default()
    }
}

fn add(a: &Sums, b: &Sums) -> Sums {
    Sums {
        requests: a.requests + b.requests,
        errors: a.errors + b.errors,
        input_tokens: a.input_tokens + b.input_tokens,
        output_tokens: a.output_tokens + b.output_tokens,
        cache_read_tokens: a.cache_read_tokens + b.cache_read_tokens,
        cache_write_tokens: a.cache_write_tokens + b.cache_write_tokens,
        reasoning_tokens: a.reasoning_tokens + b.reasoning_tokens,
        cost_usd: a.cost_usd + b.cost_usd,
        cache_read_cost_usd: a.cache_read_cost_usd + b.cache_read_cost_usd,
        unpriced_requests: a.unpriced_requests + b.unpriced_requests,
    }
}

/// Thirty days up to 2026-11-12, quiet at weekends, with one unpriced
/// local model; `today_usd` and `month_usd` are the deepseek profile's
/// spend against its $5 / $100 budget.
fn mk_usage(today_usd: f64, month_usd: f64) -> UsageData {
    let dates = (14..=31)
        .map(|d| format!("2026-10-{d:02}"))
        .chain((1..=12).map(|d| format!("2026-11-{d:02}")));
    let days: Vec<(String, Sums)> = dates
        .enumerate()
        .map(|(i, date)| {
            let busy = [0, 3, 5, 6, 4, 1, 0][i % 7] as f64 + (i as f64) / 10.0;
            let tokens = (busy * 2_000_000.0) as u64;
            (
                date,
                mk_sums(busy as u64 * 40, tokens / 8, tokens, busy * 0.42),
            )
        })
        .collect();
    let local = Sums {
        requests: 37,
        input_tokens: 820_000,
        output_tokens: 41_000,
        unpriced_requests: 37,
        ..Sums::default()
    };
    let total = days.iter().fold(local.clone(), |t, (_, s)| add(&t, s));
    let pro = mk_sums(2100, 9_800_000, 71_000_000, 38.9);
    let flash = mk_sums(910, 2_100_000, 9_500_000, total.cost_usd - 38.9);
    let models = vec![
        UsageGroup {
            key: "ds/deepseek-v4-pro".into(),
            sums: pro,
        },
        UsageGroup {
            key: "ds/deepseek-v4-flash".into(),
            sums: flash,
        },
        UsageGroup {
            key: "local/qwen3-coder".into(),
            sums: local,
        },
    ];
    let spent = |today: f64, month: f64| SpentSoFar {
        today: mk_sums(12, 300_000, 2_000_000, today),
        month: mk_sums(900, 40_000_000, 300_000_000, month),
    };
    UsageData {
        recorded: true,
        days,
        total,
        models,
        profile_spent: spent(today_usd, month_usd),
        provider_spent: vec![("ds".into(), spent(today_usd + 1.0, month_usd + 20.0))],
    }
}

/// The usage screen opened on `deepseek` with `data` loaded.
fn usage_screen(data: UsageData) -> App {
    let mut app = mk_app(&budgets());
    let Some(Cmd::LoadUsage(seq, _)) = app.update(Msg::Usage) else {
        panic!("u loads the usage")
    };
    send(&mut app, Msg::UsageLoaded(seq, Box::new(Ok(data))));
    app
}

#[test]
fn usage_screen_cost_and_tokens() {
    let mut app = usage_screen(mk_usage(1.2, 42.0));
    snap("usage_cost", &app);
    send(&mut app, Msg::Char('c'));
    snap("usage_tokens", &app);
}

#[test]
fn usage_screen_before_anything_was_recorded() {
    let app = usage_screen(UsageData::default());
    shows(&app, "ccswitch run");
    snap("usage_empty", &app);
}

#[test]
fn budget_gauges_under_near_and_over_the_limit() {
    for (name, today, month) in [
        ("budget_under", 1.2, 42.0),
        ("budget_near", 4.1, 85.0),
        ("budget_over", 5.6, 112.5),
    ] {
        let app = usage_screen(mk_usage(today, month));
        insta::assert_snapshot!(name, render(&app, 80, 24));
    }
}

#[test]
fn budget_colours_follow_the_share_used() {
    // (today, month) → the colour of the line's figures.
    for (today, want) in [(1.2, Color::Green), (4.1, Color::Yellow), (5.6, Color::Red)] {
        let app = usage_screen(mk_usage(today, 10.0));
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| draw(f, &app, Theme { color: true })).unwrap();
        let buf = t.backend().buffer();
        let today_line = (0..24)
            .find(|&y| {
                let row: String = (0..80).map(|x| buf[(x, y)].symbol()).collect();
                row.contains(" today ") && row.contains("/ $5")
            })
            .expect("a gauge for today's $5");
        let dollar = (40..80)
            .find(|&x| buf[(x, today_line)].symbol() == "/")
            .expect("the figures");
        assert_eq!(buf[(dollar, today_line)].fg, want, "today at ${today}");
    }
}

#[test]
fn usage_screen_without_a_budget_says_how_to_set_one() {
    let mut app = mk_app(&budgets());
    send(&mut app, Msg::Down);
    let Some(Cmd::LoadUsage(seq, _)) = app.update(Msg::Usage) else {
        panic!("u loads the usage")
    };
    send(
        &mut app,
        Msg::UsageLoaded(seq, Box::new(Ok(mk_usage(0.0, 0.0)))),
    );
    insta::assert_snapshot!("usage_no_budget", render(&app, 80, 24));
    // Only kimi's requests: loading until they come.
    let Some(Cmd::LoadUsage(_, q)) = app.update(Msg::Char('a')) else {
        panic!("a loads again")
    };
    assert_eq!(q.profile.as_deref(), Some("kimi"));
    shows(&app, "Reading the usage ledger");
}

#[test]
fn home_detail_shows_the_last_seven_days() {
    let mut app = mk_app(CONFIG);
    let week = [
        (
            "deepseek".to_string(),
            mk_sums(830, 1_200_000, 25_000_000, 1.234),
        ),
        (
            "kimi".to_string(),
            Sums {
                requests: 3,
                input_tokens: 5_000,
                unpriced_requests: 3,
                ..Sums::default()
            },
        ),
    ];
    send(&mut app, Msg::Week(Ok(week.into())));
    snap("home_week", &app);
    send(&mut app, Msg::Down);
    shows(&app, "7 days    price unknown · 5.0k tokens");
    send(&mut app, Msg::Down);
    shows(&app, "7 days    no requests");
}

/// The detail pane: a slot's fallback chain under it, and the budgets the
/// profile's requests count against (its own, then its providers').
#[test]
fn home_detail_shows_fallbacks_and_budgets() {
    let src = budgets().replace(
        "main = \"deepseek-v4-pro\"\nfast = \"deepseek-v4-flash\"",
        "main = [\"deepseek-v4-pro\", { provider = \"moon\", model = \"kimi-k3\" }, \
         \"deepseek-v4-flash\"]\nfast = \"deepseek-v4-flash\"",
    );
    let app = mk_app(&src);
    shows(&app, "fallbacks moon/kimi-k3 → ds/deepseek-v4-flash");
    shows(&app, "budget    $5 a day · $100 a month");
    shows(&app, "ds budget 900.0M tokens a month (all profiles)");
    snap("home_fallbacks_budgets", &app);
}

/// Four sessions in `/home/ana/shop`: one the ledger does not know, one
/// without a prompt, one with a Chinese title; two more were other
/// profiles'.
fn mk_sessions() -> SessionList {
    let now = UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    let row = |id: &str, ago_secs: u64, title: Option<&str>, unknown| SessionRow {
        id: id.into(),
        modified: now - Duration::from_secs(ago_secs),
        title: title.map(str::to_string),
        unknown,
    };
    SessionList {
        folder: "/home/ana/shop".into(),
        sessions: vec![
            row(
                "0b5c2e6a-1f0e-4c6b-9d7a-5e2f8c1d3b4a",
                5 * 60,
                Some("Fix the flaky checkout test in tests/cart.rs"),
                false,
            ),
            row(
                "7e1d9a40-52c3-4f8e-b1a6-0c9d2e7f4a18",
                3 * 3600,
                Some(
                    "Add a --dry-run flag to the import command and print what each source would become",
                ),
                true,
            ),
            row(
                "c41f0b2e-9a7d-4e35-8b60-d2f1a3c5e907",
                2 * 86_400,
                None,
                false,
            ),
            row(
                "5d2e8f71-3b4c-4a9e-8f10-6c7d8e9fa0b1",
                12 * 86_400,
                Some("修复登录页面在窄屏上的布局问题"),
                false,
            ),
        ],
        others: 2,
        now,
    }
}

/// `r` on the list: the selected profile's sessions in this folder, newest
/// first, those the ledger does not know marked; the status line has the
/// whole id Enter resumes.
#[test]
fn resume_screen() {
    let mut app = mk_app(CONFIG);
    let Some(Cmd::ListSessions(seq, profile, true)) = app.update(Msg::Resume) else {
        panic!("r lists the sessions")
    };
    assert_eq!(profile, "deepseek");
    shows(&app, "Reading this folder's");
    send(&mut app, Msg::Sessions(seq, Box::new(Ok(mk_sessions()))));
    snap("resume", &app);
    send(&mut app, Msg::Down);
    shows(
        &app,
        "Enter resumes session 7e1d9a40-52c3-4f8e-b1a6-0c9d2e7f4a18",
    );
    assert_eq!(
        app.update(Msg::Activate),
        Some(Cmd::Launch(
            "deepseek".into(),
            vec![
                "--resume".into(),
                "7e1d9a40-52c3-4f8e-b1a6-0c9d2e7f4a18".into()
            ]
        ))
    );
}

/// A folder without the profile's sessions says so, and why.
#[test]
fn resume_screen_without_sessions() {
    let mut app = mk_app(CONFIG);
    let Some(Cmd::ListSessions(seq, ..)) = app.update(Msg::Resume) else {
        panic!("r lists the sessions")
    };
    let none = SessionList {
        sessions: Vec::new(),
        ..mk_sessions()
    };
    send(&mut app, Msg::Sessions(seq, Box::new(Ok(none))));
    snap("resume_empty", &app);
}

#[test]
fn the_help_lists_the_resume_key() {
    shows(
        &app_after([Msg::Help]),
        "r            resume a recent session in this folder",
    );
}

#[test]
fn not_a_terminal_exits_2_with_a_pointer() {
    let home = crate::support::Home::new();
    let r = home.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ccswitch run PROFILE"), "{}", r.stderr);
}

/// The screen as text, one row a line, each wide character once. (The
/// test backend's own text adds a note per row of where wide characters
/// hide cells, which buries a Chinese screen.)
pub(crate) fn render_cells(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app, Theme { color: false })).unwrap();
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let s = buf[(x, y)].symbol();
            out.push_str(s);
            x += u16::try_from(Line::from(s).width().max(1)).unwrap();
        }
        out.push('\n');
    }
    out
}

/// Every row between the top and bottom borders of a pane that reaches
/// the screen's right edge still ends in its border.
#[track_caller]
fn right_border_intact(app: &App, w: u16, h: u16) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app, Theme { color: false })).unwrap();
    let buf = t.backend().buffer();
    // Rows 1 and h-3 are the corners; the last two are status and keys.
    for y in 2..h - 3 {
        assert_eq!(
            buf[(w - 1, y)].symbol(),
            "│",
            "row {y} ran over the border:\n{}",
            render_cells(app, w, h)
        );
    }
}

/// Issue 27, wart 12: in Chinese at 80x24, a description of 53 cells was
/// drawn in the detail pane's row of 52, its last character over the
/// right border (ratatui's wrapping let a wide character into a row's
/// last free cell). Rows now wrap by display width, and may break between
/// Chinese characters, which have no spaces between them.
#[test]
fn chinese_detail_wraps_inside_its_pane() {
    with_lang(Lang::ZhCn, || {
        let src = budgets().replace(
            "daily driver",
            "DeepSeek 官方接口：失败时先改用月之暗面，再用本地模型",
        );
        let mut app = mk_app(&src);
        send(&mut app, Msg::Circuits(vec![ds_pro_failing()]));
        right_border_intact(&app, 80, 24);
        insta::assert_snapshot!("home_zh_80x24", render_cells(&app, 80, 24));
    });
}

/// The connection test in Chinese: the steps' details start in one
/// column (labels were padded by characters, and a Chinese one takes two
/// cells a character), and a long reason wraps inside the box.
#[test]
fn chinese_test_screen_lines_up_and_wraps_inside_its_box() {
    with_lang(Lang::ZhCn, || {
        let mut app = mk_app(CONFIG);
        let Some(Cmd::TestProfile(seq, _)) = app.update(Msg::Test) else {
            panic!("t tests")
        };
        let step = |id, ok, detail: &str| ProbeStep {
            id,
            ok,
            detail: detail.into(),
            ms: None,
        };
        let steps = vec![
            step("reach", true, ""),
            step("model", true, "deepseek-v4-pro"),
            step("tool_result", true, "42"),
            step(
                "auth",
                false,
                "提供商拒绝了该密钥：请检查 `ccswitch key status`（Authentication Fails: the \
                 API key you sent is not valid for this endpoint）",
            ),
        ];
        send(&mut app, Msg::Tested(seq, Ok(steps)));
        right_border_intact(&app, 80, 24);
        let screen = render_cells(&app, 80, 24);
        // Cells before `detail` on the row of step `label`.
        let column = |label: &str, detail: &str| {
            let row = screen.lines().find(|l| l.contains(label)).unwrap();
            Line::from(&row[..row.find(detail).unwrap()]).width()
        };
        assert_eq!(
            column("模型可用", "deepseek-v4-pro"),
            column("工具结果往返", "42"),
            "{screen}"
        );
        insta::assert_snapshot!("test_failed_zh_80x24", screen);
    });
}

/// A provider with no suggested models (a custom one): the fetched list is
/// all the picker has, so it says "3 models from the provider", not
/// "3 more models" (issue 27, wart 13).
#[test]
fn a_model_list_with_nothing_suggested_is_not_more() {
    let src = "[providers.c]\npreset = \"custom-openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n\
               [profiles.c]\nprovider = \"c\"\nmain = \"m1\"\n";
    let mut app = mk_app(src);
    send(&mut app, Msg::Edit);
    app.screen.form_mut().unwrap().focus = ccswitch::tui::form::FieldId::Main;
    let Some(Cmd::FetchModels(seq, _)) = app.update(Msg::Activate) else {
        panic!("the model picker fetches")
    };
    assert!(
        app.screen.picker().unwrap().items.is_empty(),
        "nothing suggested"
    );
    send(
        &mut app,
        Msg::Models(seq, Ok(vec!["m1".into(), "m2".into(), "m3".into()])),
    );
    shows(&app, "3 models from the provider");
    assert!(!render(&app, 80, 24).contains("more model"));
}

/// The detail pane shows the profile's provider's last balance, as the
/// cache holds it; an old one says how old.
#[test]
fn the_detail_pane_shows_the_providers_balance() {
    use ccswitch::proxy::upstream::balance::{Balance, Money, cache::Entry};
    let now = 1_790_000_000;
    let entry = |at: u64, amount: f64| Entry {
        checked: at,
        balance: Some(Balance {
            left: vec![Money::new("CNY", amount)],
            key_left: None,
            empty: false,
        }),
        at,
        error: None,
        error_code: None,
    };
    let app = app_after([Msg::Balances(
        [("ds".to_string(), entry(now - 10, 110.0))].into(),
    )]);
    shows(&app, "balance   ¥110.00 left");
    let app = app_after([Msg::Balances(
        [("ds".to_string(), entry(now - 7200, 2.5))].into(),
    )]);
    shows(&app, "balance   ¥2.50 left (2 h ago)");
}
