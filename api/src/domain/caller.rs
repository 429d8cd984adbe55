//! Who is calling, as every context sees it: the account, its role and the slice of
//! the world it may see. Resolved from the bearer token by `identity`; role and scope
//! come from the server's records, never from the request.

use serde::Serialize;
use utoipa::ToSchema;
use zhicha_engine::RegionCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    EnterpriseOfficer,
    ResponsiblePerson,
    Expert,
    HrssBureau,
    EmergencyBureau,
    ServiceOrg,
    SystemAdmin,
    SecurityAdmin,
    AuditAdmin,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::EnterpriseOfficer,
        Role::ResponsiblePerson,
        Role::Expert,
        Role::HrssBureau,
        Role::EmergencyBureau,
        Role::ServiceOrg,
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::AuditAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::EnterpriseOfficer => "enterprise_officer",
            Role::ResponsiblePerson => "responsible_person",
            Role::Expert => "expert",
            Role::HrssBureau => "hrss_bureau",
            Role::EmergencyBureau => "emergency_bureau",
            Role::ServiceOrg => "service_org",
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The slice of the world a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One enterprise (officers, responsible persons).
    Enterprise(i64),
    /// Every enterprise inside a division (bureaus).
    Region(RegionCode),
    /// Tasks dispatched to this expert.
    Expert(i64),
    /// Enterprises this service organisation serves.
    ServiceOrg(i64),
    /// Administrators: the system, not enterprises' data.
    System,
    /// An account not yet bound to what its role needs (e.g. an officer without an
    /// enterprise): it sees nothing.
    Unbound,
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
    pub organisation_id: Option<i64>,
    pub session_id: i64,
    pub family_id: String,
}
