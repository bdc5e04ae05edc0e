//! The page's HTML around its content: escaping, the document with its
//! inline style, the headers every page goes out with, and the small
//! sign-in and problem pages.

use std::fmt;

use crate::t;

/// What the browser may do with the page: nothing but its own inline
/// style, `data:` images (the empty favicon) and posting its forms back
/// here. No script at all, so stored names can never run as one.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The headers of every page, besides its content type.
pub const HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// Text made safe for HTML content and quoted attribute values.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// [`Esc`] as a string.
pub fn esc(s: &str) -> String {
    Esc(s).to_string()
}

/// Colours of the chart's series, in order (eight, then again).
pub const SERIES: usize = 8;

const STYLE: &str = "
:root{color-scheme:light dark;--fg:#1b1f24;--mute:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d1d9e0;--bad:#c0362c}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--mute:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d;--bad:#f47067}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:1.2rem;font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.4rem;margin:0}h2{font-size:1.05rem;margin:1.6rem 0 .5rem}
header{display:flex;flex-wrap:wrap;gap:.6rem 1.2rem;align-items:baseline;justify-content:space-between}
nav a,nav strong{margin-right:.6rem}a{color:inherit}
.mute{color:var(--mute)}.bad{color:var(--bad)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:.8rem;margin-top:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem}
.card h3{margin:0 0 .3rem;font-size:.9rem;color:var(--mute);font-weight:600}
.card .big{font-size:1.5rem;font-weight:650}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:0 1.4rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--mute)}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.none{font-style:italic;color:var(--mute)}
svg{width:100%;height:auto;display:block}
svg text{fill:var(--mute);font-size:11px}svg line{stroke:var(--line)}
.legend span{display:inline-block;margin-right:1rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px}
.s0{fill:#2f81f7;background:#2f81f7}.s1{fill:#e3872d;background:#e3872d}.s2{fill:#3fb950;background:#3fb950}
.s3{fill:#a371f7;background:#a371f7}.s4{fill:#db61a2;background:#db61a2}.s5{fill:#2ab7b7;background:#2ab7b7}
.s6{fill:#b08800;background:#b08800}.s7{fill:#8b949e;background:#8b949e}
form.login{max-width:26rem;margin:3rem auto;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1.2rem}
form.login input{width:100%;padding:.45rem;margin:.3rem 0 .8rem;font:inherit}
button{font:inherit;padding:.35rem .9rem;cursor:pointer}
footer{margin-top:2rem;font-size:.85rem}
";

/// A whole document: `title` and `body` (already HTML).
pub fn document(title: &str, body: &str) -> String {
    let lang = match crate::i18n::lang() {
        crate::i18n::Lang::En => "en",
        crate::i18n::Lang::ZhCn => "zh-CN",
    };
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><link rel=\"icon\" href=\"data:,\"><style>{STYLE}</style></head>\
         <body>{body}</body></html>\n",
        Esc(title)
    )
}

/// The sign-in form; `wrong`: the token posted was not this gateway's.
pub fn login(wrong: bool) -> String {
    let error = if wrong {
        format!(
            "<p class=\"bad\" role=\"alert\">{}</p>",
            Esc(&t!("ui.wrong_token"))
        )
    } else {
        String::new()
    };
    // The hidden user name only tells password managers what the token
    // belongs to.
    let body = format!(
        "<form class=\"login\" method=\"post\" action=\"/ui/login\">\
         <h1>{title}</h1><p class=\"mute\">{intro}</p>{error}\
         <input type=\"text\" name=\"username\" value=\"ccswitch\" autocomplete=\"username\" hidden>\
         <label for=\"token\">{label}</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required autofocus>\
         <button type=\"submit\">{button}</button></form>",
        title = Esc(&t!("ui.title")),
        intro = Esc(&t!("ui.login_intro")),
        label = Esc(&t!("ui.token_label")),
        button = Esc(&t!("ui.sign_in")),
    );
    document(&t!("ui.login_title"), &body)
}

/// A page that says why the figures cannot be shown.
pub fn problem(message: &str) -> String {
    let body = format!(
        "<h1>{}</h1><p class=\"bad\">{}</p>",
        Esc(&t!("ui.title")),
        Esc(message)
    );
    document(&t!("ui.title"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<b>x</b> & \"q\" 'a'"),
            "&lt;b&gt;x&lt;/b&gt; &amp; &quot;q&quot; &#39;a&#39;"
        );
        assert_eq!(esc("张三"), "张三");
        assert_eq!(esc(""), "");
    }

    #[test]
    fn the_login_form_posts_the_token_and_fetches_nothing() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        let page = login(false);
        assert!(page.contains("action=\"/ui/login\""));
        assert!(page.contains("name=\"token\" type=\"password\""));
        assert!(!page.contains("role=\"alert\""));
        assert!(login(true).contains("role=\"alert\""));
        for remote in ["http://", "https://", "<script", "src="] {
            assert!(!page.contains(remote), "{remote}");
        }
    }
}
