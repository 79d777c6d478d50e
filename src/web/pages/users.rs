//! 用户: users and their roles, adding or resetting one, and the audit log (admins only).

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{PageOut, out};
use crate::users::Role;
use crate::web::AppState;
use crate::web::auth::Auth;
use crate::web::error::{AppError, PageResult};
use crate::web::html::{Frame, csrf, page, select, table, text};

pub async fn users(State(st): State<AppState>, auth: Auth) -> PageOut {
    auth.require(Role::Admin)?;
    let l = auth.lang;
    let t = |zh: &'static str, en: &'static str| l.t(zh, en);
    let (list, log) = st
        .users
        .read(|u| Ok::<_, crate::PurseError>((u.list()?, u.audit_log(100)?)))
        .await
        .page()?;
    let rows: Vec<Vec<Markup>> = list
        .iter()
        .map(|u| {
            vec![
                text(&u.name),
                text(u.role.as_str()),
                text(u.role.zh()),
                text(&u.reach.describe()),
                text(&crate::i18n::local_time(&u.created_at, st.config.zone())),
            ]
        })
        .collect();
    let roles: Vec<(String, String)> = Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), format!("{} {}", r.as_str(), r.zh())))
        .collect();
    let log_rows: Vec<Vec<Markup>> = log
        .iter()
        .map(|e| {
            vec![
                text(&crate::i18n::local_time(&e.at, st.config.zone())),
                text(&e.actor),
                text(&e.action),
                text(&e.detail),
            ]
        })
        .collect();
    out(page(
        &auth,
        Frame::new("users", t("用户", "Users"), "/users"),
        html! {
            h1 { (t("用户", "Users")) }
            (table(&[t("用户名", "Name"), t("角色", "Role"), "", t("可见范围", "Reach"), t("创建", "Created")], &rows, "data"))
            section.card {
                h2 { (t("新增或重置用户", "Add or reset a user")) }
                form method="post" action="/users" {
                    (csrf(&auth))
                    input name="name" placeholder=(t("用户名", "name")) required;
                    " " (select("role", &roles, Some("viewer"))) " "
                    input name="password" type="password" placeholder=(t("密码(至少8位)", "password (8+)")) required minlength="8";
                    p.note { (t("可见范围(留空为全部;多个用逗号分隔):", "Reach (empty = everything; separate several with commas):")) }
                    label { (t("区划编码", "Regions")) " " input name="regions" placeholder="990102"; }
                    " " label { (t("部门编码", "Departments")) " " input name="departments" placeholder="101"; }
                    " " label { (t("责任单位", "Units")) " " input name="units" placeholder=(t("单位名称", "unit name")); }
                    " "
                    button { (t("保存", "Save")) }
                }
            }
            h2 { (t("操作日志", "Audit log")) }
            (table(
                &[t("时间", "At"), t("操作人", "Actor"), t("操作", "Action"), t("内容", "Detail")],
                &log_rows,
                "data",
            ))
        },
    ))
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    name: String,
    role: String,
    password: String,
    #[serde(default)]
    regions: String,
    #[serde(default)]
    departments: String,
    #[serde(default)]
    units: String,
}

/// Comma- (or 、/，) separated values.
fn list(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；'])
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

pub async fn add_user(
    State(st): State<AppState>,
    auth: Auth,
    Form(f): Form<UserForm>,
) -> Result<Response, AppError> {
    auth.check_csrf(&f.csrf)?;
    auth.require(Role::Admin)?;
    let role = Role::parse(&f.role)
        .ok_or_else(|| AppError::bad_request(format!("role `{}`", f.role)).page())?;
    let actor = auth.user().to_string();
    let reach = crate::users::Reach {
        regions: list(&f.regions),
        departments: list(&f.departments),
        units: list(&f.units),
    };
    if role == Role::Unit && reach.units.is_empty() {
        return Err(AppError::bad_request(
            "a unit user needs its responsible unit (责任单位): fill in Units",
        )
        .page());
    }
    st.users
        .write(move |u| {
            u.add(&f.name, role, &f.password, &actor)?;
            u.set_reach(f.name.trim(), &reach, &actor)
        })
        .await
        .page()?;
    Ok(Redirect::to("/users").into_response())
}
