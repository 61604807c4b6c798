//! A follower's HTTP service: `/healthz` and the event streams (`GET /v1/events`, see
//! [`super::streams`]) answer here; every other request — the API, long polls, the channels'
//! webhooks — is forwarded to the leader, and the leader's answer (streamed) goes back as it
//! came.
//!
//! The leader is found in the lease row. When it cannot be reached (it died and nobody leads
//! yet, or a new leader is loading), the follower looks again every [`RETRY`] until
//! [`PATIENCE`] has passed — a failover takes well under that — and then answers 503 with
//! `Retry-After`. Only a request that never reached the leader (the connection was refused) is
//! sent again: one that may have been applied is not repeated.

use super::{CLIENT, FORWARDED_BY};
use crate::edge::error::AppError;
use crate::store::{LeaseRow, Store};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::time::Instant;

/// How long a request waits for a leader to answer before it is refused with a 503.
const PATIENCE: Duration = Duration::from_secs(10);
/// How often the lease is read again while nobody answers.
const RETRY: Duration = Duration::from_millis(100);
/// Forwarded bodies are buffered (so a refused connection can be retried): at most this much.
const MAX_BODY: usize = 1 << 20;

/// Hop-by-hop headers (RFC 9110 §7.6.1) and ours: never passed on.
const HOP: [HeaderName; 6] =
    [header::CONNECTION, header::TE, header::TRAILER, header::TRANSFER_ENCODING, header::UPGRADE, header::PROXY_AUTHORIZATION];

/// What a follower needs to forward.
#[derive(Debug)]
pub struct Follower {
    store: Store,
    http: reqwest::Client,
    /// The lease as last read; read again when its leader cannot be reached.
    leader: RwLock<Option<LeaseRow>>,
    /// Whether to take the client address from `X-Forwarded-For` (behind a reverse proxy).
    trust_forwarded_for: bool,
}

impl Follower {
    pub fn new(store: Store, trust_forwarded_for: bool) -> Arc<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .pool_idle_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a plain HTTP client builds");
        Arc::new(Self { store, http, leader: RwLock::new(None), trust_forwarded_for })
    }

    /// The leader to forward to: the cached lease, or the stored one when `fresh`. `None` while
    /// nobody ever led. It may name this very instance: it took the lead while this request
    /// waited, and the request goes to its own leader's routes (an instance that restarted on
    /// the same address has a new id, and answers "not the leader" until it leads).
    async fn leader(&self, fresh: bool) -> Option<LeaseRow> {
        if !fresh && let Some(l) = self.leader.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Some(l);
        }
        let lease = match self.store.lease().await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the lease to find the leader");
                None
            }
        };
        *self.leader.write().unwrap_or_else(|p| p.into_inner()) = lease.clone();
        lease
    }
}

/// The follower's routes: its own health and event streams, and everything else forwarded.
pub fn router(follower: Arc<Follower>, streams: Arc<super::streams::Streams>) -> Router {
    let forwarded = Router::new().route("/healthz", get(health)).fallback(forward).with_state(follower);
    Router::new().route("/v1/events", get(super::streams::events)).with_state(streams).merge(forwarded)
}

async fn health(State(f): State<Arc<Follower>>) -> impl IntoResponse {
    let epoch = f.leader(false).await.map(|l| l.epoch);
    super::health(&f.store, "follower", epoch).await
}

/// Marks the answer of an instance that was taken for the leader but does not lead (the lease
/// is older than the lead's change of hands, or names this very address after a restart): the
/// request was not applied, and goes out again once the lease names the new leader.
const NOT_LEADER: &str = "x-herald-not-leader";

async fn forward(State(f): State<Arc<Follower>>, req: Request) -> Response {
    match forward_inner(&f, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn forward_inner(f: &Follower, req: Request) -> Result<Response, AppError> {
    if req.headers().contains_key(FORWARDED_BY) {
        // Sent here by another instance that took this one for the leader: do not pass it on
        // (that could loop); it will look again.
        let mut res = AppError::unavailable("this instance does not lead the workspace; the lead is changing hands").into_response();
        res.headers_mut().insert(NOT_LEADER, axum::http::HeaderValue::from_static("1"));
        return Ok(res);
    }
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let client = if f.trust_forwarded_for { crate::edge::limits::forwarded_for(req.headers()) } else { None }.or(peer.map(|p| p.ip()));
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| AppError::new(herald_protocol::ErrorCode::InvalidInput, format!("the request body could not be read: {e}")))?;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        if !HOP.contains(name) && name != header::HOST && name != CLIENT {
            headers.append(name.clone(), value.clone());
        }
    }
    let deadline = Instant::now() + PATIENCE;
    let mut fresh = false;
    loop {
        if let Some(leader) = f.leader(fresh).await {
            let url = format!("{}{path}", leader.url.trim_end_matches('/'));
            let mut out = headers.clone();
            out.insert(FORWARDED_BY, leader.secret.parse().map_err(AppError::internal)?);
            if let Some(ip) = client {
                out.insert(CLIENT, ip.to_string().parse().map_err(AppError::internal)?);
            }
            let sent = f.http.request(parts.method.clone(), &url).headers(out).body(body.clone()).send().await;
            match sent {
                Ok(res) if res.headers().contains_key(NOT_LEADER) => {
                    tracing::debug!(leader = %leader.url, epoch = leader.epoch, "the instance in the lease does not lead (yet); looking again");
                }
                Ok(res) => return Ok(relay(res)),
                // Never reached the leader: safe to send again once a leader answers.
                Err(e) if e.is_connect() => {
                    tracing::debug!(leader = %leader.url, epoch = leader.epoch, error = %e, "the leader does not answer; looking again");
                }
                Err(e) => {
                    tracing::warn!(leader = %leader.url, error = %e, "forwarding to the leader failed");
                    let mut e = AppError::new(herald_protocol::ErrorCode::Internal, "the leading instance did not answer; try again");
                    e.0 = StatusCode::BAD_GATEWAY;
                    return Err(e);
                }
            }
        }
        if Instant::now() + RETRY > deadline {
            return Err(AppError::unavailable("no instance leads the workspace right now; try again in a moment"));
        }
        tokio::time::sleep(RETRY).await;
        fresh = true;
    }
}

/// The leader's answer, as the client's: status, headers (hop-by-hop ones dropped) and the body
/// as it streams.
fn relay(res: reqwest::Response) -> Response {
    let status = res.status();
    let mut headers = HeaderMap::new();
    for (name, value) in res.headers() {
        if !HOP.contains(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let mut out = Response::new(Body::from_stream(res.bytes_stream()));
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    out
}
