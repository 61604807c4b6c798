//! # herald-workspace — the server
//!
//! Turns customer requests into work items, offers them to agents with deadlines, and applies
//! every presence and routing rule — by feeding herald-core's router and carrying out what it
//! decides. The caller hands in the listener and decides when to stop ([`start`], [`serve`]);
//! tests bind `127.0.0.1:0`.
//!
//! # Layout
//! - [`engine`]: owns the router; group commit (changes share a store transaction); timers.
//! - [`store`]: SQLite or PostgreSQL (sqlx, embedded additive migrations per database); entities
//!   as JSON plus each agent's ordered event log.
//! - [`realtime`]: live wake-ups per agent; SSE and polling both read the log.
//! - [`retention`]: prunes the event logs in the background (a resync for what is gone).
//! - [`auth`]: hashed, revocable bearer tokens; roles come from the agent record.
//! - [`accounts`]: people's sign-in — email and argon2id password, invites, failed-attempt limits.
//! - [`audit`]: the append-only log of who did what (`GET /v1/admin/audit`).
//! - [`edge`]: what every HTTP edge shares — [`edge::AppState`], the one mapping of engine and
//!   core errors to statuses ([`edge::error`]), parsing at the boundary ([`edge::extract`]).
//! - [`http`]: the staff API's axum handlers (thin), the route table (it merges the channels'
//!   own routes) and the OpenAPI document.
//! - [`channels`]: customer web chat, Twilio SMS and voice (signed webhooks, the outbound sender
//!   with retries), bot escalation; each channel exposes its own `routes()`. What a
//!   conversation says is stored as messages and reaches the agent through the event log.
//!
//! Dependency direction inside the crate: `http` → `channels` → `edge` → `engine` → `store`;
//! no channel imports another channel's helpers (Twilio's live in [`channels::twilio`]).
//! - [`cluster`]: several instances on one PostgreSQL — one leads (advisory lock + fenced
//!   epoch), the others forward requests to it, hold event streams themselves (woken by
//!   `LISTEN/NOTIFY`), and take over when it dies.
//! - [`demo`]: a demo team, simulated colleagues and a stream of mixed requests.
//! - [`server`]: the accept loop: connection limit, header and idle timeouts, graceful stop.
//! - [`cli`]: the `herald-workspace` command line.
//!
//! # Not here (yet)
//! The server itself speaks plain HTTP: terminate TLS in a reverse proxy in front of it.
//! Outbound calls (Twilio's REST API) do speak TLS
//! (reqwest with native-tls, the system's OpenSSL and trust store).

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod channels;
pub mod cli;
pub mod cluster;
pub mod demo;
pub mod edge;
pub mod engine;
pub mod http;
pub mod metrics;
pub mod realtime;
pub mod retention;
pub mod server;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How to run a workspace.
#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://path/to/file.db`, `sqlite::memory:` or `postgres://user@host/db`.
    pub database_url: String,
    /// Seeds an admin holding this token when the database has no agents yet.
    pub admin_token: Option<String>,
    /// Seed a demo team and generate traffic.
    pub demo: Option<demo::DemoConfig>,
    /// Connections, timeouts and the public web chat's rate limits (on by default).
    pub limits: Limits,
    /// How much of the agents' event logs is kept ([`retention`]).
    pub retention: retention::Retention,
    /// The bearer token `GET /metrics` asks for; `None`: no metrics endpoint ([`metrics`]).
    pub metrics_token: Option<String>,
}

pub use edge::limits::{Limits, Rate};

/// A started workspace.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub engine: Arc<engine::Engine>,
    pub tokens: Arc<auth::Tokens>,
    /// The demo team, when started with `Config::demo`.
    pub demo: Option<demo::Seeded>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    server: JoinHandle<std::io::Result<()>>,
    /// On PostgreSQL: the lead this instance holds (released when stopped).
    lease: Option<Arc<cluster::Lease>>,
}

impl Running {
    /// Stops accepting, ends open event streams and background tasks, and waits for them.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.server.await??;
        drop(self.lease);
        Ok(())
    }
}

/// Opens the store, loads the state, re-arms deadlines, and serves HTTP on `listener`, with no
/// channel configured.
pub async fn start(config: Config, listener: TcpListener) -> anyhow::Result<Running> {
    start_with(config, channels::ChannelsConfig::default(), listener).await
}

/// [`start`] with channels (Twilio, the public URL) configured. On PostgreSQL the instance first
/// takes the lead ([`cluster`]), waiting for it while another instance holds it.
pub async fn start_with(config: Config, channels: channels::ChannelsConfig, listener: TcpListener) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let store = store::Store::open(&config.database_url).await?;
    let lease = match store.is_postgres() {
        true => {
            let me = cluster::Instance::new(format!("http://{addr}"));
            Some(Arc::new(cluster::Candidate::connect(&config.database_url, me).await?.lead(cluster::POLL).await?))
        }
        false => None,
    };
    let store = match &lease {
        Some(l) => store.fenced(l.epoch),
        None => store,
    };
    let (stop, stopped) = watch::channel(false);
    let mut routing = route(&config, channels, store, lease.as_deref(), stopped.clone()).await?;
    if let Some(lease) = lease.clone() {
        // Losing the lead stops this instance: another one routes now.
        let (stop, mut stopped) = (stop.clone(), stopped.clone());
        routing.tasks.push(tokio::spawn(async move {
            tokio::select! {
                why = lease.lost() => {
                    tracing::error!("stopping: {why}");
                    let _ = stop.send(true);
                }
                _ = stopped.wait_for(|s| *s) => {}
            }
        }));
    }
    let server = tokio::spawn(server::serve(listener, routing.app, config.limits.clone(), stopped));
    listening(addr, &config.database_url, lease.as_deref().map(|l| l.epoch));
    Ok(Running { addr, engine: routing.engine, tokens: routing.tokens, demo: routing.demo, stop, tasks: routing.tasks, server, lease })
}

fn listening(addr: SocketAddr, database_url: &str, epoch: Option<u64>) {
    let database = store::without_password(database_url);
    let role = match epoch {
        Some(e) => format!(" as the leader (epoch {e})"),
        None => String::new(),
    };
    tracing::info!(
        listen = %format!("http://{addr}"),
        %database,
        "Herald workspace listening on http://{addr}{role} (API under /v1, OpenAPI at /openapi.json); data in {database}",
    );
}

/// What a routing instance runs: the engine over `store`, the background tasks, and the app.
struct Routing {
    engine: Arc<engine::Engine>,
    tokens: Arc<auth::Tokens>,
    demo: Option<demo::Seeded>,
    tasks: Vec<JoinHandle<()>>,
    app: axum::Router,
}

/// Loads the state from `store` (fenced with the lead's epoch when `lead` is given), seeds what
/// an empty database needs, starts the timers, retention, the demo and the outbox, and builds
/// the HTTP app. The tasks end when `stopped` turns `true`.
async fn route(
    config: &Config,
    channels: channels::ChannelsConfig,
    store: store::Store,
    lead: Option<&cluster::Lease>,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<Routing> {
    let engine = engine::Engine::load(store.clone()).await?;
    let tokens = Arc::new(auth::Tokens::load(&store).await?);
    channels::webchat::seed(&engine).await?;
    if let Some(token) = &config.admin_token {
        seed_admin(&engine, &tokens, token).await?;
    }
    let mut tasks = Vec::new();
    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    tasks.push(tokio::spawn(engine.clone().run_timers(wait(stopped.clone()))));
    tasks.push(tokio::spawn(retention::run(engine.clone(), config.retention.clone(), wait(stopped.clone()))));
    tasks.push(tokio::spawn(engine.clone().run_checkpoints(1_000, std::time::Duration::from_secs(10), wait(stopped.clone()))));
    let mut seeded = None;
    if let Some(demo) = config.demo.clone() {
        let team = demo::seed(&engine, &tokens, &demo).await?;
        tasks.push(tokio::spawn(demo::run(engine.clone(), team.clone(), demo, wait(stopped.clone()))));
        seeded = Some(team);
    }
    channels::seed_default_queue(&engine).await?;
    let channels = Arc::new(channels::Channels::new(channels));
    tasks.push(tokio::spawn(channels::outbox::run(engine.clone(), channels.clone(), wait(stopped.clone()))));
    let mut limits = edge::limits::RateLimiters::new(&config.limits);
    if let Some(lead) = lead {
        limits = limits.with_cluster_secret(lead.secret.clone());
    }
    let state = edge::AppState {
        engine: engine.clone(),
        tokens: tokens.clone(),
        channels,
        shutdown: stopped.clone(),
        limits: Arc::new(limits),
        epoch: lead.map(|l| l.epoch),
        accounts: Arc::default(),
        metrics_token: config.metrics_token.clone().map(Arc::from),
    };
    let mut app = http::router(state);
    if let Some(lead) = lead {
        // Who holds event streams on the other instances.
        let book = cluster::book::Book::new(engine.clone(), lead.epoch, lead.secret.clone());
        tasks.push(tokio::spawn(cluster::book::reap(book.clone(), wait(stopped.clone()))));
        app = app.merge(cluster::book::routes(book));
    }
    let app = app.layer(axum::middleware::from_fn(log_errors)).layer(axum::middleware::from_fn_with_state(engine.clone(), count_requests));
    Ok(Routing { engine, tokens, demo: seeded, tasks, app })
}

/// Runs until `shutdown` resolves. On PostgreSQL this is one instance of a cluster
/// ([`serve_instance`]), reached by the others at `http://` + the listener's address.
pub async fn serve(
    config: Config,
    channels: channels::ChannelsConfig,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    if store::is_postgres(&config.database_url) {
        return serve_instance(config, channels, listener, None, shutdown).await;
    }
    let running = start_with(config, channels, listener).await?;
    shutdown.await;
    tracing::info!("shutting down");
    running.stop().await
}

/// One instance of several on one PostgreSQL ([`cluster`]): serves at once, forwarding to the
/// leader, and takes the lead when it can; runs until `shutdown` resolves, or fails when this
/// instance loses the lead it held (its process manager starts it again, as a follower).
/// `advertise` is where the other instances reach this one (default: `http://` + the
/// listener's address, which must then not be a wildcard address).
pub async fn serve_instance(
    config: Config,
    channels: channels::ChannelsConfig,
    listener: TcpListener,
    advertise: Option<String>,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let url = match advertise {
        Some(u) => u,
        None if addr.ip().is_unspecified() => anyhow::bail!(
            "listening on {addr} (every address): pass --advertise-url (HERALD_ADVERTISE_URL) with the URL the other instances reach this one at"
        ),
        None => format!("http://{addr}"),
    };
    let store = store::Store::open(&config.database_url).await?;
    let me = cluster::Instance::new(url);
    let (stop, stopped) = watch::channel(false);
    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    // The event streams this instance holds, whichever instance leads.
    let streams = cluster::streams::Streams::new(store.clone(), me.id.clone(), stopped.clone()).await?;
    let stream_tasks = [
        tokio::spawn(cluster::streams::listen(streams.clone(), wait(stopped.clone()))),
        tokio::spawn(cluster::streams::announce(streams.clone(), wait(stopped.clone()))),
    ];
    let follower = cluster::follower::Follower::new(store.clone(), config.limits.trust_forwarded_for);
    let switch = cluster::Switch::new(cluster::follower::router(follower, streams));
    let server = tokio::spawn(server::serve(listener, switch.router(), config.limits.clone(), stopped.clone()));
    let database = store::without_password(&config.database_url);
    tracing::info!(
        instance = %me.id,
        advertise = %me.url,
        "Herald workspace listening on http://{addr} as a follower until it takes the lead; data in {database}",
    );
    let candidate = cluster::Candidate::connect(&config.database_url, me).await?;
    tokio::pin!(shutdown);
    let ended = async {
        let lease = tokio::select! {
            lease = candidate.lead(cluster::POLL) => lease?,
            () = &mut shutdown => return Ok(None),
        };
        let routing = route(&config, channels, store.fenced(lease.epoch), Some(&lease), stopped.clone()).await?;
        switch.set(routing.app);
        listening(addr, &config.database_url, Some(lease.epoch));
        let mut superseded = routing.engine.superseded();
        let lost = tokio::select! {
            () = &mut shutdown => None,
            why = lease.lost() => Some(why),
            _ = superseded.wait_for(|s| *s) => Some("a commit found another instance leading".to_string()),
        };
        let _ = stop.send(true);
        for t in routing.tasks {
            let _ = t.await;
        }
        anyhow::Ok(lost)
    }
    .await;
    tracing::info!("shutting down");
    let _ = stop.send(true);
    server.await??;
    for t in stream_tasks {
        let _ = t.await;
    }
    match ended? {
        Some(why) => anyhow::bail!("this instance lost the lead ({why}); stopped so that only the new leader routes"),
        None => Ok(()),
    }
}

async fn seed_admin(engine: &engine::Engine, tokens: &auth::Tokens, token: &str) -> anyhow::Result<()> {
    if tokens.check(token).is_some() {
        return Ok(());
    }
    let empty = engine.read(|r, _| r.agents().next().is_none()).await;
    if !empty {
        tracing::warn!("the admin token was not seeded: the database already has agents (an admin can issue tokens)");
        return Ok(());
    }
    let reply = engine
        .apply(herald_core::Input::UpsertAgent(herald_core::AgentSpec {
            id: None,
            name: "Administrator".into(),
            role: herald_core::Role::Admin,
        }))
        .await?;
    if let herald_core::Reply::Agent(id) = reply {
        tokens.add(engine.store(), id, token, engine::now().0).await?;
        tracing::info!(agent = %id, "seeded an admin on the empty database");
    }
    Ok(())
}

/// Counts each answered request by its route (the path's template, not the ids in it).
async fn count_requests(
    axum::extract::State(engine): axum::extract::State<Arc<engine::Engine>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = req.extensions().get::<axum::extract::MatchedPath>().map_or("unmatched", |m| m.as_str()).to_string();
    let method = req.method().clone();
    let res = next.run(req).await;
    engine.metrics().http(method.as_str(), &route, res.status().as_u16());
    res
}

async fn log_errors(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let res = next.run(req).await;
    if res.status().is_server_error() {
        tracing::error!(%method, %path, status = %res.status(), "request failed");
    } else if res.status().is_client_error() {
        tracing::debug!(%method, %path, status = %res.status(), "request refused");
    }
    res
}
