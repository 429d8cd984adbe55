//! The access policy in one table: which roles may perform which function. Anything
//! not listed is denied. Where a function touches enterprises' data, the caller's
//! scope further restricts the rows in SQL (see `crate::scope`), and out-of-scope
//! rows read as not found.

use super::caller::{Caller, Role};
use crate::error::{ApiError, ErrorCode};

/// Functions guarded by the policy, named for the route group they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `GET /auth/me`, `POST /auth/logout`: any signed-in account.
    OwnSession,
    /// `GET /mp/enterprise`: the caller's own enterprise.
    MpOwnEnterprise,
    /// `GET /gov/enterprises[/{id}]`: enterprises in the caller's jurisdiction.
    GovEnterprises,
    /// `GET /gov/dashboard/…`: the region's progress (bureaus).
    GovDashboard,
    /// `POST /gov/enterprises/{id}/binding-codes`: codes that bind an officer.
    GovBindingCodes,
    /// `POST /mp/recommendations[/{id}/feedback]`: generate rounds, answer items.
    MpRecommend,
    /// `POST /mp/inspections[/{id}/marks|close]`: start, mark and close rounds.
    MpInspect,
    /// `POST /mp/findings`: report a hazard.
    MpReportFinding,
    /// `POST /mp/findings/{id}/actions|progress`: move a finding through its states;
    /// the state machine further checks role and identity per action.
    MpFindingAction,
    /// `POST /mp/bind`: a new WeChat account binds with a code.
    MpBind,
    /// `POST /mp/me/phone`: the caller's own phone number, through WeChat.
    MpPhone,
    /// `POST /mp/tasks/{id}/complete`: the officer completes a self-inspection or an
    /// accident investigation.
    MpTaskComplete,
    /// `POST /gov/tasks/{id}/complete`: the addressed bureau completes a joint task.
    GovTaskComplete,
    /// `POST /mp/me/subscriptions`: consent to reminder messages.
    MpSubscribe,
    /// `POST /mp/invites`: an officer invites responsible persons.
    MpInvite,
    /// `GET /mp/people[/{id}/phone]`: the enterprise's people and their phones.
    MpPeople,
    /// `POST /mp/inspections/{id}/report`, `POST /mp/reports/{id}/submit|revise`:
    /// the officer generates, submits and revises the self-inspection report.
    MpReport,
    /// `GET /gov/reports[/{id}[/pdf]]`: reports of enterprises in the jurisdiction.
    GovReports,
    /// `POST /gov/reports/{id}/return`: an addressed bureau returns a report.
    GovReportReturn,
    /// `/mp/evidence…`: upload photo evidence and read the enterprise's photos.
    MpEvidence,
    /// `GET /gov/evidence/{id}/display`: photos of enterprises in the jurisdiction.
    GovEvidence,
    /// `GET /expert/tasks[/{id}]`: tasks dispatched to the caller.
    ExpertTasks,
    /// `POST /expert/tasks/{id}/accept|decline|checkin|findings|report|follow-up`:
    /// work on a task dispatched to the caller.
    ExpertTaskWork,
    /// `GET /gov/tasks`: tasks of enterprises in the caller's jurisdiction.
    GovTasks,
    /// `GET /gov/escalations[/{id}]`, `GET /gov/enterprises/{id}/escalations`:
    /// escalations in the caller's jurisdiction.
    GovEscalations,
    /// `POST /gov/enterprises/{id}/escalations`, `POST /gov/escalations/{id}/close`:
    /// a bureau escalates by hand or closes (overrides) an escalation.
    GovEscalate,
    /// `GET /admin/users`, `POST /admin/users/{id}/unlock`: accounts.
    AdminAccounts,
    /// `GET /admin/audit`: the audit trail.
    AdminAudit,
    /// `GET /admin/rules`: rule files in force.
    AdminRules,
}

use Role::*;

/// The policy table.
pub const POLICY: &[(Function, &[Role])] = &[
    (Function::OwnSession, &Role::ALL),
    (Function::MpOwnEnterprise, &[EnterpriseOfficer, ResponsiblePerson]),
    (Function::GovEnterprises, &[HrssBureau, EmergencyBureau, ServiceOrg]),
    (Function::GovBindingCodes, &[ServiceOrg]),
    (Function::GovDashboard, &[HrssBureau, EmergencyBureau]),
    (Function::GovEscalations, &[HrssBureau, EmergencyBureau, ServiceOrg]),
    // Escalating and closing are the bureaus' decisions, not the service organisation's.
    (Function::GovEscalate, &[HrssBureau, EmergencyBureau]),
    // A new WeChat account is an officer bound to nothing until it binds.
    (Function::MpBind, &[EnterpriseOfficer, ResponsiblePerson]),
    (Function::MpPhone, &[EnterpriseOfficer, ResponsiblePerson, Expert]),
    (Function::MpInvite, &[EnterpriseOfficer]),
    (Function::MpSubscribe, &[EnterpriseOfficer, ResponsiblePerson, Expert]),
    (Function::MpRecommend, &[EnterpriseOfficer]),
    (Function::MpInspect, &[EnterpriseOfficer]),
    (Function::MpTaskComplete, &[EnterpriseOfficer]),
    (Function::GovTaskComplete, &[HrssBureau, EmergencyBureau]),
    (Function::MpReportFinding, &[EnterpriseOfficer]),
    (Function::MpFindingAction, &[EnterpriseOfficer, ResponsiblePerson]),
    (Function::MpPeople, &[EnterpriseOfficer]),
    (Function::MpReport, &[EnterpriseOfficer]),
    // Reports go to the two bureaus; the service organisation does not receive them.
    (Function::GovReports, &[HrssBureau, EmergencyBureau]),
    (Function::GovReportReturn, &[HrssBureau, EmergencyBureau]),
    // Responsible persons photograph progress and the rectified site.
    (Function::MpEvidence, &[EnterpriseOfficer, ResponsiblePerson]),
    (Function::GovEvidence, &[HrssBureau, EmergencyBureau]),
    (Function::ExpertTasks, &[Expert]),
    (Function::ExpertTaskWork, &[Expert]),
    (Function::GovTasks, &[HrssBureau, EmergencyBureau, ServiceOrg]),
    // Three administrators, three separate powers.
    (Function::AdminAccounts, &[SecurityAdmin]),
    (Function::AdminAudit, &[AuditAdmin]),
    (Function::AdminRules, &[SystemAdmin]),
];

/// Every route and the function that guards it (`None`: public). A test walks the
/// OpenAPI document and fails on any route missing here, so none escapes the policy.
pub const ROUTES: &[(&str, &str, Option<Function>)] = &[
    ("get", "/healthz", None),
    ("get", "/readyz", None),
    ("get", "/openapi.yaml", None),
    ("get", "/v1/codes/{table}", None),
    ("post", "/v1/codes/crosswalk", None),
    ("post", "/auth/login", None),
    ("post", "/auth/refresh", None),
    ("post", "/auth/logout", Some(Function::OwnSession)),
    ("get", "/auth/me", Some(Function::OwnSession)),
    ("get", "/gov/dashboard/summary", Some(Function::GovDashboard)),
    ("get", "/gov/analysis/key-industries", Some(Function::GovDashboard)),
    ("get", "/gov/analysis/coverage", Some(Function::GovDashboard)),
    ("get", "/gov/analysis/trends", Some(Function::GovDashboard)),
    ("get", "/gov/analysis/focus", Some(Function::GovDashboard)),
    ("get", "/gov/analysis/report", Some(Function::GovDashboard)),
    ("get", "/gov/analysis/report.pdf", Some(Function::GovDashboard)),
    ("get", "/gov/analysis/report.xlsx", Some(Function::GovDashboard)),
    ("get", "/gov/dashboard/feedback", Some(Function::GovDashboard)),
    ("get", "/gov/dashboard/enterprises", Some(Function::GovDashboard)),
    ("get", "/gov/enterprises", Some(Function::GovEnterprises)),
    ("get", "/gov/enterprises/{id}", Some(Function::GovEnterprises)),
    ("post", "/gov/enterprises/{id}/binding-codes", Some(Function::GovBindingCodes)),
    ("get", "/gov/enterprises/{id}/risk", Some(Function::GovEnterprises)),
    ("get", "/mp/risk", Some(Function::MpOwnEnterprise)),
    ("get", "/gov/enterprises/{id}/targets", Some(Function::GovEnterprises)),
    ("get", "/mp/targets", Some(Function::MpOwnEnterprise)),
    ("get", "/gov/enterprises/{id}/recommendations", Some(Function::GovEnterprises)),
    ("get", "/gov/enterprises/{id}/recommendations/{round_id}", Some(Function::GovEnterprises)),
    ("post", "/mp/recommendations", Some(Function::MpRecommend)),
    ("get", "/mp/recommendations", Some(Function::MpOwnEnterprise)),
    ("get", "/mp/recommendations/{id}", Some(Function::MpOwnEnterprise)),
    ("post", "/mp/recommendations/{id}/feedback", Some(Function::MpRecommend)),
    ("post", "/mp/inspections", Some(Function::MpInspect)),
    ("get", "/mp/inspections", Some(Function::MpOwnEnterprise)),
    ("get", "/mp/inspections/{id}", Some(Function::MpOwnEnterprise)),
    ("post", "/mp/inspections/{id}/marks", Some(Function::MpInspect)),
    ("post", "/mp/inspections/{id}/close", Some(Function::MpInspect)),
    ("post", "/mp/findings", Some(Function::MpReportFinding)),
    ("get", "/mp/findings", Some(Function::MpOwnEnterprise)),
    ("get", "/mp/findings/{id}", Some(Function::MpOwnEnterprise)),
    ("post", "/mp/findings/{id}/actions", Some(Function::MpFindingAction)),
    ("post", "/mp/findings/{id}/progress", Some(Function::MpFindingAction)),
    ("get", "/mp/sync", Some(Function::MpOwnEnterprise)),
    ("get", "/mp/tasks", Some(Function::MpOwnEnterprise)),
    ("post", "/mp/tasks/{id}/complete", Some(Function::MpTaskComplete)),
    ("post", "/gov/tasks/{id}/complete", Some(Function::GovTaskComplete)),
    ("get", "/mp/escalations", Some(Function::MpOwnEnterprise)),
    ("get", "/gov/escalations", Some(Function::GovEscalations)),
    ("get", "/gov/escalations/{id}", Some(Function::GovEscalations)),
    ("get", "/gov/enterprises/{id}/escalations", Some(Function::GovEscalations)),
    ("post", "/gov/enterprises/{id}/escalations", Some(Function::GovEscalate)),
    ("post", "/gov/escalations/{id}/close", Some(Function::GovEscalate)),
    ("get", "/gov/enterprises/{id}/findings", Some(Function::GovEnterprises)),
    ("get", "/gov/enterprises/{id}/findings/{finding_id}", Some(Function::GovEnterprises)),
    ("post", "/mp/auth/login", None),
    ("get", "/mp/enterprise", Some(Function::MpOwnEnterprise)),
    ("post", "/mp/bind", Some(Function::MpBind)),
    ("post", "/mp/me/phone", Some(Function::MpPhone)),
    ("post", "/mp/me/subscriptions", Some(Function::MpSubscribe)),
    ("post", "/mp/invites", Some(Function::MpInvite)),
    ("get", "/mp/people", Some(Function::MpPeople)),
    ("get", "/mp/people/{id}/phone", Some(Function::MpPeople)),
    ("post", "/mp/inspections/{id}/report", Some(Function::MpReport)),
    ("get", "/mp/reports", Some(Function::MpOwnEnterprise)),
    ("get", "/mp/reports/{id}", Some(Function::MpOwnEnterprise)),
    ("get", "/mp/reports/{id}/pdf", Some(Function::MpOwnEnterprise)),
    ("post", "/mp/reports/{id}/submit", Some(Function::MpReport)),
    ("post", "/mp/reports/{id}/revise", Some(Function::MpReport)),
    ("get", "/gov/reports", Some(Function::GovReports)),
    ("get", "/gov/reports/{id}", Some(Function::GovReports)),
    ("get", "/gov/reports/{id}/pdf", Some(Function::GovReports)),
    ("post", "/gov/reports/{id}/return", Some(Function::GovReportReturn)),
    ("post", "/mp/evidence", Some(Function::MpEvidence)),
    ("post", "/mp/evidence/uploads", Some(Function::MpEvidence)),
    ("post", "/mp/evidence/uploads/{id}/commit", Some(Function::MpEvidence)),
    ("get", "/mp/evidence/{id}", Some(Function::MpEvidence)),
    ("get", "/mp/evidence/{id}/display", Some(Function::MpEvidence)),
    ("get", "/mp/evidence/{id}/original", Some(Function::MpEvidence)),
    ("get", "/gov/evidence/{id}/display", Some(Function::GovEvidence)),
    ("get", "/expert/tasks", Some(Function::ExpertTasks)),
    ("get", "/expert/tasks/{id}", Some(Function::ExpertTasks)),
    ("post", "/expert/tasks/{id}/accept", Some(Function::ExpertTaskWork)),
    ("post", "/expert/tasks/{id}/decline", Some(Function::ExpertTaskWork)),
    ("post", "/expert/tasks/{id}/checkin", Some(Function::ExpertTaskWork)),
    ("post", "/expert/tasks/{id}/findings", Some(Function::ExpertTaskWork)),
    ("post", "/expert/tasks/{id}/report", Some(Function::ExpertTaskWork)),
    ("post", "/expert/tasks/{id}/follow-up", Some(Function::ExpertTaskWork)),
    ("get", "/gov/tasks", Some(Function::GovTasks)),
    ("get", "/admin/users", Some(Function::AdminAccounts)),
    ("post", "/admin/users/{id}/unlock", Some(Function::AdminAccounts)),
    ("get", "/admin/audit", Some(Function::AdminAudit)),
    ("get", "/admin/rules", Some(Function::AdminRules)),
];

pub fn allows(function: Function, role: Role) -> bool {
    POLICY.iter().any(|(f, roles)| *f == function && roles.contains(&role))
}

impl Caller {
    /// 403 unless the policy lets the caller's role perform `function`.
    pub fn require(&self, function: Function) -> Result<(), ApiError> {
        if allows(function, self.role) {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::Forbidden, format!("the role {} may not do this", self.role.as_str())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn administrators_do_not_read_enterprise_data() {
        for r in [SystemAdmin, SecurityAdmin, AuditAdmin, Expert, EnterpriseOfficer] {
            assert!(!allows(Function::GovEnterprises, r), "{r:?}");
        }
        assert!(allows(Function::GovEnterprises, HrssBureau));
        assert!(!allows(Function::MpOwnEnterprise, HrssBureau));
    }
}
