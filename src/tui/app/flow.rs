//! The form, the connection test, the usage and resume screens: the parts
//! of `App::update` past the home screen (the pickers are in `pick`), and
//! the minute's refreshes.

use super::{
    App, Cmd, Metric, Msg, Overlay, ResumeView, Screen, SessionList, TestView, UsageData, UsageView,
};
use crate::t;
use crate::tui::form::{FieldId, Form, ProviderSel};
use std::time::SystemTime;

impl App {
    /// Open the form: a new profile, or a saved one to edit or duplicate.
    pub(super) fn open_form(&mut self, name: Option<String>, duplicate: bool) -> Screen {
        self.status = None;
        let form = match name {
            Some(n) => Form::from_profile(&self.config, &n, duplicate),
            None => Some(Form::new_profile()),
        };
        let Some(mut form) = form else {
            return Screen::default();
        };
        // A new profile starts where every new profile must: the provider.
        let picker = form.values.name.is_empty().then(|| {
            form.focus = FieldId::Provider;
            self.provider_picker(&form)
        });
        Screen::Form {
            form: Box::new(form),
            picker,
        }
    }

    pub(super) fn update_form(&mut self, mut form: Box<Form>, msg: Msg) -> (Screen, Option<Cmd>) {
        if form.chain.is_some() {
            return self.update_chain(form, msg);
        }
        if form.menu.is_some() {
            return self.update_menu(form, msg);
        }
        let (cfg, presets) = (&self.config, &self.presets);
        let focus = form.focus;
        match msg {
            Msg::Fallbacks => return (self.open_chain(form), None),
            Msg::Up | Msg::Prev => form.step(cfg, presets, -1),
            Msg::Down | Msg::Next => form.step(cfg, presets, 1),
            Msg::Left if focus.is_choice() => form.cycle(cfg, presets, -1),
            Msg::Right if focus.is_choice() => form.cycle(cfg, presets, 1),
            Msg::Char(' ') if focus.is_choice() || focus == FieldId::More => {
                form.cycle(cfg, presets, 1);
            }
            Msg::Char(c) if focus == FieldId::Provider => {
                let mut picker = self.provider_picker(&form);
                picker.type_char(c);
                return (Screen::picking(form, picker), None);
            }
            Msg::Char(c) => {
                if let Some(text) = form.text_mut(focus) {
                    text.push(c);
                }
                form.text_edited(focus);
            }
            Msg::Backspace => {
                if let Some(text) = form.text_mut(focus) {
                    text.pop();
                }
                form.text_edited(focus);
            }
            Msg::Clear => {
                if let Some(text) = form.text_mut(focus) {
                    text.clear();
                }
                form.text_edited(focus);
            }
            Msg::Activate => match focus {
                FieldId::Provider => {
                    let picker = self.provider_picker(&form);
                    return (Screen::picking(form, picker), None);
                }
                f if f.is_model() => {
                    let (picker, cmd) = self.model_picker(&form, f);
                    return (Screen::picking(form, picker), cmd);
                }
                FieldId::Menu => return (self.open_menu(form), None),
                FieldId::More => form.cycle(cfg, presets, 1),
                f if f.is_choice() => form.cycle(cfg, presets, 1),
                _ => form.step(cfg, presets, 1),
            },
            Msg::Save | Msg::Test => {
                if let Some((field, why)) = form.first_error(cfg, presets) {
                    form.tried = true;
                    form.focus = field;
                    if matches!(
                        field,
                        FieldId::Opus
                            | FieldId::Sonnet
                            | FieldId::Haiku
                            | FieldId::Subagent
                            | FieldId::Menu
                            | FieldId::MaxOutput
                            | FieldId::Proxy
                            | FieldId::CaFile
                            | FieldId::Env
                    ) {
                        form.more = true;
                    }
                    self.status = Some(t!("form.fix_first", reason = why));
                    return (Screen::editing(form), None);
                }
                let plan = Box::new(form.plan(cfg));
                if matches!(msg, Msg::Save) {
                    if self.saving {
                        return (Screen::editing(form), None);
                    }
                    self.saving = true;
                    self.status = Some(t!("form.saving"));
                    return (Screen::editing(form), Some(Cmd::Save(plan)));
                }
                let seq = self.next_seq();
                let provider = self.provider_display(&form, &plan.provider.name);
                let model = plan
                    .profile
                    .slots
                    .first()
                    .map(|(_, s)| s.model.clone())
                    .unwrap_or_default();
                let again = Cmd::TestPlan(seq, plan.clone());
                let test = TestView {
                    profile: plan.name.clone(),
                    provider,
                    model,
                    seq,
                    result: None,
                    again: again.clone(),
                };
                let back = Box::new(Screen::editing(form));
                return (Screen::Test { test, back }, Some(again));
            }
            Msg::Cancel | Msg::Quit => {
                if form.dirty() {
                    return (Overlay::ConfirmDiscard.over(Screen::editing(form)), None);
                }
                self.status = None;
                return (Screen::default(), None);
            }
            Msg::Help => return (Overlay::Help.over(Screen::editing(form)), None),
            _ => {}
        }
        (Screen::editing(form), None)
    }

    fn provider_display(&self, form: &Form, name: &str) -> String {
        if let Some(p) = self.config.providers.get(name) {
            return p.display_name.clone();
        }
        match &form.values.provider {
            ProviderSel::New { preset, .. } => self
                .presets
                .get(preset)
                .map_or_else(|| name.to_string(), |p| p.name.clone()),
            _ => name.to_string(),
        }
    }

    pub(super) fn start_test_profile(
        &mut self,
        name: String,
        back: Screen,
    ) -> (Screen, Option<Cmd>) {
        let Some((display, model, api)) = self.config.profiles.get(&name).and_then(|p| {
            let provider = self.config.providers.get(&p.main.provider)?;
            Some((
                provider.display_name.clone(),
                p.main.model.clone(),
                provider.api,
            ))
        }) else {
            return (back, None);
        };
        if !api.uses_base_url() {
            self.status = Some(t!("probe.not_proxied", profile = name, api = api));
            return (back, None);
        }
        let seq = self.next_seq();
        let again = Cmd::TestProfile(seq, name.clone());
        let test = TestView {
            profile: name,
            provider: display,
            model,
            seq,
            result: None,
            again: again.clone(),
        };
        let back = Box::new(back);
        (Screen::Test { test, back }, Some(again))
    }

    pub(super) fn update_test(
        &mut self,
        mut test: TestView,
        back: Box<Screen>,
        msg: Msg,
    ) -> (Screen, Option<Cmd>) {
        match msg {
            Msg::Char('t') | Msg::Test if test.result.is_some() => {
                let seq = self.next_seq();
                test.seq = seq;
                test.result = None;
                test.again = match test.again {
                    Cmd::TestProfile(_, n) => Cmd::TestProfile(seq, n),
                    Cmd::TestPlan(_, p) => Cmd::TestPlan(seq, p),
                    other => other,
                };
                let again = test.again.clone();
                (Screen::Test { test, back }, Some(again))
            }
            // Closing while running drops the result when it comes.
            Msg::Cancel | Msg::Activate | Msg::Quit | Msg::Char('q') => (*back, None),
            _ => (Screen::Test { test, back }, None),
        }
    }
}

/// Read the usage screen's numbers; answers carry the view's `seq`.
fn load(view: &UsageView) -> Cmd {
    Cmd::LoadUsage(view.seq, Box::new(view.query()))
}

// The usage screen.
impl App {
    /// `u` on the list: every profile's last 30 days, and the selected
    /// profile's budgets.
    pub(super) fn open_usage(&mut self) -> (Screen, Option<Cmd>) {
        self.status = None;
        let view = UsageView {
            profile: self.current().map(|r| r.name.clone()),
            all: true,
            metric: None,
            seq: self.next_seq(),
            data: None,
        };
        let cmd = load(&view);
        (Screen::Usage(Box::new(view)), Some(cmd))
    }

    pub(super) fn update_usage(
        &mut self,
        mut view: Box<UsageView>,
        msg: Msg,
    ) -> (Screen, Option<Cmd>) {
        match msg {
            Msg::Char('c') => {
                view.metric = Some(match view.metric() {
                    Metric::Cost => Metric::Tokens,
                    Metric::Tokens => Metric::Cost,
                });
                (Screen::Usage(view), None)
            }
            Msg::Char('a') if view.profile.is_some() => {
                view.all = !view.all;
                view.seq = self.next_seq();
                view.data = None;
                let cmd = load(&view);
                (Screen::Usage(view), Some(cmd))
            }
            // The list's last-used and 7-day lines were not refreshed while
            // this screen was up.
            Msg::Cancel | Msg::Quit | Msg::Usage => (Screen::default(), Some(Cmd::ReadRecent)),
            _ => (Screen::Usage(view), None),
        }
    }

    /// A load finished; answers to an older scope are dropped.
    pub(super) fn usage_arrived(&mut self, seq: u64, result: Result<UsageData, String>) {
        if let Screen::Usage(view) = &mut self.screen
            && view.seq == seq
        {
            view.data = Some(result);
        }
    }

    /// What a minute of ticks refreshes: what is on screen.
    /// The balances to ask for at `now` (see `balance_refresh`): on the
    /// list only, where the detail pane shows them; the selected
    /// profile's provider first, then the other visible ones, each if its
    /// balance can be asked without running a key command and the cache
    /// does not hold a fresh one.
    pub(super) fn balances_due(&mut self, now: SystemTime) -> Option<Cmd> {
        let mut providers: Vec<String> = Vec::new();
        if matches!(self.screen, Screen::Home { .. }) {
            let selected = self.current().map(|r| r.provider.clone());
            let visible = self.visible().into_iter().map(|r| r.provider.clone());
            for p in selected.into_iter().chain(visible) {
                if !providers.contains(&p) {
                    providers.push(p);
                }
            }
        }
        let (config, cached) = (&self.config, &self.balances);
        let askable = |name: &str| {
            config
                .providers
                .get(name)
                .is_some_and(crate::checks::balance::asked_unprompted)
                && !cached.get(name).is_some_and(|e| e.is_fresh(now))
        };
        let due = self.balance_asks.due(now, providers, askable);
        (!due.is_empty()).then_some(Cmd::RefreshBalances(due))
    }

    pub(super) fn refresh(&self) -> Cmd {
        match &self.screen {
            Screen::Usage(view) => load(view),
            _ => Cmd::ReadRecent,
        }
    }
}

// The resume screen.
impl App {
    /// `r` on the list: the selected profile's recent sessions in this
    /// folder. With the ledger off, none of its rows says whose a session
    /// is now (a session may have been resumed on another profile since),
    /// so every session is one it does not know.
    pub(super) fn open_resume(&mut self, profile: String) -> (Screen, Option<Cmd>) {
        self.status = None;
        let seq = self.next_seq();
        let cmd = Cmd::ListSessions(seq, profile.clone(), self.config.ledger);
        let view = ResumeView {
            profile,
            seq,
            selected: 0,
            list: None,
        };
        (Screen::Resume(Box::new(view)), Some(cmd))
    }

    pub(super) fn update_resume(
        &mut self,
        mut view: Box<ResumeView>,
        msg: Msg,
    ) -> (Screen, Option<Cmd>) {
        match msg {
            Msg::Up => view.step(-1),
            Msg::Down => view.step(1),
            Msg::Home => view.selected = 0,
            Msg::End => view.step(isize::MAX),
            Msg::Activate => {
                if let Some(s) = view.current() {
                    let args = vec!["--resume".to_string(), s.id.clone()];
                    let cmd = Cmd::Launch(view.profile.clone(), args);
                    return (Screen::Resume(view), Some(cmd));
                }
            }
            Msg::Cancel | Msg::Quit | Msg::Resume => return (Screen::default(), None),
            _ => {}
        }
        (Screen::Resume(view), None)
    }

    /// The listing finished; an answer for a screen since closed is dropped.
    pub(super) fn sessions_arrived(&mut self, seq: u64, result: Result<SessionList, String>) {
        if let Screen::Resume(view) = &mut self.screen
            && view.seq == seq
        {
            view.list = Some(result);
            view.selected = 0;
        }
    }
}
