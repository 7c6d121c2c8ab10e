//! Configuration: command-line flags, each with an environment-variable fallback.

use std::net::SocketAddr;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Server settings (see `.env.example`). `RUST_LOG` sets the log filter (default `info`).
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "BIND_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind_addr: SocketAddr,

    /// Database: `sqlite://<file>` (embedded, created if missing) or `postgres://user:password@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://vipps-identity.db",
        hide_env_values = true,
        global = true
    )]
    pub database_url: String,

    /// Largest number of open database connections.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 8, value_parser = clap::value_parser!(u16).range(2..=1000), global = true)]
    pub database_pool_size: u16,

    /// Bearer token for admin operations (at least 16 characters). When unset, a random token is
    /// generated at start and printed once to stderr.
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true, global = true)]
    pub admin_token: Option<String>,

    /// Log format.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "pretty",
        global = true
    )]
    pub log_format: LogFormat,
}
