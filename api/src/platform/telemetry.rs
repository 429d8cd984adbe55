//! Logging: human-readable on a terminal, JSON for collectors; never secrets.

use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_new(&log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    // A second init (tests spawn several apps in one process) is harmless.
    let _ = if log.format == "json" { builder.json().try_init() } else { builder.try_init() };
}
