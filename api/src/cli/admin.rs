//! `zhicha admin …`: what an operator does on the server before anyone can sign in.

use clap::Subcommand;

use crate::config::Settings;
use crate::platform::db;

#[derive(Subcommand)]
pub enum AdminWhat {
    /// Create the first security administrator on a migrated database that has no
    /// active one; its one-time password is printed once, to standard output only.
    Bootstrap {
        /// Its username (3-64 characters: a-z, 0-9, '.', '_', '-').
        #[arg(long)]
        username: String,
        /// Its display name.
        #[arg(long, default_value = "安全管理员")]
        name: String,
    },
}

pub async fn run(settings: &Settings, what: AdminWhat) -> anyhow::Result<()> {
    match what {
        AdminWhat::Bootstrap { username, name } => bootstrap(settings, &username, &name).await,
    }
}

async fn bootstrap(settings: &Settings, username: &str, name: &str) -> anyhow::Result<()> {
    let db = db::connect(settings).await?;
    db::ensure_migrated(&db).await?;
    let txn = db::begin_write(&db).await?;
    let (user, password) = crate::identity::staff::bootstrap(&txn, &settings.auth, username, name).await?;
    txn.commit().await?;
    // Printed here and nowhere else: never through the log.
    println!("security administrator {username} created (user id {})", user.id);
    println!("one-time password: {password}");
    println!(
        "sign in with POST /auth/login, then change the password (POST /auth/password) and enrol the second factor \
         (POST /auth/totp/enrol, POST /auth/totp/confirm); the password is not shown again"
    );
    Ok(())
}
