//! # herald-client — the typed client of the Herald workspace
//!
//! [`Client`] has one method per endpoint, taking and returning herald-protocol types; every
//! error response becomes [`ClientError::Api`] with its stable code. [`Client::subscribe`]
//! follows the agent's event log: SSE first, reconnecting with exponential backoff and full
//! jitter, resuming after the last sequence number it delivered; when the stream cannot be held
//! it falls back to long polling, and goes back to SSE later. Entries are delivered in order and
//! never twice, whatever the transport did. When the workspace's log cannot continue where the
//! subscription stands (pruned, or restored from an older backup) the workspace says `resync`
//! and [`Subscription::next_item`] yields [`SubscriptionItem::Resync`]: reload the state, then
//! go on with the entries that follow.
//!
//! ## Several workspace URLs
//!
//! The workspace can run as several instances over one database, each answering the whole API.
//! [`Client::new`] takes one URL or several separated by commas
//! (`"http://10.0.0.1:8780, http://10.0.0.2:8780"`). The client talks to one of them at a time
//! ([`Client::base`]; clones and [`Client::with_token`] share the choice) and moves on to the next
//! when it stops answering:
//!
//! - a request that could not reach its instance (connection refused, connect timeout — it never
//!   left) is sent to the next URL, each URL at most once per call, and the client then stays on
//!   the one that answered;
//! - a `GET` is also sent to the next URL after a timeout or a 502, 503 or 504 answer; other
//!   methods are not, since the instance may have applied them. When every URL was tried, the
//!   call returns the last answer (a 503 during a failover, say), or else the last error;
//! - a subscription whose stream cannot be opened, breaks or goes silent reconnects to the next
//!   URL, resuming at the same place (all instances share the event log).
//!
//! Not here: retries of commands that may have reached the workspace (accept/reject are not idempotent on purpose — a retry after an
//! unknown outcome would meet 409 and say so).

use herald_protocol::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use url::Url;

mod accounts;
mod follow;
mod supervisor;
pub use follow::SubscriptionItem;
use follow::follow;

/// What went wrong talking to the workspace.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The workspace answered with an error.
    #[error("{status}: {error}")]
    Api { status: u16, error: ApiError },
    /// The request did not get an answer (connection refused, reset, timed out…).
    #[error("cannot reach the workspace: {0}")]
    Transport(#[from] reqwest::Error),
    /// The answer was not what the contract says.
    #[error("unexpected answer from the workspace: {0}")]
    Decode(String),
    #[error("invalid workspace URL: {0}")]
    Url(#[from] url::ParseError),
}

impl ClientError {
    /// The stable code, for API errors.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Api { error, .. } => Some(error.code),
            ClientError::Transport(_) | ClientError::Decode(_) | ClientError::Url(_) => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            ClientError::Transport(_) | ClientError::Decode(_) | ClientError::Url(_) => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// A client for one workspace (one or several instances of it), optionally signed in with a
/// bearer token.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    /// Every configured instance; never empty.
    urls: Arc<[Url]>,
    /// The index in `urls` of the instance in use, shared by clones.
    current: Arc<AtomicUsize>,
    token: Option<Arc<str>>,
}

/// Parses one URL, or several separated by commas, each with a path ending in `/`.
fn parse_urls(list: &str) -> Result<Vec<Url>> {
    list.split(',')
        .map(|entry| {
            let mut url = Url::parse(entry.trim())?;
            if !url.path().ends_with('/') {
                url.set_path(&format!("{}/", url.path()));
            }
            Ok(url)
        })
        .collect()
}

/// An answer that says the instance cannot serve now (a proxy before it, or a follower that has
/// lost its leader): a `GET` is worth trying on another.
fn is_unavailable(status: reqwest::StatusCode) -> bool {
    matches!(status.as_u16(), 502..=504)
}

impl Client {
    /// `base` is the workspace's root URL, e.g. `http://127.0.0.1:8780`, or several separated by
    /// commas (instances of one workspace; see the crate docs). The first is used first.
    pub fn new(base: &str, token: Option<&str>) -> Result<Self> {
        let urls = parse_urls(base)?;
        // A kept-alive connection is dropped here before the workspace closes it (its header
        // timeout, 10 s by default, also ends idle connections): a request never goes out on a
        // connection the server is closing.
        let http = reqwest::Client::builder().connect_timeout(Duration::from_secs(5)).pool_idle_timeout(Duration::from_secs(5)).build()?;
        Ok(Self { http, urls: urls.into(), current: Arc::new(AtomicUsize::new(0)), token: token.map(Arc::from) })
    }

    /// The same workspace, signed in with another token (it follows the same instance changes).
    pub fn with_token(&self, token: &str) -> Self {
        Self { http: self.http.clone(), urls: self.urls.clone(), current: self.current.clone(), token: Some(Arc::from(token)) }
    }

    /// The URL in use now.
    pub fn base(&self) -> Url {
        self.urls[self.current_index()].clone()
    }

    /// Every configured URL, in the order given.
    pub fn urls(&self) -> Vec<Url> {
        self.urls.to_vec()
    }

    pub(crate) fn current_index(&self) -> usize {
        self.current.load(Ordering::Relaxed) % self.urls.len()
    }

    /// Moves to the URL after `from`, unless another request has moved already.
    pub(crate) fn rotate_from(&self, from: usize) {
        let next = (from + 1) % self.urls.len();
        let _ = self.current.compare_exchange(from, next, Ordering::Relaxed, Ordering::Relaxed);
    }

    fn request_to(&self, base: &Url, method: reqwest::Method, path: &str) -> Result<reqwest::RequestBuilder> {
        let url = base.join(path.trim_start_matches('/'))?;
        let mut rb = self.http.request(method, url).timeout(Duration::from_secs(30));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        Ok(rb)
    }

    /// A request to the URL in use now, and that URL's index (for [`Client::rotate_from`]).
    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> Result<(usize, reqwest::RequestBuilder)> {
        let index = self.current_index();
        Ok((index, self.request_to(&self.urls[index], method, path)?))
    }

    /// Sends a request and reads its answer, moving to the next URL when the instance in use
    /// cannot be reached (see the crate docs). `build` completes the request (body, headers,
    /// timeout); it runs once per attempt, as a request cannot be sent twice.
    async fn exchange(
        &self,
        method: reqwest::Method,
        path: &str,
        build: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, Vec<u8>)> {
        let idempotent = method == reqwest::Method::GET;
        let start = self.current_index();
        let n = self.urls.len();
        let mut last: Option<Result<(reqwest::StatusCode, Vec<u8>)>> = None;
        for attempt in 0..n {
            let index = (start + attempt) % n;
            let rb = build(self.request_to(&self.urls[index], method.clone(), path)?);
            let outcome = match rb.send().await {
                Ok(res) => {
                    let status = res.status();
                    if idempotent && is_unavailable(status) {
                        tracing::debug!(url = %self.urls[index], %status, "workspace instance unavailable");
                        res.bytes().await.map(|b| (status, Vec::from(b))).map_err(ClientError::from)
                    } else {
                        match res.bytes().await {
                            Ok(b) => {
                                self.current.store(index, Ordering::Relaxed);
                                return Ok((status, Vec::from(b)));
                            }
                            Err(e) if idempotent && e.is_timeout() => Err(ClientError::from(e)),
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
                Err(e) if e.is_connect() || (idempotent && e.is_timeout()) => {
                    tracing::debug!(url = %self.urls[index], error = %e, "workspace instance unreachable");
                    Err(ClientError::from(e))
                }
                Err(e) => return Err(e.into()),
            };
            // An answer (a 503 during a failover) says more than a refused connection.
            last = match (last, outcome) {
                (Some(Ok(answer)), Err(_)) => Some(Ok(answer)),
                (_, outcome) => Some(outcome),
            };
        }
        last.expect("there is at least one URL")
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        build: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<T> {
        let (status, bytes) = self.exchange(method, path, build).await?;
        if !status.is_success() {
            let error = serde_json::from_slice::<ApiError>(&bytes).unwrap_or_else(|_| ApiError {
                code: ErrorCode::Internal,
                message: String::from_utf8_lossy(&bytes).into_owned(),
                field: None,
            });
            return Err(ClientError::Api { status: status.as_u16(), error });
        }
        let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        serde_json::from_slice(body).map_err(|e| ClientError::Decode(e.to_string()))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(reqwest::Method::GET, path, |rb| rb).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: Option<&B>) -> Result<T> {
        self.send(reqwest::Method::POST, path, |rb| match body {
            Some(b) => rb.json(b),
            None => rb,
        })
        .await
    }

    async fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.send(reqwest::Method::PUT, path, |rb| rb.json(body)).await
    }

    /// Sends a raw request (tests of malformed input use this).
    pub async fn raw(&self, method: reqwest::Method, path: &str, body: Option<&str>) -> Result<(u16, String)> {
        let (status, bytes) = self
            .exchange(method, path, |rb| {
                let rb = rb.header("content-type", "application/json");
                match body {
                    Some(b) => rb.body(b.to_string()),
                    None => rb,
                }
            })
            .await?;
        Ok((status.as_u16(), String::from_utf8_lossy(&bytes).into_owned()))
    }

    // ----- meta -----

    pub async fn health(&self) -> Result<Health> {
        self.get("/healthz").await
    }

    pub async fn openapi(&self) -> Result<serde_json::Value> {
        self.get("/openapi.json").await
    }

    // ----- the agent -----

    pub async fn me(&self) -> Result<Me> {
        self.get("/v1/me").await
    }

    pub async fn set_presence(&self, presence: Presence) -> Result<AgentSummary> {
        self.put("/v1/me/presence", &SetPresenceRequest { presence }).await
    }

    /// R29: back to the presence from before the system changed it.
    pub async fn reset_my_presence(&self) -> Result<AgentSummary> {
        self.post::<(), _>("/v1/me/reset-presence", None).await
    }

    pub async fn accept(&self, offer: OfferId) -> Result<Session> {
        let r: AcceptResponse = self.post::<(), _>(&format!("/v1/offers/{}/accept", offer.0), None).await?;
        Ok(r.session)
    }

    pub async fn reject(&self, offer: OfferId) -> Result<()> {
        self.post::<(), ()>(&format!("/v1/offers/{}/reject", offer.0), None).await
    }

    /// The display receipt: the toast or in-app alert was shown.
    pub async fn displayed(&self, offer: OfferId) -> Result<()> {
        self.post::<(), ()>(&format!("/v1/offers/{}/displayed", offer.0), None).await
    }

    /// An offer's timeline: the agent's own, or anyone's for supervisors.
    pub async fn timeline(&self, offer: OfferId) -> Result<OfferTimeline> {
        self.get(&format!("/v1/offers/{}/timeline", offer.0)).await
    }

    /// Reports a step of one's own offer (toast clicked or dismissed, sound, screen lock).
    pub async fn note(&self, offer: OfferId, kind: NoteKind, detail: &str) -> Result<()> {
        self.post(&format!("/v1/offers/{}/notes", offer.0), Some(&OfferNote { kind, detail: detail.into() })).await
    }

    pub async fn close_session(&self, session: SessionId) -> Result<()> {
        self.post::<(), ()>(&format!("/v1/sessions/{}/close", session.0), None).await
    }

    /// R19: opens a session assigned to this agent (also after its "Open item" offer timed out).
    pub async fn open_session(&self, session: SessionId) -> Result<Session> {
        self.post::<(), Session>(&format!("/v1/sessions/{}/open", session.0), None).await
    }

    /// The session and its conversation's messages, oldest first (R10). Later messages arrive as
    /// `message_added` events; merge by id.
    pub async fn transcript(&self, session: SessionId) -> Result<Transcript> {
        self.get(&format!("/v1/sessions/{}/messages", session.0)).await
    }

    /// Writes to the customer in an open session (R10). SMS replies come back with a pending
    /// delivery; its progress arrives as `message_updated` events.
    pub async fn send_message(&self, session: SessionId, body: &str) -> Result<Message> {
        self.post(&format!("/v1/sessions/{}/messages", session.0), Some(&SendMessageRequest { body: body.into() })).await
    }

    pub async fn call_control(&self, session: SessionId, action: CallAction) -> Result<Session> {
        self.post(&format!("/v1/sessions/{}/call", session.0), Some(&CallControlRequest { action })).await
    }

    pub async fn transfer(&self, session: SessionId, req: &TransferRequest) -> Result<WorkItem> {
        let r: WorkItemCreated = self.post(&format!("/v1/sessions/{}/transfer", session.0), Some(req)).await?;
        Ok(r.work_item)
    }

    /// Revokes the token this client uses.
    pub async fn sign_out(&self) -> Result<()> {
        self.post::<(), ()>("/v1/auth/sign-out", None).await
    }

    /// Log entries after `after`, waiting up to `wait` for one when there are none.
    pub async fn poll(&self, after: u64, wait: Duration) -> Result<EventsPage> {
        let path = format!("/v1/events/poll?after={after}&wait={}", wait.as_secs().min(30));
        self.send(reqwest::Method::GET, &path, |rb| rb.timeout(wait + Duration::from_secs(15))).await
    }

    // ----- ingress -----

    pub async fn new_conversation(&self, req: &NewConversation) -> Result<WorkItem> {
        let r: WorkItemCreated = self.post("/v1/conversations", Some(req)).await?;
        Ok(r.work_item)
    }

    /// The customer left, or the call was cancelled.
    pub async fn close_conversation(&self, item: WorkItemId) -> Result<()> {
        self.post::<(), ()>(&format!("/v1/conversations/{}/close", item.0), None).await
    }

    // ----- admin -----

    pub async fn agents(&self) -> Result<Vec<Agent>> {
        self.get("/v1/admin/agents").await
    }

    pub async fn create_agent(&self, name: &str, role: Role) -> Result<Agent> {
        self.post("/v1/admin/agents", Some(&AgentInput { name: name.into(), role })).await
    }

    pub async fn update_agent(&self, id: AgentId, input: &AgentInput) -> Result<Agent> {
        self.put(&format!("/v1/admin/agents/{}", id.0), input).await
    }

    pub async fn issue_token(&self, agent: AgentId) -> Result<IssuedToken> {
        self.post::<(), _>(&format!("/v1/admin/agents/{}/tokens", agent.0), None).await
    }

    pub async fn revoke_token(&self, token_id: u64) -> Result<()> {
        self.send(reqwest::Method::DELETE, &format!("/v1/admin/tokens/{token_id}"), |rb| rb).await
    }

    /// Web chat widgets (pre-chat questions, queue).
    pub async fn widgets(&self) -> Result<Vec<Widget>> {
        self.get("/v1/admin/widgets").await
    }

    pub async fn put_widget(&self, w: &Widget) -> Result<Widget> {
        self.put(&format!("/v1/admin/widgets/{}", w.id), w).await
    }

    pub async fn integrations(&self) -> Result<Vec<Integration>> {
        self.get("/v1/admin/integrations").await
    }

    /// A bot or channel integration and its token (shown once).
    pub async fn create_integration(&self, name: &str) -> Result<IssuedIntegration> {
        self.post("/v1/admin/integrations", Some(&IntegrationInput { name: name.into() })).await
    }

    pub async fn revoke_integration(&self, id: u64) -> Result<()> {
        self.send(reqwest::Method::DELETE, &format!("/v1/admin/integrations/{id}"), |rb| rb).await
    }

    // ----- integrations (a client holding an integration token) -----

    /// R8: hands a bot's chat to a human with its transcript. Idempotent by `conversation_id`.
    pub async fn escalate(&self, req: &BotEscalation) -> Result<WorkItem> {
        let r: WorkItemCreated = self.post("/v1/bot/escalations", Some(req)).await?;
        Ok(r.work_item)
    }

    /// Relays what the customer says after the hand-over.
    pub async fn relay(&self, item: WorkItemId, body: &str) -> Result<Message> {
        self.post(&format!("/v1/bot/conversations/{}/messages", item.0), Some(&SendMessageRequest { body: body.into() })).await
    }

    /// The conversation's messages after `after`, waiting up to `wait` for one.
    pub async fn bot_messages(&self, item: WorkItemId, after: u64, wait: Duration) -> Result<Vec<Message>> {
        self.get(&format!("/v1/bot/conversations/{}/messages?after={after}&wait={}", item.0, wait.as_secs())).await
    }

    pub async fn templates(&self) -> Result<Vec<Template>> {
        self.get("/v1/admin/templates").await
    }

    pub async fn put_template(&self, t: &Template) -> Result<Template> {
        self.put(&format!("/v1/admin/templates/{}", t.scenario), t).await
    }

    pub async fn settings(&self) -> Result<Settings> {
        self.get("/v1/admin/settings").await
    }

    pub async fn put_settings(&self, s: &Settings) -> Result<Settings> {
        self.put("/v1/admin/settings", s).await
    }

    pub async fn workstreams(&self) -> Result<Vec<Workstream>> {
        self.get("/v1/admin/workstreams").await
    }

    pub async fn create_workstream(&self, w: &WorkstreamInput) -> Result<Workstream> {
        self.post("/v1/admin/workstreams", Some(w)).await
    }

    pub async fn update_workstream(&self, id: WorkstreamId, w: &WorkstreamInput) -> Result<Workstream> {
        self.put(&format!("/v1/admin/workstreams/{}", id.0), w).await
    }

    pub async fn queues(&self) -> Result<Vec<Queue>> {
        self.get("/v1/admin/queues").await
    }

    pub async fn create_queue(&self, q: &QueueInput) -> Result<Queue> {
        self.post("/v1/admin/queues", Some(q)).await
    }

    pub async fn update_queue(&self, id: QueueId, q: &QueueInput) -> Result<Queue> {
        self.put(&format!("/v1/admin/queues/{}", id.0), q).await
    }

    pub async fn contacts(&self) -> Result<Vec<Contact>> {
        self.get("/v1/admin/contacts").await
    }

    pub async fn create_contact(&self, c: &ContactInput) -> Result<Contact> {
        self.post("/v1/admin/contacts", Some(c)).await
    }

    pub async fn update_contact(&self, id: ContactId, c: &ContactInput) -> Result<Contact> {
        self.put(&format!("/v1/admin/contacts/{}", id.0), c).await
    }

    // ----- events -----

    /// Follows this agent's event log from after `after`. See the crate docs.
    pub fn subscribe(&self, after: u64, options: SubscribeOptions) -> Subscription {
        let (tx, rx) = mpsc::channel(1024);
        let (mode_tx, mode_rx) = watch::channel(Transport::Connecting);
        let task = tokio::spawn(follow(self.clone(), after, options, tx, mode_tx));
        Subscription { rx, mode: mode_rx, task, last_seq: after }
    }
}

/// How a subscription behaves when things go wrong.
#[derive(Clone, Debug)]
pub struct SubscribeOptions {
    /// First reconnect delay; doubles per failure, with full jitter.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Consecutive failed SSE attempts before falling back to polling.
    pub sse_failures_before_polling: u32,
    /// How long to poll before trying SSE again.
    pub polling_period: Duration,
    /// Long-poll wait per request.
    pub poll_wait: Duration,
    /// A stream silent for this long (the server sends keep-alives every 15 s) is dead.
    pub idle_timeout: Duration,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            sse_failures_before_polling: 3,
            polling_period: Duration::from_secs(60),
            poll_wait: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(40),
        }
    }
}

/// What the subscription is using right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Connecting,
    Streaming,
    Polling,
    /// Waiting before the next attempt.
    Backoff,
    /// The token was refused: the subscription has stopped.
    Unauthorized,
}

/// An agent's event log, delivered in order and never twice. Dropping it stops the task.
#[derive(Debug)]
pub struct Subscription {
    rx: mpsc::Receiver<SubscriptionItem>,
    mode: watch::Receiver<Transport>,
    task: JoinHandle<()>,
    last_seq: u64,
}

impl Subscription {
    /// The next entry, passing over resyncs; `None` once the subscription has stopped (token
    /// refused). A consumer that keeps state built from the log uses [`Subscription::next_item`]
    /// to be told when to reload it.
    pub async fn next(&mut self) -> Option<EventEnvelope> {
        loop {
            if let SubscriptionItem::Entry(e) = self.next_item().await? {
                return Some(e);
            }
        }
    }

    /// The next entry or [`SubscriptionItem::Resync`]; `None` once the subscription has stopped.
    pub async fn next_item(&mut self) -> Option<SubscriptionItem> {
        let item = self.rx.recv().await?;
        self.last_seq = match &item {
            SubscriptionItem::Entry(e) => e.seq,
            SubscriptionItem::Resync(r) => r.first_seq.saturating_sub(1),
        };
        Some(item)
    }

    /// The sequence number of the last entry returned by `next` (after a resync: the one
    /// before the first entry that follows it).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    pub fn transport(&self) -> Transport {
        *self.mode.borrow()
    }

    /// A receiver of transport changes, for showing the connection's state.
    pub fn transport_watch(&self) -> watch::Receiver<Transport> {
        self.mode.clone()
    }

    /// Waits until the transport is `t`.
    pub async fn wait_for_transport(&mut self, t: Transport) {
        let _ = self.mode.wait_for(|m| *m == t).await;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests;
