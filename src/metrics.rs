//! Prometheus metrics of one instance, served at `GET /metrics` in the text exposition
//! format (version 0.0.4).
//!
//! Labels hold only bounded values: route patterns (never raw paths), HTTP methods and
//! statuses, GraphQL root field names of the schema, error codes, upstream kinds, rate-limit
//! names and the ids of organizations that exist. Never a user id, token or client input.

use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::Method;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::db::PoolStatus;

/// The upper bounds (seconds) of the latency histograms: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// A family of latency histograms.
type Timings<L> = Family<L, Histogram, fn() -> Histogram>;

/// The route a request matched, as its pattern (`/api/v1/vipps-orgs/{org_id}`);
/// `<unmatched>` for paths no route serves.
#[derive(Clone, Debug)]
pub struct Route(Option<MatchedPath>);

impl Route {
    pub fn new(matched: Option<&MatchedPath>) -> Self {
        Self(matched.cloned())
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref().map_or("<unmatched>", MatchedPath::as_str)
    }
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Route {}

impl std::hash::Hash for Route {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        std::fmt::Write::write_str(encoder, self.as_str())
    }
}

/// The label of an HTTP method: the standard ones by name, anything else `OTHER`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: Route,
    pub method: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpTimingLabels {
    pub route: Route,
    pub method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GraphqlLabels {
    /// The root field the operation ran (`startVippsLogin`): operation names are chosen by
    /// clients, so they would be unbounded; `<none>` for documents refused before running.
    pub operation: String,
    /// `query`, `mutation`, or `<none>`.
    pub kind: &'static str,
    /// `ok` or the error code.
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    /// The organization, when it exists; empty otherwise.
    org: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamKind {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    limit: &'static str,
}

/// What a call to Vipps or Vault is counted as.
#[derive(Clone, Copy, Debug)]
pub enum UpstreamCall {
    Discovery,
    Jwks,
    Token,
    Userinfo,
    Vault,
}

impl UpstreamCall {
    fn as_str(self) -> &'static str {
        match self {
            Self::Discovery => "discovery",
            Self::Jwks => "jwks",
            Self::Token => "token",
            Self::Userinfo => "userinfo",
            Self::Vault => "vault",
        }
    }
}

/// The counters of calls to Vipps and Vault, handed to their clients.
#[derive(Clone)]
pub struct UpstreamMetrics {
    calls: Family<UpstreamLabels, Counter>,
    duration: Timings<UpstreamKind>,
}

impl UpstreamMetrics {
    /// Counts one call of `kind` that ended with `outcome` (`ok` or an error code).
    pub fn record(&self, kind: UpstreamCall, outcome: &'static str, took: Duration) {
        let kind = kind.as_str();
        self.calls
            .get_or_create(&UpstreamLabels { kind, outcome })
            .inc();
        self.duration
            .get_or_create(&UpstreamKind { kind })
            .observe(took.as_secs_f64());
    }
}

/// Which rate limit refused a request.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    LoginStart,
    LoginCompletion,
    AdminFailures,
    PendingLogins,
}

impl Limit {
    fn as_str(self) -> &'static str {
        match self {
            Self::LoginStart => "login_start",
            Self::LoginCompletion => "login_completion",
            Self::AdminFailures => "admin_failures",
            Self::PendingLogins => "pending_logins_per_org",
        }
    }
}

/// The counter of rate-limit refusals, handed to the limiters.
#[derive(Clone, Default)]
pub struct RefusalMetrics(Family<LimitLabels, Counter>);

impl RefusalMetrics {
    pub fn refused(&self, limit: Limit) {
        self.0
            .get_or_create(&LimitLabels {
                limit: limit.as_str(),
            })
            .inc();
    }
}

#[derive(Default)]
struct PoolGauges {
    max: Gauge,
    open: Gauge,
    in_use: Gauge,
    waiting: Gauge,
}

/// Every metric of the instance.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Timings<HttpTimingLabels>,
    /// GraphQL root fields run, and documents refused before running.
    pub graphql: Family<GraphqlLabels, Counter>,
    logins_started: Family<LoginLabels, Counter>,
    logins_completed: Family<LoginLabels, Counter>,
    /// Calls to Vipps and Vault.
    pub upstream: UpstreamMetrics,
    /// Rate-limit refusals.
    pub refusals: RefusalMetrics,
    pool: PoolGauges,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("vipps_identity");
        let http_requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            http_requests.clone(),
        );
        let http_duration: Timings<HttpTimingLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer, by route pattern and method",
            Unit::Seconds,
            http_duration.clone(),
        );
        let graphql = Family::default();
        registry.register(
            "graphql_operations",
            "GraphQL root fields run (by field, kind and outcome code), and documents refused before running (`<none>`)",
            graphql.clone(),
        );
        let logins_started = Family::default();
        registry.register(
            "logins_started",
            "Logins started, by organization and outcome code",
            logins_started.clone(),
        );
        let logins_completed = Family::default();
        registry.register(
            "logins_completed",
            "Login completions, by organization and outcome code",
            logins_completed.clone(),
        );
        let upstream = UpstreamMetrics {
            calls: Family::default(),
            duration: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            "upstream_requests",
            "Calls to Vipps (discovery, jwks, token, userinfo) and Vault, by kind and outcome code",
            upstream.calls.clone(),
        );
        registry.register_with_unit(
            "upstream_request_duration",
            "Time calls to Vipps and Vault took, by kind",
            Unit::Seconds,
            upstream.duration.clone(),
        );
        let refusals = RefusalMetrics::default();
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit, by limit",
            refusals.0.clone(),
        );
        let pool = PoolGauges::default();
        for (name, help, gauge) in [
            (
                "db_pool_max_connections",
                "Largest number of database connections the pool opens",
                &pool.max,
            ),
            (
                "db_pool_connections",
                "Database connections open now",
                &pool.open,
            ),
            (
                "db_pool_connections_in_use",
                "Database connections running a query now",
                &pool.in_use,
            ),
            (
                "db_pool_waiting",
                "Requests waiting for a database connection now",
                &pool.waiting,
            ),
        ] {
            registry.register(name, help, gauge.clone());
        }
        Self {
            registry,
            http_requests,
            http_duration,
            graphql,
            logins_started,
            logins_completed,
            upstream,
            refusals,
            pool,
        }
    }

    /// Counts one answered HTTP request.
    pub fn http_request(&self, labels: &HttpLabels, took: Duration) {
        self.http_requests.get_or_create(labels).inc();
        self.http_duration
            .get_or_create(&HttpTimingLabels {
                route: labels.route.clone(),
                method: labels.method,
            })
            .observe(took.as_secs_f64());
    }

    /// Counts a login start; `org` only when the organization exists.
    pub fn login_started(&self, org: Option<&str>, outcome: &'static str) {
        Self::login(&self.logins_started, org, outcome);
    }

    /// Counts a login completion; `org` only when the organization exists.
    pub fn login_completed(&self, org: Option<&str>, outcome: &'static str) {
        Self::login(&self.logins_completed, org, outcome);
    }

    fn login(family: &Family<LoginLabels, Counter>, org: Option<&str>, outcome: &'static str) {
        family
            .get_or_create(&LoginLabels {
                org: org.unwrap_or_default().to_owned(),
                outcome,
            })
            .inc();
    }

    /// The text exposition of every metric, with the pool's state as of now.
    pub fn render(&self, pool: PoolStatus) -> Result<String, std::fmt::Error> {
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.pool.max.set(gauge(pool.max_size));
        self.pool.open.set(gauge(pool.size));
        self.pool
            .in_use
            .set(gauge(pool.size.saturating_sub(pool.available)));
        self.pool.waiting.set(gauge(pool.waiting));
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// `ok` for a success, else the error's code.
pub fn outcome<T>(result: &crate::error::Result<T>) -> &'static str {
    result
        .as_ref()
        .map_or_else(crate::error::Error::code, |_| "ok")
}
