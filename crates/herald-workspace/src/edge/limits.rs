//! What the server allows ([`Limits`]): how many connections it holds and how long it waits on
//! them (applied by [`crate::server`]), and the rate limits on the public web chat
//! ([`RateLimiters`]): chats started per client address, messages per conversation. A refused
//! request is a 429 `rate_limited` with `Retry-After` (whole seconds) and the usual error body.
//!
//! The client address is the TCP peer's. With [`Limits::trust_forwarded_for`] (the workspace
//! sits behind a reverse proxy) it is the **last** address in the last `X-Forwarded-For` header:
//! the one our proxy appended; earlier entries are whatever the client claimed. Never by
//! default, since anyone can send that header. IPv6 clients are keyed by their /64: one
//! household's devices and privacy addresses share it, and rotating addresses inside it is free.
//!
//! Staff (bearer-token) endpoints, bots and Twilio's signed webhooks are not rate limited here.

use super::AppState;
use super::error::AppError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use governor::clock::{Clock, MonotonicClock};
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use herald_core::WorkItemId;
use herald_protocol::ErrorCode;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// `burst` at once, then one more every `every`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub every: Duration,
}

/// What the server allows. Every limit is on by default; the README's "Limits" says why these
/// numbers.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Connections held at once (event streams included). Further connections wait in the
    /// listen backlog until one closes; they are not refused.
    pub max_connections: u32,
    /// The request line and headers must arrive within this, counted from when the connection is
    /// ready for a request: on a new connection, and between requests on a kept-alive one (so it
    /// is also the keep-alive idle timeout). Zero: no limit.
    pub header_timeout: Duration,
    /// A connection on which no byte moves in either direction for this long is closed, in the
    /// middle of a request too (a stalled upload, a client that stopped reading). Must exceed the
    /// long poll's 30 s and the event stream's 15 s keep-alive. Zero: no limit.
    pub idle_timeout: Duration,
    /// Chats one client address may start; every attempt counts. `None`: unlimited.
    pub chat_starts: Option<Rate>,
    /// Messages a web chat customer may send in one conversation. `None`: unlimited.
    pub chat_messages: Option<Rate>,
    /// Key the client address on `X-Forwarded-For` (see the module docs). Only behind a proxy.
    pub trust_forwarded_for: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 20_000,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            chat_starts: Some(Rate { burst: 10, every: Duration::from_secs(6) }),
            chat_messages: Some(Rate { burst: 10, every: Duration::from_secs(1) }),
            trust_forwarded_for: false,
        }
    }
}

/// Drop keys whose budget is full again after this many checks, so the maps hold only the
/// clients and conversations seen in the last few minutes.
const PURGE_EVERY: u64 = 1024;

/// One keyed GCRA limiter. The clock is named (not governor's feature-dependent default).
struct Keyed<K: Hash + Eq + Clone> {
    limiter: RateLimiter<K, DashMapStateStore<K>, MonotonicClock>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> Keyed<K> {
    /// `None` when the rate allows everything (no burst or no period).
    fn new(rate: Option<Rate>) -> Option<Self> {
        let rate = rate?;
        let quota = Quota::with_period(rate.every)?.allow_burst(NonZeroU32::new(rate.burst)?);
        Some(Self { limiter: RateLimiter::dashmap_with_clock(quota, MonotonicClock), checks: AtomicU64::new(0) })
    }

    /// Takes one from `key`'s budget, or says how long until there is one.
    fn check(&self, key: &K) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PURGE_EVERY == PURGE_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }
}

/// The web chat's rate limiters, shared by every request ([`AppState::limits`]).
pub struct RateLimiters {
    starts: Option<Keyed<IpAddr>>,
    messages: Option<Keyed<WorkItemId>>,
    trust_forwarded_for: bool,
    /// A leader's cluster secret: a request forwarded by another instance of the cluster (it
    /// carries the secret) is counted against the client address that instance saw.
    cluster_secret: Option<String>,
}

impl std::fmt::Debug for RateLimiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiters")
            .field("chat_starts", &self.starts.as_ref().map(|k| k.limiter.len()))
            .field("chat_messages", &self.messages.as_ref().map(|k| k.limiter.len()))
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .finish()
    }
}

impl RateLimiters {
    pub fn new(limits: &Limits) -> Self {
        Self {
            starts: Keyed::new(limits.chat_starts),
            messages: Keyed::new(limits.chat_messages),
            trust_forwarded_for: limits.trust_forwarded_for,
            cluster_secret: None,
        }
    }

    /// Counts requests forwarded by the cluster's other instances (signed with `secret`)
    /// against the client address they saw.
    pub fn with_cluster_secret(mut self, secret: String) -> Self {
        self.cluster_secret = Some(secret);
        self
    }

    /// The client address a request is counted against (see the module docs); the unspecified
    /// address when the server did not say who connected.
    pub fn client(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> IpAddr {
        let from_instance = self.cluster_secret.as_deref().and_then(|secret| crate::cluster::forwarded_client(headers, secret));
        let forwarded = if self.trust_forwarded_for { forwarded_for(headers) } else { None };
        let ip = from_instance.or(forwarded).or(peer.map(|p| p.ip())).unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        }
    }

    /// Admits one chat start from `client`, or refuses it with a 429.
    pub fn chat_start(&self, client: IpAddr) -> Result<(), AppError> {
        let Some(k) = &self.starts else { return Ok(()) };
        k.check(&client).map_err(|wait| {
            let secs = whole_seconds(wait);
            tracing::debug!(%client, retry_after = secs, "web chat start refused: rate limit");
            AppError::new(ErrorCode::RateLimited, format!("Too many chats started from your address; try again in {secs} s."))
                .retry_after(secs)
        })
    }

    /// Admits one customer message in `conversation`, or refuses it with a 429.
    pub fn chat_message(&self, conversation: WorkItemId) -> Result<(), AppError> {
        let Some(k) = &self.messages else { return Ok(()) };
        k.check(&conversation).map_err(|wait| {
            let secs = whole_seconds(wait);
            tracing::debug!(%conversation, retry_after = secs, "web chat message refused: rate limit");
            AppError::new(ErrorCode::RateLimited, format!("You are sending messages too fast; try again in {secs} s.")).retry_after(secs)
        })
    }
}

/// `Retry-After` is whole seconds: rounded up, at least 1.
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The last address of the last `X-Forwarded-For` header (`1.2.3.4`, `[::1]:80` and `1.2.3.4:80`
/// forms too).
pub(crate) fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    let entry = last.to_str().ok()?.rsplit(',').next()?.trim();
    entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Admits one web chat start from the request's client address, or rejects the request with a
/// 429 before its body is read.
#[derive(Clone, Copy, Debug)]
pub struct ChatStartAllowed;

impl FromRequestParts<AppState> for ChatStartAllowed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        let client = state.limits.client(peer, &parts.headers);
        state.limits.chat_start(client)?;
        Ok(Self)
    }
}

/// The request's client address, as the rate limits count it (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        Ok(Self(state.limits.client(peer, &parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn limiters(trust: bool) -> RateLimiters {
        RateLimiters::new(&Limits { trust_forwarded_for: trust, ..Limits::default() })
    }

    #[test]
    fn the_forwarded_address_counts_only_when_trusted_and_only_the_proxys_own_entry() {
        let peer = Some("10.0.0.2:5000".parse().unwrap());
        let h = headers(&["6.6.6.6", "1.1.1.1, 203.0.113.7"]);
        assert_eq!(limiters(false).client(peer, &h), "10.0.0.2".parse::<IpAddr>().unwrap(), "spoofable: ignored by default");
        assert_eq!(limiters(true).client(peer, &h), "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_eq!(limiters(true).client(peer, &headers(&["203.0.113.7:4711"])), "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_eq!(limiters(true).client(peer, &headers(&["garbage"])), "10.0.0.2".parse::<IpAddr>().unwrap(), "unreadable: the peer");
        assert_eq!(limiters(true).client(None, &HeaderMap::new()), IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_slash_64_and_mapped_ipv4_as_ipv4() {
        let l = limiters(false);
        let a = l.client(Some("[2001:db8:1:2:aaaa::1]:1".parse().unwrap()), &HeaderMap::new());
        let b = l.client(Some("[2001:db8:1:2:bbbb::9]:1".parse().unwrap()), &HeaderMap::new());
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        assert_eq!(l.client(Some("[::ffff:192.0.2.1]:1".parse().unwrap()), &HeaderMap::new()), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_burst_then_429_with_whole_seconds_to_wait() {
        let l = RateLimiters::new(&Limits { chat_starts: Some(Rate { burst: 2, every: Duration::from_secs(30) }), ..Limits::default() });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(l.chat_start(ip).is_ok() && l.chat_start(ip).is_ok());
        let e = l.chat_start(ip).unwrap_err();
        assert_eq!((e.0.as_u16(), e.1.code), (429, ErrorCode::RateLimited));
        assert!(e.retry_after_secs().is_some_and(|s| (29..=30).contains(&s)), "{:?}", e.retry_after_secs());
        assert!(l.chat_start("192.0.2.2".parse().unwrap()).is_ok(), "another address has its own budget");
        let off = RateLimiters::new(&Limits { chat_starts: None, ..Limits::default() });
        assert!((0..100).all(|_| off.chat_start(ip).is_ok()));
    }

    #[test]
    fn retry_after_rounds_up_to_at_least_one_second() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(2001)), 3);
    }
}
