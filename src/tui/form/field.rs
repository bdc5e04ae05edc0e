//! The form's fields, and where a provider's key can come from.

use crate::t;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldId {
    Name,
    Provider,
    BaseUrl,
    Api,
    KeyFrom,
    Key,
    Main,
    /// The main model's context window (Claude Code's
    /// `CLAUDE_CODE_MAX_CONTEXT_TOKENS`).
    Context,
    Fast,
    Description,
    /// The "more options" row that shows or hides the fields below it.
    More,
    Opus,
    Sonnet,
    Haiku,
    Subagent,
    /// The profile's model menu: more models for `/model`, from any
    /// provider (edited in its own editor).
    Menu,
    MaxOutput,
    /// The profile's `budget = { daily_usd, monthly_usd, daily_tokens,
    /// monthly_tokens }`.
    DailyUsd,
    MonthlyUsd,
    DailyTokens,
    MonthlyTokens,
    Proxy,
    CaFile,
    Env,
}

impl FieldId {
    /// The model fields, in the form's order.
    pub const ALL_MODELS: [FieldId; 6] = [
        FieldId::Main,
        FieldId::Fast,
        FieldId::Opus,
        FieldId::Sonnet,
        FieldId::Haiku,
        FieldId::Subagent,
    ];

    /// Fields that hold a model id (Enter opens the model picker).
    pub fn is_model(self) -> bool {
        matches!(
            self,
            FieldId::Main
                | FieldId::Fast
                | FieldId::Opus
                | FieldId::Sonnet
                | FieldId::Haiku
                | FieldId::Subagent
        )
    }

    /// Fields changed with ←/→ rather than typed into.
    pub fn is_choice(self) -> bool {
        matches!(self, FieldId::Api | FieldId::KeyFrom)
    }

    /// The budget fields, by their names in the config file.
    pub const BUDGET: [(FieldId, &'static str); 4] = [
        (FieldId::DailyUsd, "daily_usd"),
        (FieldId::MonthlyUsd, "monthly_usd"),
        (FieldId::DailyTokens, "daily_tokens"),
        (FieldId::MonthlyTokens, "monthly_tokens"),
    ];

    pub fn slot(self) -> Option<&'static str> {
        Some(match self {
            FieldId::Main => "main",
            FieldId::Fast => "fast",
            FieldId::Opus => "opus",
            FieldId::Sonnet => "sonnet",
            FieldId::Haiku => "haiku",
            FieldId::Subagent => "subagent",
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFrom {
    Keyring,
    Env,
    Command,
    None,
}

impl KeyFrom {
    pub fn label(self) -> String {
        match self {
            KeyFrom::Keyring => t!("form.key_from_keyring"),
            KeyFrom::Env => t!("form.key_from_env"),
            KeyFrom::Command => t!("form.key_from_command"),
            KeyFrom::None => t!("form.key_from_none"),
        }
    }
}
