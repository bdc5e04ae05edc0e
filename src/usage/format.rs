//! Usage figures as people read them, shared by `ccswitch usage`, the
//! status line and the TUI.

use super::query::Sums;
use crate::t;

/// Token counts the way people read them: 1234 → 1.2k, 5600000 → 5.6M.
pub fn short(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}

/// Cost as shown: unknown prices are said, never shown as $0.
pub fn money(s: &Sums) -> String {
    let known = if s.cost_usd >= 0.01 || s.cost_usd == 0.0 {
        format!("${:.2}", s.cost_usd)
    } else {
        format!("${:.4}", s.cost_usd)
    };
    match s.unpriced_requests {
        0 => known,
        _ if s.cost_usd == 0.0 => t!("usage.price_unknown"),
        _ => format!("{known} + {}", t!("usage.price_unknown")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        assert_eq!(short(999), "999");
        assert_eq!(short(1_250), "1.2k");
        assert_eq!(short(5_600_000), "5.6M");
        let mut s = Sums {
            cost_usd: 1.234,
            ..Sums::default()
        };
        assert_eq!(money(&s), "$1.23");
        s.cost_usd = 0.0042;
        assert_eq!(money(&s), "$0.0042");
        s.unpriced_requests = 2;
        assert_eq!(money(&s), "$0.0042 + price unknown");
        s.cost_usd = 0.0;
        assert_eq!(money(&s), "price unknown", "never $0 for unknown prices");
    }
}
