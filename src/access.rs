//! What a bounded user may see outside the warehouse: which alerts and problem items fall inside
//! their reach. The warehouse itself is bounded by [`crate::engine::restrict`]; what is decided
//! here is decided from that restricted session, so the two always agree: a department-bounded
//! user sees the alerts of the departments and budget units whose rows they can read.

use std::collections::HashSet;

use datafusion::prelude::SessionContext;

use crate::alerts::{Alert, MonthAlerts};
use crate::error::Result;
use crate::problems::Problem;
use crate::users::Reach;

/// The names and codes a reach lets through, read once from a restricted session.
#[derive(Debug, Clone, Default)]
pub struct Visible {
    pub reach: Reach,
    /// Department names (for alerts and problem items that name their department).
    depts: HashSet<String>,
    /// Budget unit codes and names.
    agencies: HashSet<String>,
}

impl Visible {
    /// Everything.
    pub fn all() -> Visible {
        Visible::default()
    }

    /// What `reach` lets through, given a session already restricted to it.
    pub async fn of(ctx: &SessionContext, reach: &Reach) -> Result<Visible> {
        let mut v = Visible {
            reach: reach.clone(),
            ..Default::default()
        };
        if reach.departments.is_empty() {
            return Ok(v);
        }
        let rows = crate::figures::fetch(
            ctx,
            "SELECT DISTINCT dept_name, agency_code, agency_name FROM budget_execution",
            &[],
        )
        .await?;
        for r in rows {
            let [dept, code, name] = [0, 1, 2].map(|i| r[i].text());
            v.depts.extend(Some(dept).filter(|s| !s.is_empty()));
            v.agencies
                .extend([code, name].into_iter().filter(|s| !s.is_empty()));
        }
        Ok(v)
    }

    /// Whether a user with this reach sees everything.
    pub fn is_all(&self) -> bool {
        self.reach.is_all()
    }

    /// An alert is inside when its region is, and (under a department bound) its department or
    /// budget unit is one whose rows the user can read. An alert that names neither is outside.
    pub fn alert(&self, a: &Alert) -> bool {
        if !self.reach.regions.is_empty() && !self.reach.has_region(a.region_code.as_deref()) {
            return false;
        }
        if !self.reach.departments.is_empty() {
            let dept = a
                .dept_name
                .as_deref()
                .is_some_and(|d| self.depts.contains(d));
            let unit = a
                .agency_code
                .as_deref()
                .is_some_and(|c| self.agencies.contains(c));
            if !dept && !unit {
                return false;
            }
        }
        if !self.reach.units.is_empty() {
            // A unit user follows its problem items, not the alert list.
            return a.owner.as_deref().is_some_and(|o| self.reach.has_unit(o));
        }
        true
    }

    /// A problem item is inside when its region is, its responsible unit is one of the user's
    /// units (under a unit bound), and under a department bound the unit is one of the
    /// departments or budget units the user can read.
    pub fn problem(&self, p: &Problem) -> bool {
        if !self.reach.regions.is_empty() && !self.reach.has_region(p.region_code.as_deref()) {
            return false;
        }
        if !self.reach.units.is_empty() && !self.reach.has_unit(&p.unit) {
            return false;
        }
        if !self.reach.departments.is_empty()
            && !self.depts.contains(p.unit.trim())
            && !self.agencies.contains(p.unit.trim())
        {
            return false;
        }
        true
    }

    /// Keeps the visible alerts.
    pub fn alerts(&self, mut v: Vec<Alert>) -> Vec<Alert> {
        if !self.is_all() {
            v.retain(|a| self.alert(a));
        }
        v
    }

    /// Keeps the visible problem items.
    pub fn problems(&self, mut v: Vec<Problem>) -> Vec<Problem> {
        if !self.is_all() {
            v.retain(|p| self.problem(p));
        }
        v
    }

    /// A month's alerts, bounded.
    pub fn month(&self, mut m: MonthAlerts) -> MonthAlerts {
        if self.is_all() {
            return m;
        }
        m.alerts.retain(|(a, _)| self.alert(a));
        m.new = m
            .alerts
            .iter()
            .filter(|(a, r)| a.first_period == r.period)
            .count();
        m.gone.retain(|a| self.alert(a));
        m.held.retain(|a| self.alert(a));
        m
    }
}
