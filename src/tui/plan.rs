//! A saved form as changes to the config document. Applied inside
//! `store::update` (to save) or `store::preview` (to test or list models
//! before saving), so both see exactly the same result.

use std::path::Path;

use secrecy::SecretString;
use toml_edit::DocumentMut;

use crate::config::edit::{self, ModelSize, ProfileChange, ProviderChange, ProviderEdit};
use crate::config::{self, ConfigError, Presets};

#[derive(Clone, Debug)]
pub struct FormPlan {
    /// The profile being edited (its name before any rename).
    pub original: Option<String>,
    /// The profile being duplicated: its fields the form does not show
    /// are copied too.
    pub copy_from: Option<String>,
    pub name: String,
    pub provider: ProviderPlan,
    pub profile: ProfileChange,
    /// The main model's context window (and output cap, when a model list
    /// gave one), for its provider's `models` table.
    pub size: Option<ModelSize>,
}

impl FormPlan {
    /// The profile's old name, when this save renames it.
    pub fn renamed_from(&self) -> Option<&str> {
        self.original.as_deref().filter(|old| *old != self.name)
    }
}

/// The provider side of a form: enough to list its models before the rest
/// of the form is filled in.
#[derive(Clone, Debug)]
pub struct ProviderPlan {
    pub name: String,
    pub new: Option<ProviderChange>,
    pub edit: Option<ProviderEdit>,
    /// A key typed into the form, for the provider's keyring entry.
    pub key: Option<SecretString>,
}

/// Apply only the provider part.
pub fn apply_provider(
    doc: &mut DocumentMut,
    presets: &Presets,
    file: &Path,
    plan: &ProviderPlan,
) -> Result<(), ConfigError> {
    let cfg = config::parse(file, &doc.to_string(), presets)?;
    if let Some(p) = &plan.new {
        edit::add_provider(doc, &cfg, &plan.name, p)?;
    }
    if let Some(e) = &plan.edit {
        edit::edit_provider(doc, &cfg, presets, &plan.name, e)?;
    }
    Ok(())
}

/// Apply the plan to `doc`, checking each step against the config as it
/// stands after the previous one.
pub fn apply(
    doc: &mut DocumentMut,
    presets: &Presets,
    file: &Path,
    plan: &FormPlan,
) -> Result<(), ConfigError> {
    // After a step the document is no longer the file: an error in it
    // has no place there to name.
    let current = |doc: &DocumentMut| {
        config::parse(file, &doc.to_string(), presets).map_err(ConfigError::in_change)
    };
    apply_provider(doc, presets, file, &plan.provider)?;
    if let Some(size) = &plan.size {
        let cfg = current(doc)?;
        edit::set_model_size(doc, &cfg, &plan.provider.name, size)?;
    }
    let cfg = current(doc)?;
    match (&plan.original, &plan.copy_from) {
        (Some(_), _) => {
            if let Some(old) = plan.renamed_from() {
                edit::rename_profile(doc, &cfg, old, &plan.name)?;
            }
        }
        (None, Some(from)) => edit::copy_profile(doc, &cfg, from, &plan.name)?,
        (None, None) => {
            edit::add_profile(doc, &cfg, &plan.name, &plan.profile)?;
            // The first profile is the one `ccswitch run` picks.
            if cfg.profiles.is_empty() {
                let cfg = current(doc)?;
                edit::set_default(doc, &cfg, &plan.name)?;
            }
            return Ok(());
        }
    }
    let cfg = current(doc)?;
    edit::edit_profile(doc, &cfg, &plan.name, &plan.profile)
}
