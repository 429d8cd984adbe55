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
}

use Role::*;

/// The policy table.
pub const POLICY: &[(Function, &[Role])] = &[
    (Function::OwnSession, &Role::ALL),
    (Function::MpOwnEnterprise, &[EnterpriseOfficer, ResponsiblePerson]),
    (Function::GovEnterprises, &[HrssBureau, EmergencyBureau, ServiceOrg]),
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
    ("get", "/gov/enterprises", Some(Function::GovEnterprises)),
    ("get", "/gov/enterprises/{id}", Some(Function::GovEnterprises)),
    ("get", "/mp/enterprise", Some(Function::MpOwnEnterprise)),
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
