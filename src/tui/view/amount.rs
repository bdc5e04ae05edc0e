//! Money and padding as the usage views need them beyond
//! `usage::format` (shared with `ccswitch usage`): a lower-bound cost for
//! narrow columns, and padding by display width (Chinese headings are two
//! cells a character).

use ratatui::text::Span;

use crate::t;
use crate::usage::format::usd;
use crate::usage::query::Sums;

/// `money` for a narrow column: a cost that leaves out unpriced requests
/// is marked as a lower bound.
pub(super) fn money_short(s: &Sums) -> String {
    match s.unpriced_requests {
        0 => usd(s.cost_usd),
        _ if s.cost_usd == 0.0 => t!("usage.price_unknown"),
        _ => format!("≥{}", usd(s.cost_usd)),
    }
}

/// Cells the text takes on screen.
pub(super) fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// `s` padded with spaces to `w` cells (left-aligned), or cut to fit.
pub(super) fn pad(s: &str, w: usize) -> String {
    let s = fit(s, w);
    let n = w.saturating_sub(width(&s));
    format!("{s}{}", " ".repeat(n))
}

/// `s` right-aligned in `w` cells.
pub(super) fn pad_left(s: &str, w: usize) -> String {
    let s = fit(s, w);
    let n = w.saturating_sub(width(&s));
    format!("{}{s}", " ".repeat(n))
}

/// `s` cut to `w` cells, with `…` where it was cut.
pub(super) fn fit(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        let next = format!("{out}{c}");
        if width(&next) + 1 > w {
            break;
        }
        out = next;
    }
    if w > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(cost: f64, unpriced: u64) -> Sums {
        Sums {
            requests: 3,
            cost_usd: cost,
            unpriced_requests: unpriced,
            ..Sums::default()
        }
    }

    #[test]
    fn unknown_prices_are_never_zero_dollars() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        assert_eq!(money_short(&sums(1.234, 0)), "$1.23");
        assert_eq!(money_short(&sums(0.0, 2)), "price unknown");
        assert_eq!(money_short(&sums(0.5, 2)), "≥$0.50");
        assert_eq!(money_short(&sums(0.001_23, 0)), "$0.0012");
    }

    #[test]
    fn padding_counts_cells_not_chars() {
        assert_eq!(pad("模型", 6), "模型  ");
        assert_eq!(pad_left("ab", 4), "  ab");
        assert_eq!(fit("deepseek/deepseek-v4-pro", 10), "deepseek/…");
    }
}
