//! Small builders shared by the migrations, so each table reads as its columns.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// A table with a big-integer surrogate key and `created_at`.
pub fn table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(big_pk_auto("id"))
        .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
        .to_owned()
}

/// A foreign key `table.column → target.id` (or `target.key` via [`fk_to`]).
pub fn fk(table: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    fk_to(table, column, target, "id")
}

pub fn fk_to(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    key: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, key)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// A cascading foreign key for rows that only exist as part of their parent.
pub fn fk_cascade(table: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    fk(table, column, target).on_delete(ForeignKeyAction::Cascade).to_owned()
}

pub fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(format!("ix_{table}_{}", columns.join("_"))).table(table);
    for c in columns {
        i.col(*c);
    }
    i.to_owned()
}

pub fn unique(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut i = index(table, columns);
    i.name(format!("ux_{table}_{}", columns.join("_"))).unique();
    i
}

/// `column IN (values…)`, for enumerations stored as text.
pub fn one_of(column: &'static str, values: &[&'static str]) -> SimpleExpr {
    Expr::col(column).is_in(values.iter().copied())
}

pub async fn create(
    m: &SchemaManager<'_>,
    t: TableCreateStatement,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    m.create_table(t).await?;
    for i in indexes {
        m.create_index(i).await?;
    }
    Ok(())
}

pub async fn drop(m: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for t in tables {
        m.drop_table(Table::drop().table(*t).to_owned()).await?;
    }
    Ok(())
}
