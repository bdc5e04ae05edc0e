//! The balance's data: which API a provider has, where it is asked, and
//! the money it reports. No I/O.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::Provider;

/// How long a balance counts as current: every reader (status line, TUI,
/// `ccswitch test`, `doctor`, the key pool) asks at most this often.
pub const FRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// Which provider's balance API (each answers in its own shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BalanceApi {
    DeepSeek,
    Moonshot,
    OpenRouter,
    SiliconFlow,
    /// A team's ccswitch gateway: what the member's key has left of its
    /// budgets.
    Ccswitch,
}

/// Which of a vendor's sites a host is: Moonshot and SiliconFlow answer
/// without a currency, and bill the China site in CNY and the global one in
/// USD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Site {
    China,
    Global,
}

impl Site {
    /// `.cn` is the China site; `.ai` and `.com` the global one. Anything
    /// else (a relay, a mock) is unknown: no currency can be assumed.
    pub fn of_host(host: &str) -> Option<Site> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.ends_with(".cn") {
            Some(Site::China)
        } else if host.ends_with(".ai") || host.ends_with(".com") {
            Some(Site::Global)
        } else {
            None
        }
    }

    /// The currency the site bills in.
    pub fn currency(self) -> &'static str {
        match self {
            Site::China => "CNY",
            Site::Global => "USD",
        }
    }
}

impl BalanceApi {
    /// The balance API of a provider: from its preset, else from a vendor
    /// host written by hand (a provider without a preset). `None`: nothing
    /// published (or a Bedrock/Vertex provider, which has no base URL).
    pub fn of(p: &Provider) -> Option<BalanceApi> {
        p.base_url.as_ref()?;
        let by_preset = match p.preset.as_deref() {
            Some("deepseek") => Some(BalanceApi::DeepSeek),
            Some("moonshot") => Some(BalanceApi::Moonshot),
            Some("openrouter") => Some(BalanceApi::OpenRouter),
            Some("siliconflow") => Some(BalanceApi::SiliconFlow),
            Some("ccswitch-gateway") => Some(BalanceApi::Ccswitch),
            _ => None,
        };
        by_preset.or_else(|| BalanceApi::of_host(p.base_url.as_ref()?.host_str()?))
    }

    fn of_host(host: &str) -> Option<BalanceApi> {
        match host {
            "api.deepseek.com" => Some(BalanceApi::DeepSeek),
            "api.moonshot.cn" | "api.moonshot.ai" => Some(BalanceApi::Moonshot),
            "openrouter.ai" => Some(BalanceApi::OpenRouter),
            "api.siliconflow.cn" | "api.siliconflow.com" => Some(BalanceApi::SiliconFlow),
            _ => None,
        }
    }

    /// The paths asked, in order, at the base URL's origin. OpenRouter's
    /// account credits and the key's own limit are two requests.
    pub fn paths(self) -> &'static [&'static str] {
        match self {
            BalanceApi::DeepSeek => &["/user/balance"],
            BalanceApi::Moonshot => &["/v1/users/me/balance"],
            BalanceApi::OpenRouter => &["/api/v1/credits", "/api/v1/key"],
            BalanceApi::SiliconFlow => &["/v1/user/info"],
            BalanceApi::Ccswitch => &["/v1/ccswitch/me"],
        }
    }
}

/// Where a provider's balance is asked: its kind, the origin of its base
/// URL (scheme, host, port; the path is the API's, not the balance's), and
/// the site the host names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceEndpoint {
    pub kind: BalanceApi,
    pub origin: Url,
    pub site: Option<Site>,
}

impl BalanceEndpoint {
    pub fn of(p: &Provider) -> Option<BalanceEndpoint> {
        let kind = BalanceApi::of(p)?;
        let base = p.base_url.as_ref()?;
        let mut origin = base.clone();
        origin.set_path("/");
        origin.set_query(None);
        origin.set_fragment(None);
        // A gateway's basic auth stays on the base URL for the API, but is
        // not what the balance API takes.
        let _ = origin.set_username("");
        let _ = origin.set_password(None);
        let site = base.host_str().and_then(Site::of_host);
        Some(BalanceEndpoint { kind, origin, site })
    }

    /// The URLs asked, in order.
    pub fn urls(&self) -> Vec<Url> {
        self.kind
            .paths()
            .iter()
            .filter_map(|p| self.origin.join(p).ok())
            .collect()
    }
}

/// An amount of money in the currency the provider gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Money {
    /// ISO code, upper case (`CNY`, `USD`).
    pub currency: String,
    pub amount: f64,
}

impl Money {
    pub fn new(currency: &str, amount: f64) -> Money {
        Money {
            currency: currency.to_ascii_uppercase(),
            amount,
        }
    }

    /// `¥110.00`, `$74.25`, `12.00 EUR`: the symbol only where it is
    /// unambiguous for the two currencies providers bill in.
    pub fn shown(&self) -> String {
        // An overdrawn account: `-¥1.25`, the sign before the symbol.
        let sign = if self.amount < 0.0 { "-" } else { "" };
        let n = self.amount.abs();
        match self.currency.as_str() {
            "CNY" => format!("{sign}¥{n:.2}"),
            "USD" => format!("{sign}${n:.2}"),
            other => format!("{sign}{n:.2} {other}"),
        }
    }

    /// Below what counts as running low: about a day of heavy coding on a
    /// cheap model (¥5, $1). Other currencies are held to the same figure
    /// as the yuan, being mostly worth less than the dollar.
    pub fn is_low(&self) -> bool {
        let floor = if self.currency == "USD" { 1.0 } else { 5.0 };
        self.amount < floor
    }
}

/// What a provider said is left.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// The account's balance, one entry per currency it holds.
    pub left: Vec<Money>,
    /// What is left of a per-key spending limit (OpenRouter), when the key
    /// has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_left: Option<Money>,
    /// The provider says this key cannot spend: used up, or not available.
    pub empty: bool,
}

impl Balance {
    /// `¥110.00`, `$74.75 · key $74.25`: the amounts, without words.
    pub fn amounts(&self) -> String {
        let mut parts: Vec<String> = self.left.iter().map(Money::shown).collect();
        if let Some(k) = &self.key_left {
            parts.push(crate::t!("balance.key", left = k.shown()));
        }
        parts.join(" · ")
    }

    /// `¥110.00 left`, `used up ($0.00)`; `None` when there is no amount
    /// to show (an OpenRouter key without a limit whose credits were not
    /// readable).
    pub fn shown(&self) -> Option<String> {
        let amounts = self.amounts();
        if amounts.is_empty() {
            return None;
        }
        Some(if self.empty {
            crate::t!("balance.empty", amounts = amounts)
        } else {
            crate::t!("balance.left", amounts = amounts)
        })
    }

    /// Empty, or every amount (the key's limit included) below its floor.
    pub fn is_low(&self) -> bool {
        self.empty
            || self.key_left.as_ref().is_some_and(Money::is_low)
            || (!self.left.is_empty() && self.left.iter().all(Money::is_low))
    }
}
