//! Page frame and small HTML pieces, as maud templates: checked when purse compiles, every
//! interpolated value escaped unless it is marked `PreEscaped` (only the SVG charts plotters
//! draws, in [`crate::views::chart`], and a cached page body). Pages are plain HTML forms and links: they work without JavaScript.

use maud::{DOCTYPE, Markup, html};

use crate::i18n::Lang;
use crate::users::{Role, Session};

/// Who a page is drawn for: the session and the language. The web's session extractor
/// ([`super::auth::Auth`]) is one; markup needs nothing else of a request.
pub trait Viewer {
    fn session(&self) -> &Session;
    fn lang(&self) -> Lang;
}

/// The document around a body: head, stylesheet, and (while a job runs) a self-refresh.
fn document(lang: Lang, title: &str, refresh: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                @if refresh { meta http-equiv="refresh" content="1"; }
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · purse" }
                link rel="stylesheet" href="/static/purse.css";
            }
            body { (body) }
        }
    }
}

/// A page without navigation (login, errors).
pub fn bare(lang: Lang, title: &str, body: Markup) -> Markup {
    document(lang, title, false, body)
}

/// What a page tells the frame about itself.
pub struct Frame<'a> {
    /// The navigation entry to highlight.
    pub active: &'a str,
    pub title: &'a str,
    /// Where the language switch comes back to.
    pub path: &'a str,
    /// Reload every second (a running upload job).
    pub refresh: bool,
}

impl<'a> Frame<'a> {
    pub fn new(active: &'a str, title: &'a str, path: &'a str) -> Frame<'a> {
        Frame {
            active,
            title,
            path,
            refresh: false,
        }
    }
}

/// A page with the navigation bar, the user, the language switch and logout.
pub fn page(auth: &impl Viewer, f: Frame<'_>, body: Markup) -> Markup {
    let l = auth.lang();
    let s = auth.session();
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let mut nav = vec![
        ("cockpit", "/cockpit", t("一屏纵览", "Cockpit")),
        ("drill", "/drill", t("穿透查询", "Drill-down")),
        ("alerts", "/alerts?status=open", t("预警", "Alerts")),
        ("problems", "/problems", t("问题清单", "Problems")),
        ("review", "/review", t("预算审查", "Review")),
        ("ask", "/ask", t("问数", "Ask")),
        ("rules", "/rules", t("规则", "Rules")),
        ("data", "/data", t("数据", "Data")),
        ("reports", "/reports", t("月度报告", "Reports")),
    ];
    if s.role == Role::Unit {
        nav = vec![(
            "problems",
            "/problems",
            t("本单位问题清单", "Our problem items"),
        )];
    } else if s.reach.bounds_data() {
        nav.retain(|(k, _, _)| *k != "data");
    }
    if s.role >= Role::Adviser {
        nav.push(("console", "/console", t("SQL 查询", "SQL console")));
    }
    if s.role >= Role::Admin {
        nav.push(("users", "/users", t("用户", "Users")));
    }
    let (other, other_label) = if l == Lang::Zh {
        ("en", "English")
    } else {
        ("zh", "中文")
    };
    let role = match l {
        Lang::Zh => s.role.zh(),
        Lang::En => s.role.as_str(),
    };
    let switch = format!("/lang?to={other}&next={}", urlencode(f.path));
    document(
        l,
        f.title,
        f.refresh,
        html! {
            header {
                span.brand { "purse · " (t("预算联网监督", "budget supervision")) }
                nav {
                    @for (k, href, label) in &nav {
                        a href=(href) class=[(*k == f.active).then_some("active")] { (label) }
                    }
                }
                span.who {
                    (s.user) " (" (role) ") · "
                    a href=(switch) { (other_label) }
                    " · "
                    form.inline method="post" action="/logout" {
                        (csrf(auth))
                        button.link type="submit" { (t("退出", "Log out")) }
                    }
                }
            }
            main { (body) }
        },
    )
}

/// A page around an already-rendered body (a cached page): the frame is rendered for this
/// request and the body copied in once, into a buffer of the right size.
pub fn page_around(auth: &impl Viewer, f: Frame<'_>, body: &str) -> String {
    const HOLE: &str = "\u{0}purse-body\u{0}";
    let frame = page(auth, f, maud::PreEscaped(HOLE.to_string())).into_string();
    let (pre, post) = frame.split_once(HOLE).unwrap_or((&frame, ""));
    let mut out = String::with_capacity(pre.len() + body.len() + post.len());
    out.push_str(pre);
    out.push_str(body);
    out.push_str(post);
    out
}

/// The hidden CSRF field of a form.
pub fn csrf(auth: &impl Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(auth.session().csrf); }
}

/// A `<select>` with the given options (value, label), one selected.
pub fn select(name: &str, options: &[(String, String)], selected: Option<&str>) -> Markup {
    html! {
        select name=(name) {
            @for (v, label) in options {
                option value=(v) selected[Some(v.as_str()) == selected] { (label) }
            }
        }
    }
}

/// A table from a header and rows of cells.
pub fn table(header: &[&str], rows: &[Vec<Markup>], class: &str) -> Markup {
    html! {
        table class=(class) {
            thead { tr { @for h in header { th { (h) } } } }
            tbody {
                @for r in rows {
                    tr { @for c in r { td { (c) } } }
                }
            }
        }
    }
}

/// A right-aligned number cell's content.
pub fn num(s: &str) -> Markup {
    html! { span.n { (s) } }
}

/// A severity badge.
pub fn level(level: &str, lang: Lang) -> Markup {
    html! {
        span class={ "badge " (crate::i18n::level_class(level)) } {
            (crate::i18n::level_label(level, lang))
        }
    }
}

/// A link.
pub fn a(href: &str, text: &str) -> Markup {
    html! { a href=(href) { (text) } }
}

/// Text as a cell.
pub fn text(s: &str) -> Markup {
    html! { (s) }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_encode() {
        assert_eq!(super::urlencode("a b/中"), "a%20b%2F%E4%B8%AD");
    }
}
