//! Sites, amounts and what counts as low; the response shapes have golden
//! fixtures (`tests/it/balance.rs`).
use super::*;

#[test]
fn a_host_names_its_site_and_currency() {
    assert_eq!(Site::of_host("api.moonshot.cn"), Some(Site::China));
    assert_eq!(Site::of_host("API.SiliconFlow.com."), Some(Site::Global));
    assert_eq!(Site::of_host("api.moonshot.ai"), Some(Site::Global));
    assert_eq!(Site::of_host("127.0.0.1"), None);
    assert_eq!(Site::China.currency(), "CNY");
}

#[test]
fn money_keeps_its_currency() {
    crate::i18n::set_lang(crate::i18n::Lang::En);
    assert_eq!(Money::new("cny", 110.0).shown(), "¥110.00");
    assert_eq!(Money::new("USD", 74.254).shown(), "$74.25");
    assert_eq!(Money::new("EUR", 3.0).shown(), "3.00 EUR");
    assert_eq!(Money::new("CNY", -1.25).shown(), "-¥1.25");
    let b = Balance {
        left: vec![],
        key_left: None,
        empty: false,
    };
    assert_eq!(b.shown(), None, "nothing to show is not a zero");
}

#[test]
fn low_is_below_a_floor_per_currency_or_empty() {
    let b = |left: Vec<Money>, empty| Balance {
        left,
        key_left: None,
        empty,
    };
    assert!(!b(vec![Money::new("CNY", 110.0)], false).is_low());
    assert!(b(vec![Money::new("CNY", 4.0)], false).is_low());
    assert!(!b(vec![Money::new("USD", 4.0)], false).is_low());
    assert!(b(vec![Money::new("USD", 0.5)], false).is_low());
    // One currency with money left is enough.
    assert!(!b(vec![Money::new("CNY", 1.0), Money::new("USD", 9.0)], false).is_low());
    assert!(b(vec![Money::new("USD", 50.0)], true).is_low());
    let mut k = b(vec![Money::new("USD", 50.0)], false);
    k.key_left = Some(Money::new("USD", 0.2));
    assert!(k.is_low());
}

#[test]
fn a_ccswitch_gateway_tells_the_least_left_in_dollars() {
    use super::parse::{Unrecognised, ccswitch};
    let b = ccswitch(br#"{"member":"ann","left_usd":0.88,"budgets":[]}"#).unwrap();
    assert_eq!(b.left, vec![Money::new("USD", 0.88)]);
    assert!(!b.empty);
    let used_up = ccswitch(br#"{"left_usd":0}"#).unwrap();
    assert!(used_up.empty && used_up.is_low());
    // No budget applies: nothing to show, not a zero.
    let none = ccswitch(br#"{"left_usd":null}"#).unwrap();
    assert!(none.left.is_empty() && !none.empty && none.shown().is_none());
    assert_eq!(
        ccswitch(br#"{"left_usd":"lots"}"#),
        Err(Unrecognised::Shape)
    );
    assert_eq!(ccswitch(b"<html>"), Err(Unrecognised::NotJson));
}
