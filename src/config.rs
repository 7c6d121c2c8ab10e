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
/// No `Debug`: it holds the admin token.
#[derive(Clone, clap::Args)]
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

    #[command(flatten)]
    pub login: LoginConfig,
}

/// The Vipps issuer of each environment, the headers Vipps asks integrators to send, and
/// where client secrets are looked up. No `Debug`: it holds the Vault token.
#[derive(Clone, clap::Args)]
pub struct LoginConfig {
    /// OpenID issuer of the `production` environment (exactly as the provider spells it).
    #[arg(
        long,
        env = "VIPPS_PRODUCTION_ISSUER",
        default_value = "https://api.vipps.no/access-management-1.0/access/",
        value_parser = issuer,
        global = true
    )]
    pub vipps_production_issuer: String,

    /// OpenID issuer of the `test` environment; point it at `vipps-identity mock-vipps` to
    /// develop without Vipps.
    #[arg(
        long,
        env = "VIPPS_TEST_ISSUER",
        default_value = "https://apitest.vipps.no/access-management-1.0/access/",
        value_parser = issuer,
        global = true
    )]
    pub vipps_test_issuer: String,

    /// `Vipps-System-Name` header (at most 30 characters).
    #[arg(long, env = "VIPPS_SYSTEM_NAME", default_value = env!("CARGO_PKG_NAME"), value_parser = header_text, global = true)]
    pub vipps_system_name: String,

    /// `Vipps-System-Version` header (at most 30 characters).
    #[arg(long, env = "VIPPS_SYSTEM_VERSION", default_value = env!("CARGO_PKG_VERSION"), value_parser = header_text, global = true)]
    pub vipps_system_version: String,

    /// `Vipps-System-Plugin-Name` header (at most 30 characters).
    #[arg(long, env = "VIPPS_SYSTEM_PLUGIN_NAME", default_value = "vipps-identity-login", value_parser = header_text, global = true)]
    pub vipps_system_plugin_name: String,

    /// `Vipps-System-Plugin-Version` header (at most 30 characters).
    #[arg(long, env = "VIPPS_SYSTEM_PLUGIN_VERSION", default_value = env!("CARGO_PKG_VERSION"), value_parser = header_text, global = true)]
    pub vipps_system_plugin_version: String,

    /// Seconds each request to Vipps (or Vault) may take in all.
    #[arg(long, env = "VIPPS_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120), global = true)]
    pub vipps_timeout_secs: u64,

    /// The address clients reach this server at, as in `https://id.example.no` (behind a
    /// proxy, the public one). When it is https, the login cookie is marked `Secure`.
    #[arg(long, env = "PUBLIC_BASE_URL", value_parser = public_base_url, global = true)]
    pub public_base_url: Option<url::Url>,

    /// Seconds a started login stays valid.
    #[arg(long, env = "LOGIN_TTL_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub login_ttl_secs: u64,

    /// HashiCorp Vault address for `vault://` secret references, as in `https://vault:8200`.
    #[arg(long, env = "VAULT_ADDR", requires = "vault_token", global = true)]
    pub vault_addr: Option<url::Url>,

    /// Vault token for `vault://` secret references.
    #[arg(
        long,
        env = "VAULT_TOKEN",
        hide_env_values = true,
        requires = "vault_addr",
        global = true
    )]
    pub vault_token: Option<String>,

    /// Mount point of the Vault KV v2 engine.
    #[arg(long, env = "VAULT_KV_MOUNT", default_value = "secret", global = true)]
    pub vault_kv_mount: String,

    /// PEM file (PKCS#8 Ed25519) with the key that signs session tokens. Generated and written
    /// there on first start when missing; an unreadable file stops the server. Instances that
    /// share a database must share this file.
    #[arg(
        long,
        env = "SESSION_KEY_FILE",
        default_value = "vipps-identity-session-key.pem",
        global = true
    )]
    pub session_key_file: std::path::PathBuf,

    /// `iss` of session tokens.
    #[arg(
        long,
        env = "SESSION_ISSUER",
        default_value = "vipps-identity",
        global = true
    )]
    pub session_issuer: String,

    /// Seconds a session token stays valid. Short by default: backends that verify tokens
    /// offline see a logout or revocation only when the token expires (or by introspection).
    #[arg(long, env = "SESSION_TTL_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(60..=2_592_000), global = true)]
    pub session_ttl_secs: u64,

    /// Seconds a resolved client secret is kept in memory before it is read again.
    #[arg(long, env = "SECRET_CACHE_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=3600), global = true)]
    pub secret_cache_secs: u64,

    /// Directory that `file://` client-secret references must point into (absolute path).
    /// When unset, `file://` references are refused.
    #[arg(long, env = "SECRET_FILE_DIR", value_parser = absolute_dir, global = true)]
    pub secret_file_dir: Option<std::path::PathBuf>,

    /// Prefix every `env://` client-secret reference must start with, as in `VIPPS_SECRET_`.
    /// The server's own settings are refused whatever the prefix.
    #[arg(long, env = "SECRET_ENV_PREFIX", value_parser = env_prefix, global = true)]
    pub secret_env_prefix: Option<String>,

    /// Vault path that `vault://` client-secret references must lie below, as in `vipps`.
    #[arg(long, env = "VAULT_PATH_PREFIX", value_parser = vault_prefix, global = true)]
    pub vault_path_prefix: Option<String>,

    #[command(flatten)]
    pub limits: crate::limits::LimitsConfig,

    #[command(flatten)]
    pub server: ServerConfig,
}

/// Connection limits and timeouts of the HTTP server, and the background purge of expired
/// rows.
#[derive(Clone, Debug, clap::Args)]
pub struct ServerConfig {
    /// Seconds a client may take to send a request's headers (also how long an HTTP/1.1
    /// connection may wait for its next request); slower clients are disconnected.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300), global = true)]
    pub header_read_timeout_secs: u64,

    /// Seconds a whole request may take, body and answer included; later, the answer is a 503
    /// `REQUEST_TIMEOUT` problem and the connection closes.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600), global = true)]
    pub request_timeout_secs: u64,

    /// Seconds a connection may stay open without a byte sent either way (never less than
    /// the request timeout).
    #[arg(long, env = "IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub idle_timeout_secs: u64,

    /// Most client connections served at once; further clients wait to be accepted.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000), global = true)]
    pub max_connections: u32,

    /// Seconds the requests in flight may take to finish at shutdown; then connections are
    /// dropped.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=600), global = true)]
    pub shutdown_grace_secs: u64,

    /// Seconds between two purges of expired login attempts and sessions.
    #[arg(long, env = "PURGE_INTERVAL_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400), global = true)]
    pub purge_interval_secs: u64,

    /// Rows each purge statement deletes at most.
    #[arg(long, env = "PURGE_BATCH_SIZE", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000), global = true)]
    pub purge_batch_size: u32,

    /// Days audit events are kept before the background purge deletes them; 0 keeps them
    /// for ever.
    #[arg(long, env = "AUDIT_RETENTION_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u32).range(0..=36_500), global = true)]
    pub audit_retention_days: u32,

    /// Comma-separated origins (`https://app.example.no`, exactly as browsers send them)
    /// whose pages may call the API from the browser (CORS); none by default.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',', value_parser = cors_origin, global = true)]
    pub cors_allowed_origins: Vec<axum::http::HeaderValue>,

    /// When set, `GET /metrics` needs `Authorization: Bearer <this token>` (≥ 16 chars);
    /// unset, the metrics are public.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true, value_parser = metrics_token, global = true)]
    pub metrics_token: Option<String>,
}

/// The environment variables the server reads as its own configuration: every variable of
/// [`Config`] (taken from its clap definition, so the list cannot drift) plus `RUST_LOG` and
/// the proxy variables the HTTP client reads. `env://` secret references may name none of them.
pub fn own_env_vars() -> Vec<String> {
    use clap::Args as _;
    let command = Config::augment_args(clap::Command::new("vipps-identity"));
    let mut vars: Vec<String> = command
        .get_arguments()
        .filter_map(clap::Arg::get_env)
        .map(|var| var.to_string_lossy().into_owned())
        .collect();
    vars.extend(
        [
            "RUST_LOG",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "NO_PROXY",
        ]
        .map(str::to_owned),
    );
    vars
}

/// An absolute directory path (relative paths would depend on the working directory).
fn absolute_dir(value: &str) -> Result<std::path::PathBuf, String> {
    let path = std::path::PathBuf::from(value);
    if !path.is_absolute() {
        return Err("must be an absolute path".to_owned());
    }
    Ok(path)
}

/// The start of an environment variable name: letters, digits and `_`, not a digit first.
fn env_prefix(value: &str) -> Result<String, String> {
    let valid = value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err("must be the start of a variable name, as in `VIPPS_SECRET_`".to_owned());
    }
    Ok(value.to_owned())
}

/// A Vault KV path: segments of letters, digits, `_`, `-`, `.`; outer slashes are dropped.
fn vault_prefix(value: &str) -> Result<String, String> {
    let trimmed = value.trim_matches('/');
    let valid = !trimmed.is_empty()
        && trimmed.split('/').all(|s| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        });
    if !valid {
        return Err("must be a Vault path, as in `vipps` or `apps/vipps`".to_owned());
    }
    Ok(trimmed.to_owned())
}

/// An issuer URL, kept exactly as written: ID tokens must carry it byte for byte, and URL
/// normalization would add a `/` to `https://idp.example`.
fn issuer(value: &str) -> Result<String, String> {
    let url = url::Url::parse(value).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "https" | "http")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err("must be an http(s) URL without query or fragment".to_owned());
    }
    Ok(value.to_owned())
}

/// An absolute http(s) URL without query or fragment.
fn public_base_url(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "https" | "http")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err("must be an http(s) URL without query or fragment".to_owned());
    }
    Ok(url)
}

/// A header value Vipps accepts: 1–30 printable ASCII characters.
/// An origin as a browser sends it in `Origin`: `scheme://host[:port]`, nothing more.
fn cors_origin(value: &str) -> Result<axum::http::HeaderValue, String> {
    let invalid = || {
        "must be an origin such as `https://app.example.no` (scheme, host and port only)".to_owned()
    };
    let url = url::Url::parse(value).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "https" | "http") || url.origin().ascii_serialization() != value {
        return Err(invalid());
    }
    axum::http::HeaderValue::from_str(value).map_err(|_| invalid())
}

fn metrics_token(value: &str) -> Result<String, String> {
    if value.len() < 16 || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be at least 16 printable ASCII characters with no spaces".to_owned());
    }
    Ok(value.to_owned())
}

fn header_text(value: &str) -> Result<String, String> {
    if value.is_empty()
        || value.len() > 30
        || !value.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err("must be 1-30 printable ASCII characters".to_owned());
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cors_origins_are_exact_origins() {
        for good in ["https://app.example.no", "http://localhost:3000"] {
            assert_eq!(super::cors_origin(good).unwrap(), good);
        }
        for bad in [
            "*",
            "null",
            "app.example.no",
            "https://app.example.no/",
            "https://app.example.no/path",
            "https://App.example.no",
            "https://app.example.no:443",
            "ftp://app.example.no",
        ] {
            assert!(super::cors_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metrics_tokens_are_long_and_plain() {
        assert!(super::metrics_token("metrics-token-0123456789").is_ok());
        for bad in ["short", "has a space in it somewhere", ""] {
            assert!(super::metrics_token(bad).is_err(), "{bad}");
        }
    }
}
