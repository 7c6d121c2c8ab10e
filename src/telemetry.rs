//! Structured logs with `tracing`. Log lines never carry secrets or tokens.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::config::LogFormat;

/// Targets that print SQL parameters (user data, login states) at `debug`/`trace`: they stay
/// at `info` unless `RUST_LOG` names them itself.
const QUIET_TARGETS: [&str; 3] = ["tokio_postgres", "diesel", "diesel_async"];

/// Installs the global subscriber: `RUST_LOG` filter (default `info`), pretty or JSON lines.
/// Colours only on a terminal: in a file or a log collector they are noise, and writing
/// them costs work on every line.
pub fn init(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(std::env::var("RUST_LOG").ok().as_deref()))
        .with_ansi(std::io::stdout().is_terminal())
        .with_target(false);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// The filter for a `RUST_LOG` value (`None` or invalid: `info`), with [`QUIET_TARGETS`]
/// pinned to `info` when the filter is more verbose than that and does not name them.
pub fn filter(rust_log: Option<&str>) -> EnvFilter {
    let spec = rust_log.filter(|s| !s.trim().is_empty()).unwrap_or("info");
    let mut filter = EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new("info"));
    let verbose = filter
        .max_level_hint()
        .is_none_or(|level| level > LevelFilter::INFO);
    if !verbose {
        return filter;
    }
    for target in QUIET_TARGETS {
        if !names_target(spec, target)
            && let Ok(directive) = format!("{target}=info").parse()
        {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// Whether a directive of `spec` is about `target` or one of its modules.
fn names_target(spec: &str, target: &str) -> bool {
    spec.split(',').any(|directive| {
        directive
            .trim()
            .strip_prefix(target)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['=', ':', '[']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameter_targets_stay_at_info() {
        for spec in ["debug", "trace", "info,vipps_identity=trace", "tokio=debug"] {
            let text = filter(Some(spec)).to_string();
            for target in QUIET_TARGETS {
                assert!(text.contains(&format!("{target}=info")), "{spec}: {text}");
            }
        }
        let named = filter(Some("debug,tokio_postgres=trace")).to_string();
        assert!(named.contains("tokio_postgres=trace"), "{named}");
        assert!(!named.contains("tokio_postgres=info"), "{named}");
        assert!(named.contains("diesel=info"), "{named}");
        let quiet = filter(Some("warn")).to_string();
        assert!(!quiet.contains("tokio_postgres"), "{quiet}");
        assert!(filter(None).to_string().contains("info"));
    }
}
