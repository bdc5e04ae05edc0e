//! Which variables an imported file may make a provider's key. ccswitch
//! sends a provider's key to its URL, on every request and from `doctor`
//! and `test`. A file that says `api_key: os.environ/GITHUB_TOKEN` next to
//! a URL of its own choosing would have ccswitch send the user's GitHub
//! token there, and the file need not be the user's own (a config copied
//! from a tutorial or a repository).
//!
//! So a variable becomes the key without asking only when its name says
//! it is that provider's key and the URL is that provider's own host
//! (`DEEPSEEK_API_KEY` for DeepSeek at api.deepseek.com), or when the URL
//! is on this machine (a local server: the key never leaves it). A
//! well-known secret of another service is never taken without asking.
//! Everything else waits for the user to name it (`--key-var VAR`); the
//! provider is imported without a key and a skipped line says how to set
//! it. Names that merely contain `KEY` or `TOKEN` say nothing about where
//! the key belongs, and a generic name on a host the file chose
//! (`OPENAI_API_KEY` at gw.example) is exactly what such a file would use.

use super::matching::{is_loopback, url_of};
use super::{Found, Key, NewProvider};
use crate::config::preset::Preset;
use crate::config::presets::Presets;
use crate::config::resolve::valid_env_name;
use crate::config::text::one_line;
use crate::t;

/// Prefixes (and whole names) of other services' secrets, which no model
/// provider's key is ever kept in.
const OTHER_SERVICES: &[&str] = &[
    "GITHUB_",
    "GH_",
    "GITLAB_",
    "CI_JOB_TOKEN",
    "BITBUCKET_",
    "AWS_",
    "AZURE_CLIENT_SECRET",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "NPM_",
    "NODE_AUTH_TOKEN",
    "YARN_",
    "PYPI_",
    "TWINE_",
    "CARGO_",
    "DOCKER",
    "SLACK_",
    "STRIPE_",
    "HEROKU_",
    "CLOUDFLARE_",
    "VERCEL_",
    "NETLIFY_",
    "DIGITALOCEAN_",
    "SENTRY_",
    "VAULT_",
    "SSH_",
    "GPG_",
    "DATABASE_URL",
    "PGPASSWORD",
];

/// Keep each provider's key variable that fits it (see the module's
/// comment) or that the user named in `allowed`; drop the others, with a
/// skipped line saying why and how to set it.
pub fn confirm(found: &mut Found, presets: &Presets, allowed: &[String]) {
    let mut skipped = Vec::new();
    for p in &mut found.providers {
        let Key::Env(var) = &p.key else {
            continue;
        };
        let what = t!("import.key_of", provider = p.name);
        if !valid_env_name(var) {
            skipped.push((what, t!("import.key_var_bad", var = one_line(var))));
        } else if allowed.iter().any(|a| a == var) || fits(var, p, presets) {
            continue;
        } else {
            let why = t!(
                "import.key_var_unconfirmed",
                var = var,
                provider = p.name,
                host = destination(p, presets)
            );
            skipped.push((what, why));
        }
        p.key = Key::None;
    }
    for (what, why) in skipped {
        found.skip(what, why);
    }
}

/// Whether `var` may be `p`'s key without the user saying so.
pub fn fits(var: &str, p: &NewProvider, presets: &Presets) -> bool {
    let preset = p.preset.as_deref().and_then(|id| presets.get(id));
    let url = url_of(p, presets);
    let host = url.as_ref().and_then(url::Url::host);
    let own = preset.filter(|pr| on_own_host(pr, p, host.as_ref()));
    if own.is_some_and(|pr| pr.key_env.as_deref() == Some(var)) {
        return true;
    }
    let upper = var.to_ascii_uppercase();
    if OTHER_SERVICES.iter().any(|s| upper.starts_with(s)) {
        return false;
    }
    if host.as_ref().is_some_and(is_loopback) {
        return true;
    }
    own.is_some_and(|pr| names(&upper, pr))
}

/// The host a key would go to, for messages.
fn destination(p: &NewProvider, presets: &Presets) -> String {
    url_of(p, presets)
        .and_then(|u| u.host_str().map(one_line))
        .unwrap_or_else(|| t!("import.no_host"))
}

/// The preset's own service: one of its endpoints' hosts, or (Bedrock,
/// Vertex) no URL at all, where the preset's API decides the host.
fn on_own_host(preset: &Preset, p: &NewProvider, host: Option<&url::Host<&str>>) -> bool {
    let Some(host) = host else {
        return !p.api.uses_base_url() && p.base_url.is_none();
    };
    let host = host.to_string();
    preset.endpoints.values().any(|e| {
        e.base_url.iter().chain(&e.alternates).any(|u| {
            url::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(|h| h.eq_ignore_ascii_case(&host)))
                .unwrap_or(false)
        })
    })
}

/// `var` (uppercase) has the preset's name as one of its words:
/// `DEEPSEEK_API_KEY` for `deepseek`, `DASHSCOPE_KEY` for `qwen` (whose
/// own variable is `DASHSCOPE_API_KEY`).
fn names(var: &str, preset: &Preset) -> bool {
    let id: String = preset
        .id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let own = preset
        .key_env
        .as_deref()
        .and_then(|k| k.split('_').next())
        .map(str::to_ascii_uppercase);
    let words = std::iter::once(id.to_ascii_uppercase()).chain(own);
    let words: Vec<String> = words.filter(|w| w.len() >= 2).collect();
    var.split('_').any(|w| words.iter().any(|o| o == w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::preset::Api;

    fn provider(preset: &str, api: Api, url: Option<&str>) -> NewProvider {
        NewProvider {
            base_url: url.map(str::to_string),
            ..NewProvider::new("p", api, Some(preset))
        }
    }

    #[test]
    fn a_variable_fits_its_own_provider_or_this_machine() {
        let presets = Presets::builtin();
        let ds = provider("deepseek", Api::Openai, None);
        let gw = provider("custom-openai", Api::Openai, Some("https://gw.example/v1"));
        let local = provider("custom-openai", Api::Openai, Some("http://127.0.0.1:4000"));
        let bedrock = provider("bedrock", Api::Bedrock, None);
        let qwen = provider(
            "qwen",
            Api::Openai,
            Some("https://dashscope.aliyuncs.com/compatible-mode/v1"),
        );
        for (var, p, fits_it) in [
            ("DEEPSEEK_API_KEY", &ds, true),
            ("DEEPSEEK_KEY_WORK", &ds, true),
            ("OPENAI_API_KEY", &ds, false),
            ("GITHUB_TOKEN", &ds, false),
            ("OPENAI_API_KEY", &gw, false),
            ("GW_KEY", &gw, false),
            ("MY_VLLM_KEY", &local, true),
            ("GITHUB_TOKEN", &local, false),
            ("AWS_SECRET_ACCESS_KEY", &local, false),
            ("AWS_BEARER_TOKEN_BEDROCK", &bedrock, true),
            ("AWS_SECRET_ACCESS_KEY", &bedrock, false),
            ("DASHSCOPE_API_KEY", &qwen, true),
            ("QWEN_KEY", &qwen, true),
        ] {
            assert_eq!(
                fits(var, p, &presets),
                fits_it,
                "{var} for {:?}",
                p.base_url
            );
        }
    }
}
