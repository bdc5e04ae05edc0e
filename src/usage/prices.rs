//! Model prices in USD per million tokens: the user's config over the
//! built-in table that `scripts/prices` generates into `assets/prices.json`.
//! No I/O; the table is parsed on the first price asked for, so the proxy's
//! request path never pays for it.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::config::Provider;

/// USD per million tokens. A cache price left unknown is charged as plain
/// input: providers that publish none bill cached tokens that way.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cache_read: Option<f64>,
    pub cache_write: Option<f64>,
    /// A cache write kept for an hour (`cache_control.ttl = "1h"`), where it
    /// costs more than the 5-minute default (Anthropic: twice the input
    /// price against 1.25 times); unknown, it costs what `cache_write` does.
    pub cache_write_1h: Option<f64>,
}

/// Tokens of one request or a sum of them, split the way they are billed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// Uncached input: as Anthropic counts `input_tokens`, without the cache
    /// reads and writes below.
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    /// The part of `cache_write` kept for an hour (priced apart).
    #[serde(default)]
    pub cache_write_1h: u64,
    /// The part of `output` that was reasoning: already in `output` and
    /// billed as output, kept only to be shown.
    pub reasoning: u64,
}

impl Tokens {
    /// Every billed token (reasoning is part of `output`): what token
    /// budgets count.
    pub fn total(&self) -> u64 {
        self.input
            .saturating_add(self.output)
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write)
    }
}

impl Price {
    /// Cost in USD.
    pub fn cost(&self, t: &Tokens) -> f64 {
        let per = |tokens: u64, price: f64| tokens as f64 * price;
        let write = self.cache_write.unwrap_or(self.input);
        let hour = t.cache_write_1h.min(t.cache_write);
        (per(t.input, self.input)
            + per(t.output, self.output)
            + per(t.cache_read, self.cache_read.unwrap_or(self.input))
            + per(t.cache_write - hour, write)
            + per(hour, self.cache_write_1h.unwrap_or(write)))
            / 1_000_000.0
    }
}

/// The price of `model` on `provider`, or `None` when it is not known (shown
/// as "price unknown", never as $0). In order:
///
/// 1. The provider's `models` entry (preset facts merged with the user's
///    config) overrides the table field by field; a model the table lacks
///    needs at least `input_price` and `output_price` there.
/// 2. The table's section for the provider's preset: the model id, then the
///    id without a `vendor/` prefix.
/// 3. Providers whose preset has no section (gateways such as litellm,
///    openrouter and custom-*, or no preset): the id, then the id without its
///    prefix, looked up in every section, answering only when all the
///    sections that list it agree. Local servers skip this: a hosted price
///    says nothing about a model run on the user's own machine.
pub fn price_for(provider: &Provider, model: &str) -> Option<Price> {
    let info = provider.model(model);
    let table = table_price(provider, model);
    Some(Price {
        input: info.input_price.or(table.map(|p| p.input))?,
        output: info.output_price.or(table.map(|p| p.output))?,
        cache_read: info.cache_read_price.or(table.and_then(|p| p.cache_read)),
        cache_write: info.cache_write_price.or(table.and_then(|p| p.cache_write)),
        cache_write_1h: table.and_then(|p| p.cache_write_1h),
    })
}

/// The date the built-in prices were taken (`YYYY-MM-DD`).
pub fn table_date() -> &'static str {
    &table().taken
}

fn table_price(provider: &Provider, model: &str) -> Option<Price> {
    let table = table();
    let bare = model.split_once('/').map(|(_, rest)| rest);
    let section = provider
        .preset
        .as_deref()
        .and_then(|id| table.providers.get(id));
    match section {
        Some(models) => models
            .get(model)
            .or_else(|| models.get(cross_region_base(provider, model)?))
            .or_else(|| models.get(bare?))
            .copied(),
        None if provider.local => None,
        None => table.anywhere(model).or_else(|| table.anywhere(bare?)),
    }
}

/// A Bedrock cross-region inference profile's model (`us.anthropic.…` is
/// `anthropic.…`), priced as the model where the table has no row of its
/// own for the profile.
fn cross_region_base<'a>(provider: &Provider, model: &'a str) -> Option<&'a str> {
    if provider.api != crate::config::Api::Bedrock {
        return None;
    }
    let base = crate::config::bedrock_base_model(model);
    (base != model).then_some(base)
}

/// One model in the file: `[input, output, cache read, cache write]`, and
/// a fifth, the 1-hour cache write, where it has its own price.
type Row = Vec<Option<f64>>;

/// `assets/prices.json` as written by `scripts/prices`.
#[derive(Deserialize)]
struct RawTable {
    taken: String,
    /// preset id -> model id -> prices
    providers: HashMap<String, HashMap<String, Row>>,
}

#[derive(Default)]
struct Table {
    taken: String,
    providers: HashMap<String, HashMap<String, Price>>,
    /// Model id -> its price in every section that lists it, or `None` when
    /// those sections disagree.
    by_model: HashMap<String, Option<Price>>,
}

impl Table {
    fn parse(src: &str) -> Result<Table, serde_json::Error> {
        let raw: RawTable = serde_json::from_str(src)?;
        let mut table = Table {
            taken: raw.taken,
            ..Table::default()
        };
        for (preset, models) in raw.providers {
            let models: HashMap<String, Price> = models
                .into_iter()
                .filter_map(|(id, row)| {
                    // A row without both base prices is not one
                    // `scripts/prices` writes; skip it rather than guess.
                    let at = |i: usize| row.get(i).copied().flatten();
                    let price = Price {
                        input: at(0)?,
                        output: at(1)?,
                        cache_read: at(2),
                        cache_write: at(3),
                        cache_write_1h: at(4),
                    };
                    Some((id, price))
                })
                .collect();
            for (id, price) in &models {
                table
                    .by_model
                    .entry(id.clone())
                    .and_modify(|seen| {
                        if *seen != Some(*price) {
                            *seen = None;
                        }
                    })
                    .or_insert(Some(*price));
            }
            table.providers.insert(preset, models);
        }
        Ok(table)
    }

    fn anywhere(&self, model: &str) -> Option<Price> {
        self.by_model.get(model).copied().flatten()
    }
}

const BUILTIN: &str = include_str!("../../assets/prices.json");

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    // A test parses the embedded file, so the empty fallback (every price
    // unknown) is never shipped; it only keeps a bad table from panicking.
    TABLE.get_or_init(|| Table::parse(BUILTIN).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk_provider(toml: &str) -> Provider {
        let src = format!("[providers.p]\n{toml}");
        let cfg = crate::config::testing::mk_config(&src);
        cfg.providers["p"].clone()
    }

    fn mk_price(
        input: f64,
        output: f64,
        cache_read: Option<f64>,
        cache_write: Option<f64>,
    ) -> Price {
        Price {
            input,
            output,
            cache_read,
            cache_write,
            cache_write_1h: None,
        }
    }

    /// Anthropic bills a 1-hour cache write at twice the input price and a
    /// 5-minute one at 1.25 times; the table says so for its models.
    #[test]
    fn hour_long_cache_writes_cost_what_the_table_says() {
        let t = Tokens {
            cache_write: 3_000_000,
            cache_write_1h: 1_000_000,
            ..Tokens::default()
        };
        let sonnet = price_for(
            &mk_provider("preset = \"anthropic\"\n"),
            "claude-sonnet-4-5",
        )
        .unwrap();
        assert_eq!(sonnet.cache_write_1h, Some(6.0));
        assert!((sonnet.cost(&t) - (2.0 * 3.75 + 6.0)).abs() < 1e-9);
        // Without a price of its own, an hour costs what five minutes do.
        let flat = mk_price(1.0, 10.0, None, Some(1.25));
        assert!((flat.cost(&t) - 3.0 * 1.25).abs() < 1e-9);
    }

    #[test]
    fn cost_charges_unknown_cache_prices_as_input() {
        let t = Tokens {
            input: 1_000_000,
            output: 100_000,
            cache_read: 2_000_000,
            cache_write: 1_000_000,
            cache_write_1h: 0,
            reasoning: 50_000,
        };
        let full = mk_price(1.0, 10.0, Some(0.1), Some(1.25));
        assert!((full.cost(&t) - (1.0 + 1.0 + 0.2 + 1.25)).abs() < 1e-12);
        let bare = mk_price(1.0, 10.0, None, None);
        assert!((bare.cost(&t) - (1.0 + 1.0 + 2.0 + 1.0)).abs() < 1e-12);
        assert!(bare.cost(&Tokens::default()).abs() < f64::EPSILON);
    }

    #[test]
    fn the_embedded_table_parses_and_is_dated() {
        let table = Table::parse(BUILTIN).expect("assets/prices.json parses");
        assert!(table.providers.values().map(HashMap::len).sum::<usize>() > 100);
        let date = table_date();
        let parts: Vec<&str> = date.split('-').collect();
        assert!(
            matches!(parts[..], [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2),
            "{date}"
        );
        let (y, m, d): (u32, u32, u32) = (
            parts[0].parse().expect("year"),
            parts[1].parse().expect("month"),
            parts[2].parse().expect("day"),
        );
        assert!(
            y >= 2024 && (1..=12).contains(&m) && (1..=31).contains(&d),
            "{date}"
        );
    }

    #[test]
    fn the_table_prices_a_preset_model() {
        let p = mk_provider("preset = \"openai\"\n");
        assert_eq!(
            price_for(&p, "gpt-5"),
            Some(mk_price(1.25, 10.0, Some(0.125), None))
        );
        // The preset id, not the provider's name or the alias, selects the section.
        let p = mk_provider("preset = \"kimi\"\n");
        assert_eq!(price_for(&p, "kimi-k3").map(|p| p.input), Some(3.0));
    }

    #[test]
    fn config_prices_override_the_table() {
        let p = mk_provider(
            "preset = \"openai\"\nmodels = { gpt-5 = { input_price = 1.0, output_price = 8.0 }, m = { input_price = 2.0, output_price = 3.0, cache_read_price = 0.5 }, half = { input_price = 2.0 } }\n",
        );
        // Fields not set in config keep the table's value.
        assert_eq!(
            price_for(&p, "gpt-5"),
            Some(mk_price(1.0, 8.0, Some(0.125), None))
        );
        assert_eq!(
            price_for(&p, "m"),
            Some(mk_price(2.0, 3.0, Some(0.5), None))
        );
        assert_eq!(price_for(&p, "half"), None, "no output price anywhere");
    }

    #[test]
    fn a_vendor_prefix_is_stripped() {
        // A gateway-style id on a preset that lists the bare one.
        let p = mk_provider("preset = \"deepseek\"\n");
        assert_eq!(
            price_for(&p, "deepseek/deepseek-v4-pro"),
            price_for(&p, "deepseek-v4-pro")
        );
        assert!(price_for(&p, "deepseek-v4-pro").is_some());
        // OpenRouter has no section: every section listing the id agrees.
        let p = mk_provider("preset = \"openrouter\"\n");
        assert_eq!(
            price_for(&p, "anthropic/claude-sonnet-5"),
            Some(Price {
                cache_write_1h: Some(4.0),
                ..mk_price(2.0, 10.0, Some(0.2), Some(2.5))
            })
        );
    }

    #[test]
    fn a_bare_name_needs_every_section_to_agree() {
        let table = table();
        assert!(table.providers["deepseek"].contains_key("deepseek-v4-pro"));
        assert!(table.providers["qwen"].contains_key("deepseek-v4-pro"));
        let p = mk_provider("api = \"openai\"\nbase_url = \"https://gw.example/v1\"\n");
        assert_eq!(
            price_for(&p, "deepseek-v4-pro"),
            None,
            "deepseek and qwen differ"
        );
        assert_eq!(
            price_for(&p, "gpt-5-mini"),
            Some(mk_price(0.25, 2.0, Some(0.025), None)),
            "openai and azure agree"
        );
    }

    #[test]
    fn unknown_models_have_no_price() {
        let p = mk_provider("preset = \"deepseek\"\n");
        assert_eq!(price_for(&p, "no-such-model"), None);
        // A known id on a preset whose section lacks it: other hosts' prices
        // do not apply.
        assert_eq!(price_for(&p, "gpt-5"), None);
        // Local servers cost nothing per token that a hosted price describes.
        let p = mk_provider("preset = \"ollama\"\n");
        assert_eq!(price_for(&p, "gpt-5"), None);
    }
}
