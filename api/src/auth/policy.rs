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
    (
        Function::OwnSession,
        &[
            EnterpriseOfficer,
            ResponsiblePerson,
            Expert,
            HrssBureau,
            EmergencyBureau,
            ServiceOrg,
            SystemAdmin,
            SecurityAdmin,
            AuditAdmin,
        ],
    ),
    (Function::MpOwnEnterprise, &[EnterpriseOfficer, ResponsiblePerson]),
    (Function::GovEnterprises, &[HrssBureau, EmergencyBureau, ServiceOrg]),
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
