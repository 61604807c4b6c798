//! # herald-e2e — stories against the real workspace, through the real client
//!
//! [`TestWorkspace`] starts a workspace on `127.0.0.1:0` with a SQLite file in a temporary
//! directory, or with `HERALD_TEST_DATABASE=postgres` a fresh database on a PostgreSQL server the
//! test starts itself ([`postgres::PgServer`]) — in-process, or as a child process that can be
//! killed with SIGKILL;
//! [`TestWorkspace::team`] seeds admin, supervisor and agents through the admin API. Waiting is
//! always for an event, bounded by a timeout — never a sleep.

pub mod desktop;
pub mod herald;
pub mod nginx;
pub mod postgres;
pub mod twilio;

use herald_client::{Client, SubscribeOptions, Subscription};
use herald_protocol::*;
use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

pub const ADMIN_TOKEN: &str = "e2e-admin-token";

/// How long any single wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(15);

/// Where the workspace runs.
#[derive(Debug)]
enum Host {
    InProcess(herald_workspace::Running),
    Child(tokio::process::Child),
    Stopped,
}

/// A workspace for one test, with its own database.
#[derive(Debug)]
pub struct TestWorkspace {
    pub url: String,
    pub port: u16,
    pub admin: Client,
    pub dir: tempfile::TempDir,
    database_url: String,
    host: Host,
    channels: herald_workspace::channels::ChannelsConfig,
    /// The PostgreSQL server holding the database, when on PostgreSQL.
    postgres: Option<Arc<postgres::PgServer>>,
    /// The port, held between a kill and the restart, so no other test's workspace (bound to
    /// `127.0.0.1:0` meanwhile) can take it and answer this test's clients.
    held: Option<std::net::TcpListener>,
    /// Runs as its own process ([`TestWorkspace::spawn_process`]): a restart starts a process
    /// again, also after a separate [`TestWorkspace::kill`].
    process: bool,
}

/// Whether the tests run on PostgreSQL (`HERALD_TEST_DATABASE=postgres`) rather than SQLite.
pub fn on_postgres() -> bool {
    match std::env::var("HERALD_TEST_DATABASE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("HERALD_TEST_DATABASE={other}: expected postgres or sqlite"),
    }
}

/// A fresh database: a SQLite file in `dir`, or when the tests run on PostgreSQL a new database
/// on this process's server (keep the server handle while the database is used).
pub fn new_database(dir: &std::path::Path) -> (String, Option<Arc<postgres::PgServer>>) {
    if on_postgres() {
        let server = postgres::PgServer::shared();
        (server.create_database(), Some(server))
    } else {
        (format!("sqlite://{}", dir.join("workspace.db").display()), None)
    }
}

impl TestWorkspace {
    /// The workspace's database URL (`sqlite://…` or `postgres://…`).
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The PostgreSQL server holding the database, when on PostgreSQL.
    pub fn postgres(&self) -> Option<&postgres::PgServer> {
        self.postgres.as_deref()
    }

    /// An in-process workspace on `127.0.0.1:0`.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// An in-process workspace on `127.0.0.1:0`, with its configuration adjusted by `f`.
    pub async fn start_with(f: impl FnOnce(&mut herald_workspace::Config)) -> Self {
        Self::start_full(f, Default::default()).await
    }

    /// An in-process workspace with channels (Twilio, public URL) configured.
    pub async fn start_with_channels(channels: herald_workspace::channels::ChannelsConfig) -> Self {
        Self::start_full(|_| {}, channels).await
    }

    async fn start_full(f: impl FnOnce(&mut herald_workspace::Config), channels: herald_workspace::channels::ChannelsConfig) -> Self {
        init_tracing();
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let (database_url, postgres) = new_database(dir.path());
        let mut config = Self::config(&database_url);
        f(&mut config);
        let running = herald_workspace::start_with(config, channels.clone(), listener).await.expect("workspace starts");
        let port = running.addr.port();
        let url = format!("http://127.0.0.1:{port}");
        let admin = Client::new(&url, Some(ADMIN_TOKEN)).unwrap();
        Self { url, port, admin, dir, database_url, host: Host::InProcess(running), channels, postgres, held: None, process: false }
    }

    fn config(database_url: &str) -> herald_workspace::Config {
        herald_workspace::Config {
            database_url: database_url.into(),
            admin_token: Some(ADMIN_TOKEN.into()),
            demo: None,
            limits: Default::default(),
            retention: Default::default(),
            metrics_token: None,
        }
    }

    /// A workspace in a child process (the `herald-workspace-e2e` binary), so it can be killed.
    pub async fn spawn_process() -> Self {
        init_tracing();
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, postgres) = new_database(dir.path());
        let (child, port) = spawn_child(&database_url, "127.0.0.1:0").await;
        let url = format!("http://127.0.0.1:{port}");
        let admin = Client::new(&url, Some(ADMIN_TOKEN)).unwrap();
        Self {
            url,
            port,
            admin,
            dir,
            database_url,
            host: Host::Child(child),
            channels: Default::default(),
            postgres,
            held: None,
            process: true,
        }
    }

    /// A workspace someone else runs (e.g. several instances, [`spawn_instance`]) at `url` (one
    /// URL or several, comma-separated), on `database_url`: the helpers (teams, requests) work
    /// through it; [`TestWorkspace::kill`] does nothing.
    pub fn attach(url: &str, database_url: &str, postgres: Option<Arc<postgres::PgServer>>) -> Self {
        let admin = Client::new(url, Some(ADMIN_TOKEN)).unwrap();
        let dir = tempfile::tempdir().expect("temp dir");
        Self {
            url: url.into(),
            port: 0,
            admin,
            dir,
            database_url: database_url.into(),
            host: Host::Stopped,
            channels: Default::default(),
            postgres,
            held: None,
            process: false,
        }
    }

    /// SIGKILL for a child process; an abrupt stop for an in-process workspace.
    pub async fn kill(&mut self) {
        match std::mem::replace(&mut self.host, Host::Stopped) {
            Host::Child(mut c) => {
                c.start_kill().expect("kill -9");
                c.wait().await.expect("reaped");
            }
            Host::InProcess(r) => r.stop().await.expect("stops"),
            Host::Stopped => return,
        }
        self.held = std::net::TcpListener::bind(("127.0.0.1", self.port)).ok();
    }

    /// Lets go of the port held since [`TestWorkspace::kill`], for a test that binds it itself.
    pub fn release_port(&mut self) {
        self.held = None;
    }

    /// Starts the workspace again on the same port and database.
    pub async fn restart(&mut self) {
        // (Not from the host alone: after a separate `kill` it is `Stopped`, and a process
        // workspace came back in-process — another setup than the test asked for.)
        let was_child = self.process || matches!(self.host, Host::Child(_));
        self.kill().await;
        let listen = format!("127.0.0.1:{}", self.port);
        if was_child {
            // The child binds the port itself: let go of it at the last moment.
            drop(self.held.take());
            let (child, _) = spawn_child(&self.database_url, &listen).await;
            self.host = Host::Child(child);
        } else {
            let listener = match self.held.take() {
                Some(held) => {
                    held.set_nonblocking(true).expect("non-blocking");
                    tokio::net::TcpListener::from_std(held).expect("the held port")
                }
                None => tokio::net::TcpListener::bind(&listen).await.expect("rebind"),
            };
            let running =
                herald_workspace::start_with(Self::config(&self.database_url), self.channels.clone(), listener).await.expect("restarts");
            self.host = Host::InProcess(running);
        }
    }

    /// The demo team of an in-process workspace started with a demo configuration.
    pub fn demo(&self) -> Option<&herald_workspace::demo::Seeded> {
        match &self.host {
            Host::InProcess(r) => r.demo.as_ref(),
            Host::Child(_) | Host::Stopped => None,
        }
    }

    /// Stops the workspace; what it held stays in `dir`.
    pub async fn stop(mut self) {
        self.kill().await;
    }

    pub fn client(&self, token: &str) -> Client {
        self.admin.with_token(token)
    }

    pub fn anonymous(&self) -> Client {
        Client::new(&self.url, None).unwrap()
    }

    /// Admin + supervisor + `n` agents (Available) in one least-busy queue.
    pub async fn team(&self, n: usize) -> Team {
        let supervisor = self.person("Sue Supervisor", Role::Supervisor).await;
        let mut agents = Vec::new();
        for i in 0..n {
            agents.push(self.person(&format!("Agent {i}"), Role::Agent).await);
        }
        let ws = self
            .admin
            .create_workstream(&WorkstreamInput {
                name: "Messaging".into(),
                mode: RoutingMode::LeastBusy,
                allowed_presences: vec![BasePresence::Available, BasePresence::Busy],
            })
            .await
            .unwrap();
        let queue = self
            .admin
            .create_queue(&QueueInput { name: "Support".into(), workstream: ws.id, members: agents.iter().map(|a| a.id).collect() })
            .await
            .unwrap();
        for a in &agents {
            a.client.set_presence(Presence { base: BasePresence::Available, custom: None }).await.unwrap();
        }
        Team { supervisor, agents, queue: queue.id, workstream: ws.id }
    }

    pub async fn person(&self, name: &str, role: Role) -> Person {
        let a = self.admin.create_agent(name, role).await.unwrap();
        let t = self.admin.issue_token(a.id).await.unwrap();
        Person { id: a.id, token: t.token.clone(), client: self.client(&t.token) }
    }

    /// Changes the template of `scenario`.
    pub async fn template(&self, scenario: Scenario, f: impl FnOnce(&mut Template)) {
        let mut t = self.admin.templates().await.unwrap().into_iter().find(|t| t.scenario == scenario).unwrap();
        f(&mut t);
        self.admin.put_template(&t).await.unwrap();
    }

    pub async fn settings(&self, f: impl FnOnce(&mut Settings)) {
        let mut s = self.admin.settings().await.unwrap();
        f(&mut s);
        self.admin.put_settings(&s).await.unwrap();
    }

    pub async fn request(&self, queue: QueueId, scenario: Scenario, name: &str) -> WorkItem {
        self.admin
            .new_conversation(&NewConversation {
                scenario,
                channel: None,
                queue,
                customer_name: name.into(),
                phone: None,
                context: Default::default(),
                target_agent: None,
            })
            .await
            .unwrap()
    }
}

impl Drop for TestWorkspace {
    fn drop(&mut self) {
        if let Host::Child(c) = &mut self.host {
            let _ = c.start_kill();
        }
    }
}

/// A signed-in person.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: AgentId,
    pub token: String,
    pub client: Client,
}

impl Person {
    /// Subscribes from the start of the log and waits until the stream is connected (so the
    /// agent counts as connected from then on).
    pub async fn subscribe(&self) -> Subscription {
        self.subscribe_with(SubscribeOptions::default()).await
    }

    pub async fn subscribe_with(&self, opts: SubscribeOptions) -> Subscription {
        let mut sub = self.client.subscribe(0, opts);
        within(sub.wait_for_transport(herald_client::Transport::Streaming)).await;
        sub
    }
}

/// A seeded team.
#[derive(Clone, Debug)]
pub struct Team {
    pub supervisor: Person,
    pub agents: Vec<Person>,
    pub queue: QueueId,
    pub workstream: WorkstreamId,
}

/// The status and error body of a refused call (fails the test for any other error).
pub fn api_error(e: herald_client::ClientError) -> (u16, ApiError) {
    match e {
        herald_client::ClientError::Api { status, error } => (status, error),
        other => panic!("not an API error: {other}"),
    }
}

/// Waits until the workspace (asked through `ws`, which may be between leaders for a moment)
/// counts `agent` as connected or not: a stream or poll of theirs is registered, or gone.
pub async fn connected(ws: &TestWorkspace, agent: AgentId, want: bool) {
    tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(team) = ws.admin.team().await
                && team.iter().any(|a| a.id == agent && a.connected == want)
            {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the agent's connection is seen");
}

/// Awaits `f`, failing the test after [`WAIT`].
pub async fn within<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f).await.expect("timed out waiting")
}

/// The next event on `sub` for which `pick` returns something, skipping others.
pub async fn next_where<T>(sub: &mut Subscription, mut pick: impl FnMut(&AgentEvent) -> Option<T>) -> T {
    within(async {
        loop {
            let e = sub.next().await.expect("subscription ended");
            if let Some(t) = pick(&e.event) {
                return t;
            }
        }
    })
    .await
}

/// The next offer created for this subscriber.
/// The next `message_added` on `sub`.
pub async fn next_message(sub: &mut Subscription) -> Message {
    next_where(sub, |e| match e {
        AgentEvent::MessageAdded(m) => Some(m.clone()),
        _ => None,
    })
    .await
}

pub async fn next_offer(sub: &mut Subscription) -> Offer {
    next_where(sub, |e| match e {
        AgentEvent::OfferCreated(o) => Some(o.clone()),
        _ => None,
    })
    .await
}

/// The next offer-ended event: (offer, state).
pub async fn next_offer_end(sub: &mut Subscription) -> (OfferId, OfferState) {
    next_where(sub, |e| match e {
        AgentEvent::OfferEnded { offer, state, .. } => Some((*offer, *state)),
        _ => None,
    })
    .await
}

pub async fn next_presence(sub: &mut Subscription) -> Presence {
    next_where(sub, |e| match e {
        AgentEvent::PresenceChanged { presence, .. } => Some(presence.clone()),
        _ => None,
    })
    .await
}

/// Path of a binary built from this package (tests get it from cargo).
pub fn workspace_binary() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_herald-workspace-e2e") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap();
    let dir = if dir.ends_with("deps") { dir.parent().unwrap() } else { dir };
    dir.join("herald-workspace-e2e")
}

/// Starts the workspace binary on `database_url`, listening on `listen`, with `extra` arguments
/// to `serve`; answers the child and the port it listens on, once it says so.
pub async fn spawn_instance(database_url: &str, listen: &str, extra: &[&str]) -> (tokio::process::Child, u16) {
    spawn_child_with(database_url, listen, extra).await
}

async fn spawn_child(database_url: &str, listen: &str) -> (tokio::process::Child, u16) {
    spawn_child_with(database_url, listen, &[]).await
}

async fn spawn_child_with(database_url: &str, listen: &str, extra: &[&str]) -> (tokio::process::Child, u16) {
    let mut child = tokio::process::Command::new(workspace_binary())
        .args(["serve", "--listen", listen, "--database", database_url, "--admin-token", ADMIN_TOKEN])
        .args(extra)
        .env("RUST_LOG", "info,sqlx=warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn herald-workspace-e2e");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let port = within(async {
        while let Some(line) = lines.next_line().await.expect("read child output") {
            eprintln!("[workspace] {line}");
            if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                return digits.parse::<u16>().expect("port");
            }
        }
        panic!("workspace exited before listening");
    })
    .await;
    // Keep draining its output so it never blocks on a full pipe; what it logs goes into the
    // test's output (shown when the test fails).
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("[workspace :{port}] {line}");
        }
    });
    (child, port)
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
}

/// The node tooling of the browser tests (`tests/webchat`: playwright-core driving the system's
/// /usr/bin/chromium; no browser is downloaded), installed with `npm ci` on first use under
/// `flock`, so parallel tests install it once. Its folder.
pub fn browser_tools() -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("webchat");
    if dir.join("node_modules/playwright-core/package.json").exists() {
        return dir;
    }
    let status = std::process::Command::new("flock")
        .arg(dir.join(".npm-install.lock"))
        .args(["sh", "-c", "[ -e node_modules/playwright-core/package.json ] || npm ci --no-audit --no-fund --prefer-offline"])
        .current_dir(&dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status()
        .expect("flock, sh and npm are installed");
    assert!(status.success(), "npm ci in {} failed", dir.display());
    dir
}
