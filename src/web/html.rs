//! Page frame and small HTML helpers. Pages are plain HTML forms and links: they work without
//! JavaScript.

use super::Auth;
use crate::i18n::{Lang, esc};
use crate::users::Role;

/// A page without navigation (login, errors).
pub fn bare(lang: Lang, title: &str, body: &str) -> String {
    let mut s = String::with_capacity(body.len() + 512);
    open(&mut s, lang, title);
    s.push_str(body);
    s.push_str("</body></html>");
    s
}

/// The document head and the opening body tag.
fn open(s: &mut String, lang: Lang, title: &str) {
    s.push_str(&format!(
        "<!DOCTYPE html><html lang={}><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\">\
         <title>{} · purse</title><link rel=stylesheet href=/static/purse.css></head><body>",
        lang.code(),
        esc(title)
    ));
}

/// A page with the navigation bar, the user, the language switch and logout. Written into one
/// buffer: a cached page body is copied once per request, not once per layer.
pub fn page(auth: &Auth, active: &str, title: &str, path: &str, body: &str) -> String {
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let mut nav = vec![
        ("cockpit", "/cockpit", t("一屏纵览", "Cockpit")),
        ("drill", "/drill", t("穿透查询", "Drill-down")),
        ("alerts", "/alerts?status=open", t("预警", "Alerts")),
        ("rules", "/rules", t("规则", "Rules")),
        ("data", "/data", t("数据", "Data")),
        ("reports", "/reports", t("月度报告", "Reports")),
    ];
    if auth.role() >= Role::Adviser {
        nav.push(("console", "/console", t("SQL 查询", "SQL console")));
    }
    if auth.role() >= Role::Admin {
        nav.push(("users", "/users", t("用户", "Users")));
    }
    let links: String = nav
        .iter()
        .map(|(k, href, label)| {
            format!(
                "<a href=\"{href}\"{}>{label}</a>",
                if *k == active { " class=active" } else { "" }
            )
        })
        .collect();
    let other = if l == Lang::Zh {
        ("en", "English")
    } else {
        ("zh", "中文")
    };
    let mut s = String::with_capacity(body.len() + 2048);
    open(&mut s, l, title);
    s.push_str(&format!(
        "<header><span class=brand>purse · {}</span><nav>{links}</nav>\
         <span class=who>{} ({}) · <a href=\"/lang?to={}&amp;next={}\">{}</a> · \
         <form method=post action=/logout class=inline><input type=hidden name=csrf value=\"{}\">\
         <button type=submit class=link>{}</button></form></span></header><main>",
        t("预算联网监督", "budget supervision"),
        esc(auth.user()),
        match l {
            Lang::Zh => auth.role().zh(),
            Lang::En => auth.role().as_str(),
        },
        other.0,
        esc(&super::auth::urlencode(path)),
        other.1,
        esc(&auth.session.csrf),
        t("退出", "Log out"),
    ));
    s.push_str(body);
    s.push_str("</main></body></html>");
    s
}

/// The hidden CSRF field of a form.
pub fn csrf(auth: &Auth) -> String {
    format!(
        "<input type=hidden name=csrf value=\"{}\">",
        esc(&auth.session.csrf)
    )
}

/// A `<select>` with the given options (value, label), one selected.
pub fn select(name: &str, options: &[(String, String)], selected: Option<&str>) -> String {
    let mut s = format!("<select name={name}>");
    for (v, label) in options {
        s.push_str(&format!(
            "<option value=\"{}\"{}>{}</option>",
            esc(v),
            if Some(v.as_str()) == selected {
                " selected"
            } else {
                ""
            },
            esc(label)
        ));
    }
    s.push_str("</select>");
    s
}

/// A table from a header and rows of already-escaped HTML cells.
pub fn table(header: &[&str], rows: &[Vec<String>], class: &str) -> String {
    let mut s = format!("<table class=\"{class}\"><thead><tr>");
    for h in header {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            s.push_str(&format!("<td>{c}</td>"));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

/// A right-aligned number cell's content.
pub fn num(s: &str) -> String {
    format!("<span class=n>{}</span>", esc(s))
}

/// A severity badge.
pub fn level(level: &str, lang: Lang) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        crate::i18n::level_class(level),
        esc(&crate::i18n::level_label(level, lang))
    )
}

/// A link with escaped text.
pub fn a(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", esc(href), esc(text))
}
