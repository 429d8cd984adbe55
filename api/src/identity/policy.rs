//! The access policy in one table: which roles may perform which function. Anything
//! not listed is denied. Where a function touches enterprises' data, the caller's
//! scope further restricts the rows in SQL (see `crate::store::scope`), and out-of-scope
//! rows read as not found.

use super::caller::Role;

/// Functions guarded by the policy, named for the route group they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `GET /auth/me`, `POST /auth/logout`: any signed-in account.
    OwnSession,
    /// `GET /mp/enterprise`: the caller's own enterprise.
    MpOwnEnterprise,
    /// `GET /gov/enterprises[/{id}]`: enterprises in the caller's jurisdiction.
    GovEnterprises,
    /// `POST /gov/enterprises`, `PATCH /gov/enterprises/{id}`,
    /// `POST /gov/enterprises/{id}/deactivate|reactivate`: the enterprise register.
    GovRegister,
    /// `POST|GET /gov/imports[/{id}]`: roster and accident files uploaded as data feeds.
    GovImports,
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
    /// `POST /mp/inspections/{id}/report`, `GET /mp/reports[/{id}[/pdf]]`,
    /// `POST /mp/reports/{id}/submit|revise`: the officer generates, reads, submits and
    /// revises the self-inspection report.
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
    /// `POST /gov/programme/proposals[/{id}/confirm]`, `GET /gov/programme/proposals/{id}`,
    /// `POST /gov/programme/enrolments/{enterprise_id}/end`: the HRSS bureau chooses
    /// the programme's key enterprises.
    ProgrammeDecide,
    /// `GET /gov/programme/enrolments`: who is enrolled, in the caller's scope.
    ProgrammeEnrolments,
    /// `POST|PATCH /gov/experts…`: the service organisation keeps the expert pool.
    ExpertPoolAdmin,
    /// `GET /gov/experts[/{id}]`: the pool with its workload.
    ExpertPoolRead,
    /// `POST /auth/password`, `POST /auth/totp/enrol|confirm`: the caller's own
    /// password and second factor (accounts that sign in with a password).
    OwnCredentials,
    /// `GET|POST /admin/users`, `POST /admin/users/{id}/unlock|disable|enable|reset-password`,
    /// `GET|POST /admin/organisations`: accounts and the organisations they belong to.
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
    // Officers and responsible persons sign in through WeChat: no password, no TOTP.
    (
        Function::OwnCredentials,
        &[Expert, HrssBureau, EmergencyBureau, ServiceOrg, SystemAdmin, SecurityAdmin, AuditAdmin],
    ),
    (Function::MpOwnEnterprise, &[EnterpriseOfficer, ResponsiblePerson]),
    (Function::GovEnterprises, &[HrssBureau, EmergencyBureau, ServiceOrg]),
    // The register is kept by the service organisation (its clients) and the HRSS
    // bureau (its region); the emergency bureau reads it.
    (Function::GovRegister, &[HrssBureau, ServiceOrg]),
    (Function::GovImports, &[HrssBureau, EmergencyBureau, ServiceOrg]),
    (Function::GovBindingCodes, &[ServiceOrg]),
    (Function::GovDashboard, &[HrssBureau, EmergencyBureau]),
    (Function::GovEscalations, &[HrssBureau, EmergencyBureau, ServiceOrg]),
    // Escalating and closing are the bureaus' decisions, not the service organisation's.
    (Function::GovEscalate, &[HrssBureau, EmergencyBureau]),
    // Choosing the key enterprises is the HRSS bureau's (工伤预防 is its programme); the
    // service organisation and the emergency bureau see who is enrolled.
    (Function::ProgrammeDecide, &[HrssBureau]),
    (Function::ProgrammeEnrolments, &[HrssBureau, EmergencyBureau, ServiceOrg]),
    // The service organisation runs the expert pool; the HRSS bureau watches it.
    (Function::ExpertPoolAdmin, &[ServiceOrg]),
    (Function::ExpertPoolRead, &[ServiceOrg, HrssBureau]),
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
    // The report lists every finding of the enterprise with its photos; a responsible
    // person sees only the findings assigned to them, so not the report either.
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

pub fn allows(function: Function, role: Role) -> bool {
    POLICY.iter().any(|(f, roles)| *f == function && roles.contains(&role))
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

    #[test]
    fn the_report_is_the_officers() {
        assert!(allows(Function::MpReport, EnterpriseOfficer));
        assert!(!allows(Function::MpReport, ResponsiblePerson));
    }
}
