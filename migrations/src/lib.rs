//! Schema migrations for SQLite and PostgreSQL. Every migration has a `down` that
//! undoes it exactly; a test runs them up, down and up again on both databases.

pub use sea_orm_migration::prelude::*;

mod build;
mod m20261122_000001_reference;
mod m20261122_000002_accidents;
mod m20261122_000003_inspection;
mod m20261122_000004_governance;
mod m20261122_000005_platform;
mod m20261122_000006_risk;
mod m20261122_000007_feedback;
mod m20261201_000008_loop;
mod m20261201_000009_governance;
mod m20261201_000010_experts;
mod m20261201_000011_progress;
mod m20261205_000012_audit_seal;
mod m20261205_000013_rendered_items;
mod m20261205_000014_staff;
mod m20261205_000015_enterprise_register;
mod m20261205_000016_programme;

pub use m20261122_000005_platform::GENESIS as AUDIT_GENESIS;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_reference::Migration),
            Box::new(m20261122_000002_accidents::Migration),
            Box::new(m20261122_000003_inspection::Migration),
            Box::new(m20261122_000004_governance::Migration),
            Box::new(m20261122_000005_platform::Migration),
            Box::new(m20261122_000006_risk::Migration),
            Box::new(m20261122_000007_feedback::Migration),
            Box::new(m20261201_000008_loop::Migration),
            Box::new(m20261201_000009_governance::Migration),
            Box::new(m20261201_000010_experts::Migration),
            Box::new(m20261201_000011_progress::Migration),
            Box::new(m20261205_000012_audit_seal::Migration),
            Box::new(m20261205_000013_rendered_items::Migration),
            Box::new(m20261205_000014_staff::Migration),
            Box::new(m20261205_000015_enterprise_register::Migration),
            Box::new(m20261205_000016_programme::Migration),
        ]
    }
}
