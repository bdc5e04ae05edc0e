//! clap's parse errors in a language other than English: the facts clap
//! gathered (which argument, which value, what was probably meant) in the
//! catalog's words (`[clap]`), laid out as clap lays them out. Kinds this
//! does not know keep clap's English, as do the few hints clap writes as
//! free text that are not recognised here.

use clap::builder::styling::Style;
use clap::builder::{StyledStr, Styles};
use clap::error::{ContextKind, ContextValue, Error, ErrorFormatter, ErrorKind};

use crate::i18n::{fill, text};

/// Whether errors of `kind` can be said in the catalog's words.
pub(super) fn translated(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::UnknownArgument
            | ErrorKind::InvalidSubcommand
            | ErrorKind::InvalidValue
            | ErrorKind::ValueValidation
            | ErrorKind::MissingRequiredArgument
            | ErrorKind::MissingSubcommand
            | ErrorKind::ArgumentConflict
            | ErrorKind::TooManyValues
            | ErrorKind::NoEquals
    )
}

/// The catalog's words for an error of a [`translated`] kind.
pub(super) struct Translated;

impl ErrorFormatter for Translated {
    fn format_error(e: &Error<Self>) -> StyledStr {
        let styles = Styles::default();
        let error = styles.get_error();
        let line = text("clap.error_line");
        let (before, after) = line.split_once("{message}").unwrap_or((line, ""));
        let mut out = format!("{}{}{after}", styled(error, before), message(e));
        let tips = tips(e);
        if !tips.is_empty() {
            out.push('\n');
        }
        for tip in tips {
            out.push_str("\n  ");
            out.push_str(&fill(text("clap.tip_line"), &[("tip", &tip)]));
        }
        if let Some(ContextValue::StyledStr(usage)) = e.get(ContextKind::Usage) {
            let usage = usage.to_string();
            let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage);
            out.push_str("\n\n");
            out.push_str(&usage_line(styles.get_usage(), usage));
        }
        out.push_str("\n\n");
        out.push_str(&fill(text("clap.try_help"), &[("help", &"--help")]));
        out.push('\n');
        StyledStr::from(out)
    }
}

fn string(e: &Error<Translated>, kind: ContextKind) -> Option<&str> {
    match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s),
        _ => None,
    }
}

fn strings(e: &Error<Translated>, kind: ContextKind) -> Vec<String> {
    match e.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(s)) => s.clone(),
        _ => Vec::new(),
    }
}

/// `[possible values: a, b]` under the message, when clap named any.
fn listed(key: &str, name: &str, items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    format!("\n  {}", fill(text(key), &[(name, &items.join(", "))]))
}

fn message(e: &Error<Translated>) -> String {
    let arg = string(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = string(e, ContextKind::InvalidValue).unwrap_or_default();
    let sub = string(e, ContextKind::InvalidSubcommand).unwrap_or_default();
    let say = |key: &str| {
        fill(
            text(key),
            &[("arg", &arg), ("value", &value), ("name", &sub)],
        )
    };
    match e.kind() {
        ErrorKind::UnknownArgument => say("clap.unknown_argument"),
        ErrorKind::InvalidSubcommand => say("clap.unknown_subcommand"),
        ErrorKind::InvalidValue if value.is_empty() => say("clap.value_missing"),
        ErrorKind::InvalidValue => {
            let values = strings(e, ContextKind::ValidValue);
            say("clap.invalid_value") + &listed("clap.possible_values", "values", &values)
        }
        // Why comes from the value's parser (Rust's own words).
        ErrorKind::ValueValidation => match std::error::Error::source(e) {
            Some(why) => fill(
                text("clap.invalid_value_because"),
                &[("arg", &arg), ("value", &value), ("why", &why)],
            ),
            None => say("clap.invalid_value"),
        },
        ErrorKind::MissingRequiredArgument => {
            let mut s = say("clap.missing_arguments");
            for a in strings(e, ContextKind::InvalidArg) {
                s.push_str("\n  ");
                s.push_str(&a);
            }
            s
        }
        ErrorKind::MissingSubcommand => {
            let names = strings(e, ContextKind::ValidSubcommand);
            say("clap.missing_subcommand") + &listed("clap.subcommand_list", "names", &names)
        }
        ErrorKind::ArgumentConflict => conflict(e, arg),
        ErrorKind::TooManyValues => say("clap.too_many_values"),
        ErrorKind::NoEquals => say("clap.no_equals"),
        // Not asked for (see `translated`): clap's own words.
        other => other.as_str().unwrap_or_default().to_string(),
    }
}

fn conflict(e: &Error<Translated>, arg: &str) -> String {
    let arg = match string(e, ContextKind::InvalidSubcommand) {
        Some(sub) if arg.is_empty() => sub,
        _ => arg,
    };
    let others = strings(e, ContextKind::PriorArg);
    match others.as_slice() {
        [one] if one == arg => fill(text("clap.conflict_repeated"), &[("arg", &arg)]),
        [] => fill(text("clap.conflict_any"), &[("arg", &arg)]),
        [one] => fill(text("clap.conflict"), &[("arg", &arg), ("other", one)]),
        many => {
            let mut s = fill(text("clap.conflict_many"), &[("arg", &arg)]);
            for m in many {
                s.push_str("\n  ");
                s.push_str(m);
            }
            s
        }
    }
}

/// clap's suggestions: what was probably meant, and its free-text hints
/// where their shape is known.
fn tips(e: &Error<Translated>) -> Vec<String> {
    let mut tips = Vec::new();
    for (kind, key) in [
        (ContextKind::SuggestedSubcommand, "clap.similar_subcommand"),
        (ContextKind::SuggestedArg, "clap.similar_argument"),
        (ContextKind::SuggestedValue, "clap.similar_value"),
    ] {
        let names = strings(e, kind);
        if !names.is_empty() {
            let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            tips.push(fill(text(key), &[("names", &quoted.join(", "))]));
        }
    }
    if let Some(ContextValue::StyledStrs(hints)) = e.get(ContextKind::Suggested) {
        tips.extend(hints.iter().map(|h| hint(&h.to_string())));
    }
    tips
}

/// One of clap's free-text hints in the catalog's words, or as clap wrote
/// it when its shape is not one of these.
fn hint(h: &str) -> String {
    let quoted = |s: &str| {
        let s = s.strip_prefix('\'')?;
        Some(s.strip_suffix('\'').unwrap_or(s).to_string())
    };
    // "to pass '-x' as a value, use '-- -x'"
    if let Some((arg, fix)) = h
        .strip_prefix("to pass ")
        .and_then(|r| r.split_once(" as a value, use "))
        && let (Some(arg), Some(fix)) = (quoted(arg), quoted(fix))
    {
        return fill(text("clap.pass_as_value"), &[("arg", &arg), ("fix", &fix)]);
    }
    // "subcommand 'x' exists; to use it, remove the '--' before it"
    if let Some(name) = h
        .strip_prefix("subcommand ")
        .and_then(|r| r.strip_suffix(" exists; to use it, remove the '--' before it"))
        .and_then(quoted)
    {
        return fill(text("clap.remove_dashes"), &[("name", &name)]);
    }
    // "'sub --flag' exists"
    if let Some(what) = h.strip_suffix(" exists").and_then(quoted) {
        return fill(text("clap.exists"), &[("what", &what)]);
    }
    h.to_string()
}

/// `clap.usage` ("Usage: {usage}") with `usage` in it, the words before
/// it in `style`: for errors, and (with clap's `{usage}` tag) for help.
pub(super) fn usage_line(style: &Style, usage: &str) -> String {
    let line = text("clap.usage");
    let (before, after) = line.split_once("{usage}").unwrap_or((line, ""));
    format!("{}{usage}{after}", styled(style, before))
}

pub(super) fn styled(style: &Style, s: &str) -> String {
    format!("{style}{s}{style:#}")
}

#[cfg(test)]
mod tests {
    use super::hint;
    use crate::i18n::{Lang, with_lang};

    #[test]
    fn clap_hints_of_known_shapes_are_translated_and_others_kept() {
        with_lang(Lang::ZhCn, || {
            assert_eq!(
                hint("to pass '--bogus' as a value, use '-- --bogus'"),
                "要把 '--bogus' 当作值传入，请写成 '-- --bogus'"
            );
            assert_eq!(
                hint("subcommand 'run' exists; to use it, remove the '--' before it"),
                "子命令 'run' 存在；要使用它，请去掉它前面的 '--'"
            );
            assert_eq!(hint("'profile --json' exists"), "有 'profile --json'");
            assert_eq!(
                hint("something clap adds later"),
                "something clap adds later"
            );
        });
    }
}
