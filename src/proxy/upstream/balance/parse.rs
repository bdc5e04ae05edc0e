//! Each provider's balance answer (a 2xx body) to a [`Balance`]. Pure: no
//! I/O, no clock. A field missing or of another type fails the whole
//! answer: a shape that changed must show nothing, not a wrong number.

use serde_json::Value;

use super::model::{Balance, Money, Site};

/// Why a 2xx body gave no balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unrecognised {
    NotJson,
    /// JSON, but not the shape this provider documents.
    Shape,
    /// The amount carries no currency and the host names no site (a relay,
    /// say), so the currency is not known.
    NoCurrency,
}

fn json(body: &[u8]) -> Result<Value, Unrecognised> {
    serde_json::from_slice(body).map_err(|_| Unrecognised::NotJson)
}

/// A number, or a number in a string (`"110.00"`), finite.
fn num(v: Option<&Value>) -> Option<f64> {
    let n = match v? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// DeepSeek `GET /user/balance`: `is_available` and one entry per currency
/// (`total_balance` is granted plus topped up).
pub fn deepseek(body: &[u8]) -> Result<Balance, Unrecognised> {
    let v = json(body)?;
    let available = v
        .get("is_available")
        .and_then(Value::as_bool)
        .ok_or(Unrecognised::Shape)?;
    let infos = v
        .get("balance_infos")
        .and_then(Value::as_array)
        .ok_or(Unrecognised::Shape)?;
    let left = infos
        .iter()
        .map(|i| {
            let currency = i.get("currency").and_then(Value::as_str);
            match (currency, num(i.get("total_balance"))) {
                (Some(c), Some(n)) if !c.trim().is_empty() => Ok(Money::new(c.trim(), n)),
                _ => Err(Unrecognised::Shape),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let spent = !left.is_empty() && left.iter().all(|m| m.amount <= 0.0);
    Ok(Balance {
        empty: !available || spent,
        left,
        key_left: None,
    })
}

/// Moonshot `GET /v1/users/me/balance`: `code` 0 and
/// `data.available_balance` (cash plus vouchers; negative when the cash is
/// overdrawn), in the site's currency.
pub fn moonshot(body: &[u8], site: Option<Site>) -> Result<Balance, Unrecognised> {
    let v = json(body)?;
    if v.get("code").is_some_and(|c| c.as_i64() != Some(0)) {
        return Err(Unrecognised::Shape);
    }
    let available = num(v.pointer("/data/available_balance")).ok_or(Unrecognised::Shape)?;
    let currency = site.ok_or(Unrecognised::NoCurrency)?.currency();
    Ok(Balance {
        left: vec![Money::new(currency, available)],
        key_left: None,
        empty: available <= 0.0,
    })
}

/// SiliconFlow `GET /v1/user/info`: `code` 20000 and `data.totalBalance`
/// (gift `balance` plus `chargeBalance`), in the site's currency.
pub fn siliconflow(body: &[u8], site: Option<Site>) -> Result<Balance, Unrecognised> {
    let v = json(body)?;
    if v.get("code").is_some_and(|c| c.as_i64() != Some(20000)) {
        return Err(Unrecognised::Shape);
    }
    let total = num(v.pointer("/data/totalBalance")).ok_or(Unrecognised::Shape)?;
    let currency = site.ok_or(Unrecognised::NoCurrency)?.currency();
    Ok(Balance {
        left: vec![Money::new(currency, total)],
        key_left: None,
        empty: total <= 0.0,
    })
}

/// OpenRouter: the account's credits (`GET /api/v1/credits`, purchased
/// less used) and the key's own limit (`GET /api/v1/key`, `limit_remaining`,
/// null without a limit), in USD. Either answer may be missing (the request
/// failed); one present but unrecognised fails both.
///
/// No credit left is "empty" only for an account that has paid before: a
/// free-tier key with nothing bought still runs the `:free` models.
pub fn openrouter(credits: Option<&[u8]>, key: Option<&[u8]>) -> Result<Balance, Unrecognised> {
    let mut left = Vec::new();
    if let Some(body) = credits {
        let v = json(body)?;
        let total = num(v.pointer("/data/total_credits")).ok_or(Unrecognised::Shape)?;
        let used = num(v.pointer("/data/total_usage")).ok_or(Unrecognised::Shape)?;
        left.push(Money::new("USD", total - used));
    }
    let (mut key_left, mut free_tier) = (None, None);
    if let Some(body) = key {
        let v = json(body)?;
        let data = v.get("data").filter(|d| d.is_object());
        let data = data.ok_or(Unrecognised::Shape)?;
        key_left = match data.get("limit_remaining") {
            None | Some(Value::Null) => None,
            r => Some(Money::new("USD", num(r).ok_or(Unrecognised::Shape)?)),
        };
        free_tier = data.get("is_free_tier").and_then(Value::as_bool);
    }
    if credits.is_none() && key.is_none() {
        return Err(Unrecognised::Shape);
    }
    let key_spent = key_left.as_ref().is_some_and(|k| k.amount <= 0.0);
    let account_spent = free_tier == Some(false) && left.iter().any(|m| m.amount <= 0.0);
    Ok(Balance {
        left,
        key_left,
        empty: key_spent || account_spent,
    })
}

/// A ccswitch team gateway's `GET /v1/ccswitch/me`: `left_usd`, the least
/// left of the budgets the key counts against (null: none applies, so
/// there is no amount to show).
pub fn ccswitch(body: &[u8]) -> Result<Balance, Unrecognised> {
    let v = json(body)?;
    let left = match v.get("left_usd") {
        Some(Value::Null) => None,
        other => Some(num(other).ok_or(Unrecognised::Shape)?),
    };
    Ok(Balance {
        empty: left.is_some_and(|n| n <= 0.0),
        left: left.map(|n| Money::new("USD", n)).into_iter().collect(),
        key_left: None,
    })
}
