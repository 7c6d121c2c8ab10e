//! Rate limits, kept in memory by each instance: login starts and completions per client
//! address, failed admin authentications per client address, and the cap on pending logins
//! per organization (checked against the database by the login service).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::Error;
use crate::metrics::{Limit, RefusalMetrics};

/// How often the limiters forget addresses whose allowance is whole again.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// The address a request comes from: the socket peer, or behind a trusted proxy the address
/// the proxy reported. Parsed by the HTTP edge, handed to the services as this typed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

/// The limits' settings (see `.env.example`); `0` switches a limit off.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitsConfig {
    /// Login starts allowed per client address and minute, as a burst too (`0` = no limit).
    /// Completions have an allowance of the same size of their own.
    #[arg(
        long,
        env = "RATE_LIMIT_LOGIN_PER_MINUTE",
        default_value_t = 60,
        global = true
    )]
    pub rate_limit_login_per_minute: u32,

    /// Failed admin authentications (a bearer token that is neither the admin token nor a
    /// session token) allowed per client address and minute (`0` = no limit).
    #[arg(
        long,
        env = "RATE_LIMIT_ADMIN_FAILURES_PER_MINUTE",
        default_value_t = 10,
        global = true
    )]
    pub rate_limit_admin_failures_per_minute: u32,

    /// Logins started and neither completed nor expired that one organization may have at
    /// once (`0` = no limit).
    #[arg(
        long,
        env = "MAX_PENDING_LOGINS_PER_ORG",
        default_value_t = 10_000,
        global = true
    )]
    pub max_pending_logins_per_org: u32,

    /// Reverse proxies (exact IP addresses, comma-separated) whose `X-Forwarded-For` is
    /// believed: behind one, the client address is the right-most address in the header that
    /// is not itself a trusted proxy. Unset: the socket peer is the client address.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<IpAddr>,
}

impl LimitsConfig {
    /// Every limit switched off (benchmarks).
    pub fn off(&mut self) {
        self.rate_limit_login_per_minute = 0;
        self.rate_limit_admin_failures_per_minute = 0;
        self.max_pending_logins_per_org = 0;
    }
}

/// One allowance per client address, counting its refusals.
struct PerAddress {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    limit: Limit,
    refusals: RefusalMetrics,
}

impl PerAddress {
    /// `per_minute` units a minute, all of them available at once; `None` when 0 (off).
    fn new(per_minute: u32, limit: Limit, refusals: &RefusalMetrics) -> Option<Self> {
        NonZeroU32::new(per_minute).map(|n| Self {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
            limit,
            refusals: refusals.clone(),
        })
    }

    /// Takes one unit of `addr`'s allowance, or says how long until one is back.
    fn take(&self, addr: ClientAddr) -> Result<(), Error> {
        self.limiter.check_key(&addr.0).map_err(|not_until| {
            self.refusals.refused(self.limit);
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            Error::RateLimited {
                retry_after_secs: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
            }
        })
    }

    fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The instance's rate limiters.
pub struct RateLimits {
    login_starts: Option<PerAddress>,
    login_completions: Option<PerAddress>,
    admin_failures: Option<PerAddress>,
    /// The cap on pending logins per organization.
    pub max_pending_logins_per_org: Option<NonZeroU32>,
    /// Proxies whose `X-Forwarded-For` the HTTP edge believes.
    pub trusted_proxies: Vec<IpAddr>,
    /// Counts the refusals of every limit.
    pub refusals: RefusalMetrics,
}

impl RateLimits {
    /// The limiters `config` asks for, with a background task (ending with them) that
    /// forgets idle addresses so memory stays bounded. Refusals are counted in `refusals`.
    pub fn start(config: &LimitsConfig, refusals: RefusalMetrics) -> Arc<Self> {
        let per_address = |per_minute, limit| PerAddress::new(per_minute, limit, &refusals);
        let limits = Arc::new(Self {
            login_starts: per_address(config.rate_limit_login_per_minute, Limit::LoginStart),
            login_completions: per_address(
                config.rate_limit_login_per_minute,
                Limit::LoginCompletion,
            ),
            admin_failures: per_address(
                config.rate_limit_admin_failures_per_minute,
                Limit::AdminFailures,
            ),
            max_pending_logins_per_org: NonZeroU32::new(config.max_pending_logins_per_org),
            trusted_proxies: config.trusted_proxies.clone(),
            refusals,
        });
        tokio::spawn(forget_idle(Arc::downgrade(&limits)));
        limits
    }

    /// Counts a login start from `addr`.
    pub fn login_start(&self, addr: ClientAddr) -> Result<(), Error> {
        self.login_starts.as_ref().map_or(Ok(()), |l| l.take(addr))
    }

    /// Counts a login completion from `addr`.
    pub fn login_completion(&self, addr: ClientAddr) -> Result<(), Error> {
        self.login_completions
            .as_ref()
            .map_or(Ok(()), |l| l.take(addr))
    }

    /// Counts a failed admin authentication from `addr`; `Err` once the address has used up
    /// its allowance.
    pub fn admin_failure(&self, addr: ClientAddr) -> Result<(), Error> {
        self.admin_failures
            .as_ref()
            .map_or(Ok(()), |l| l.take(addr))
    }

    fn limiters(&self) -> impl Iterator<Item = &PerAddress> {
        [
            &self.login_starts,
            &self.login_completions,
            &self.admin_failures,
        ]
        .into_iter()
        .flatten()
    }
}

/// Every [`FORGET_EVERY`], drops the addresses whose allowance is whole again; ends when the
/// limits are dropped.
async fn forget_idle(limits: Weak<RateLimits>) {
    let mut interval = tokio::time::interval(FORGET_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(limits) = limits.upgrade() else {
            return;
        };
        limits.limiters().for_each(PerAddress::forget_idle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn allows_the_burst_then_refuses_with_a_wait() {
        let mut config = config();
        config.rate_limit_login_per_minute = 3;
        let limits = RateLimits::start(&config, RefusalMetrics::default());
        let addr = ClientAddr(IpAddr::from([192, 0, 2, 1]));
        let other = ClientAddr(IpAddr::from([192, 0, 2, 2]));
        for _ in 0..3 {
            limits.login_start(addr).unwrap();
        }
        match limits.login_start(addr) {
            Err(Error::RateLimited { retry_after_secs }) => {
                assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}");
            }
            other => panic!("expected RATE_LIMITED, got {other:?}"),
        }
        limits.login_start(other).unwrap();
        limits.login_completion(addr).unwrap();
    }

    #[tokio::test]
    async fn zero_switches_a_limit_off() {
        let mut config = config();
        config.off();
        let limits = RateLimits::start(&config, RefusalMetrics::default());
        let addr = ClientAddr(IpAddr::from([192, 0, 2, 1]));
        for _ in 0..1000 {
            limits.login_start(addr).unwrap();
            limits.admin_failure(addr).unwrap();
        }
        assert!(limits.max_pending_logins_per_org.is_none());
    }

    fn config() -> LimitsConfig {
        LimitsConfig {
            rate_limit_login_per_minute: 60,
            rate_limit_admin_failures_per_minute: 10,
            max_pending_logins_per_org: 10_000,
            trusted_proxies: Vec::new(),
        }
    }
}
