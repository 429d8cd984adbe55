//! What a governance task asks for, apart from what it reports: the checklist (四不放过
//! for an investigation), the accidents and the hazard items they implicate. `result`
//! stays for the assignee's answer.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000009_governance"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("tasks").add_column(json_binary_null("instructions")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("tasks").drop_column("instructions").to_owned()).await
    }
}
