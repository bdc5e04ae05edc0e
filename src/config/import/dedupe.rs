//! Importing the same setup twice adds nothing. cc-switch also writes its
//! current provider into `~/.claude/settings.json`, so one machine often
//! holds the same provider in two sources. A provider that reaches the same
//! endpoint with the same key as one already in the config (or imported
//! from an earlier source) is not added again: profiles that used it use
//! the one there. A profile that then matches one already there is not
//! added either. Both are listed as not added again.
//!
//! Runs on a source after [`Found::into_names`], so every name in it is new
//! and a reference can be moved to an existing provider without clashing.

use secrecy::{ExposeSecret, SecretString};

use super::{Found, Key, NewProfile, NewProvider, Skipped};
use crate::config::presets::Presets;
use crate::config::{Config, Profile, Provider};
use crate::t;

/// What the import is compared with.
pub struct Known<'a> {
    pub cfg: &'a Config,
    /// What earlier sources of this import add.
    pub earlier: &'a Found,
    pub presets: &'a Presets,
    /// Whether the keyring entry `name` holds exactly this key. Only asked
    /// when everything else about the provider matches.
    pub keyring_holds: &'a dyn Fn(&str, &SecretString) -> bool,
}

pub fn drop_known(mut found: Found, k: &Known) -> Found {
    // Messages use the names the user knows, not the suffixed ones.
    let renamed = std::mem::take(&mut found.renamed);
    let source_name = |name: &str| {
        renamed
            .iter()
            .find(|(new, _)| new == name)
            .map_or_else(|| name.to_string(), |(_, old)| old.clone())
    };
    let mut moved: Vec<(String, String)> = Vec::new();
    found.providers.retain(|p| {
        let there = k
            .cfg
            .providers
            .values()
            .find(|c| same_as_saved(p, c, k))
            .map(|c| c.name.clone())
            .or_else(|| {
                k.earlier
                    .providers
                    .iter()
                    .find(|e| same_as_new(p, e, k.presets))
                    .map(|e| e.name.clone())
            });
        match there {
            Some(name) => {
                moved.push((p.name.clone(), name));
                false
            }
            None => true,
        }
    });
    let to = |name: &mut String| {
        if let Some((_, there)) = moved.iter().find(|(from, _)| from == name) {
            name.clone_from(there);
        }
    };
    for p in &mut found.profiles {
        to(&mut p.provider);
        for (_, provider, _) in &mut p.slots {
            if let Some(name) = provider {
                to(name);
            }
        }
    }
    let mut known: Vec<Skipped> = moved
        .iter()
        .map(|(from, there)| Skipped {
            what: t!("import.provider_named", name = source_name(from)),
            why: t!("import.already_there", name = there),
        })
        .collect();
    found.profiles.retain(|p| {
        let there = k
            .cfg
            .profiles
            .values()
            .find(|c| profile_as_saved(p, c))
            .map(|c| c.name.clone())
            .or_else(|| {
                k.earlier
                    .profiles
                    .iter()
                    .find(|e| slots(p) == slots(e))
                    .map(|e| e.name.clone())
            });
        if let Some(there) = &there {
            known.push(Skipped {
                what: t!("import.profile_named", name = source_name(&p.name)),
                why: t!("import.already_there", name = there),
            });
        }
        there.is_none()
    });
    found.known.extend(known);
    found.renamed = renamed;
    found
}

/// The URL Claude Code's requests would go to: the given one, else the
/// preset's own for that API; compared without a trailing `/`.
fn url_of(p: &NewProvider, presets: &Presets) -> Option<String> {
    let url = p.base_url.clone().or_else(|| {
        let preset = presets.get(p.preset.as_deref()?)?;
        preset.endpoint(p.api)?.base_url.clone()
    })?;
    Some(normal(&url))
}

fn normal(url: &str) -> String {
    url::Url::parse(url)
        .map_or_else(|_| url.to_string(), |u| u.to_string())
        .trim_end_matches('/')
        .to_string()
}

fn same_as_saved(p: &NewProvider, c: &Provider, k: &Known) -> bool {
    let same_place = p.api == c.api
        && url_of(p, k.presets) == c.base_url.as_ref().map(|u| normal(u.as_str()))
        && p.region == c.region
        && p.project == c.project
        && p.proxy.as_deref().map(normal) == c.proxy.as_ref().map(|u| normal(u.as_str()))
        && p.ca_file.as_deref().map(std::path::Path::new) == c.ca_file.as_deref();
    same_place
        && match &p.key {
            Key::None => c.key.is_none(),
            Key::Env(var) => c.key.env.as_deref() == Some(var.as_str()),
            Key::Secret { value, .. } => c.key.keyring && (k.keyring_holds)(&c.name, value),
        }
}

fn same_as_new(p: &NewProvider, e: &NewProvider, presets: &Presets) -> bool {
    let same_key = match (&p.key, &e.key) {
        (Key::None, Key::None) => true,
        (Key::Env(a), Key::Env(b)) => a == b,
        (Key::Secret { value: a, .. }, Key::Secret { value: b, .. }) => {
            a.expose_secret() == b.expose_secret()
        }
        _ => false,
    };
    same_key
        && p.api == e.api
        && url_of(p, presets) == url_of(e, presets)
        && (&p.region, &p.project, &p.proxy, &p.ca_file)
            == (&e.region, &e.project, &e.proxy, &e.ca_file)
}

/// Each slot as (slot, provider, model), with the profile's own provider
/// written out, in slot order.
fn slots(p: &NewProfile) -> Vec<(&str, &str, &str)> {
    let mut out: Vec<(&str, &str, &str)> = p
        .slots
        .iter()
        .map(|(s, prov, m)| (*s, prov.as_deref().unwrap_or(&p.provider), m.as_str()))
        .collect();
    out.sort_unstable();
    out
}

/// Every slot the import sets is the same target there (the first of a
/// chain); slots it leaves out are not compared.
fn profile_as_saved(p: &NewProfile, c: &Profile) -> bool {
    p.provider == c.provider
        && p.slots.iter().all(|(slot, provider, model)| {
            let want = provider.as_deref().unwrap_or(&p.provider);
            c.slots()
                .into_iter()
                .chain(c.route_slots())
                .find(|(s, _)| s == slot)
                .is_some_and(|(_, t)| t.provider == want && t.model == *model)
        })
}

#[cfg(test)]
#[path = "dedupe_tests.rs"]
mod tests;
