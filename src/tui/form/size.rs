//! The form's context window and budget fields: what they start from,
//! what they may hold, and where a save writes them.

use super::{FieldId, Form, FormMode, Values};
use crate::config::edit::{ModelSize, ProfileChange};
use crate::config::{Budget, Config, Profile};
use crate::t;

impl Values {
    /// Fill the context and budget fields from a saved profile: its own
    /// `context_window`, else what its provider knows of the main model
    /// (preset or `[providers.X.models."M"]`).
    pub(super) fn load_sizes(&mut self, cfg: &Config, p: &Profile) {
        let known = cfg
            .providers
            .get(&p.main.provider)
            .and_then(|pr| pr.model(&p.main.model).context);
        self.context = p
            .context_window
            .or(known)
            .map(|n| n.to_string())
            .unwrap_or_default();
        let b = p.budget.unwrap_or_default();
        let show = |n: Option<f64>| n.map(|n| n.to_string()).unwrap_or_default();
        self.daily_usd = show(b.daily_usd);
        self.monthly_usd = show(b.monthly_usd);
        self.daily_tokens = b.daily_tokens.map(|n| n.to_string()).unwrap_or_default();
        self.monthly_tokens = b.monthly_tokens.map(|n| n.to_string()).unwrap_or_default();
    }
}

impl Form {
    /// The main model was chosen in the picker, with the size its preset,
    /// provider or list gives: the context field takes it. Choosing the
    /// same model again without a known size keeps what was typed.
    pub fn picked_main(&mut self, model: &str, context: Option<u64>, max_output: Option<u64>) {
        let same = self.values.main.trim() == model;
        if context.is_some() || !same {
            self.values.context = context.map(|n| n.to_string()).unwrap_or_default();
        }
        self.picked_output = max_output.map(|n| (model.to_string(), n));
        if context.is_some() || !same {
            self.context_of = context.map(|_| model.to_string());
        }
        self.values.main = model.to_string();
    }

    /// A text field changed by typing: a typed window is the user's; a
    /// main model typed over the one the window was filled in for leaves
    /// the field empty rather than wrong.
    pub fn text_edited(&mut self, f: FieldId) {
        match f {
            FieldId::Context => self.context_of = None,
            FieldId::Main => {
                let stale = self
                    .context_of
                    .as_deref()
                    .is_some_and(|m| m != self.values.main.trim());
                if stale {
                    self.values.context.clear();
                    self.context_of = None;
                }
            }
            _ => {}
        }
    }

    /// The budget the fields describe; unparsable fields count as unset
    /// (their own error says why).
    fn budget(&self) -> Budget {
        let v = &self.values;
        let usd = |s: &str| s.trim().parse::<f64>().ok();
        let tokens = |s: &str| s.trim().parse::<u64>().ok();
        Budget {
            daily_usd: usd(&v.daily_usd),
            monthly_usd: usd(&v.monthly_usd),
            daily_tokens: tokens(&v.daily_tokens),
            monthly_tokens: tokens(&v.monthly_tokens),
        }
    }

    /// Why a context or budget field cannot be saved: not a number, or
    /// the config file's own check ([`Budget::bad_field`]) refuses it.
    pub(super) fn size_error(&self, f: FieldId) -> Option<String> {
        let text = self.text(f).trim();
        if text.is_empty() {
            return None;
        }
        if f == FieldId::Context {
            return match text.parse::<u64>() {
                Ok(n) if n > 0 => None,
                _ => Some(t!("form.err_number")),
            };
        }
        let (_, name) = FieldId::BUDGET.into_iter().find(|(b, _)| *b == f)?;
        let parses = if name.ends_with("_usd") {
            text.parse::<f64>().is_ok()
        } else {
            text.parse::<u64>().is_ok()
        };
        if !parses {
            return Some(t!("form.err_amount"));
        }
        // Only this field's own problem: another bad one says so itself.
        let alone = match f {
            FieldId::DailyUsd => Budget {
                daily_usd: self.budget().daily_usd,
                ..Budget::default()
            },
            FieldId::MonthlyUsd => Budget {
                monthly_usd: self.budget().monthly_usd,
                ..Budget::default()
            },
            FieldId::DailyTokens => Budget {
                daily_tokens: self.budget().daily_tokens,
                ..Budget::default()
            },
            _ => Budget {
                monthly_tokens: self.budget().monthly_tokens,
                ..Budget::default()
            },
        };
        alone
            .bad_field()
            .map(|field| t!("config.bad_budget", field = field))
    }

    /// Where a save puts the context window and the budget. A profile
    /// that sets its own `context_window` keeps it there; otherwise the
    /// window is the main model's, recorded under its provider (for every
    /// profile on it) when it differs from what the config knows.
    pub(super) fn size_plan(
        &self,
        saved: Option<&Profile>,
        change: &mut ProfileChange,
    ) -> Option<ModelSize> {
        let v = &self.values;
        let context = v.context.trim().parse::<u64>().ok();
        let own = !matches!(self.mode, FormMode::New)
            && saved.is_some_and(|p| p.context_window.is_some());
        let budget = self.budget();
        if saved.and_then(|p| p.budget).unwrap_or_default() != budget {
            change.budget = Some(budget);
        }
        if own {
            change.context_window = context;
            if context.is_none() {
                change.unset.push("context_window".into());
            }
            return None;
        }
        let model = v.main.trim().to_string();
        let max_output = self
            .picked_output
            .as_ref()
            .filter(|(m, _)| *m == model)
            .map(|(_, n)| *n);
        (context.is_some() || max_output.is_some()).then_some(ModelSize {
            model,
            context,
            max_output,
        })
    }
}
