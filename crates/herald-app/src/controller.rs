//! The app: one [`App`] per process. It holds the link to the workspace (embedded or remote),
//! turns the agent's event log into the [`DesktopState`] the window draws, decides which offers
//! raise OS toasts, and carries out what the person asks — from the window ([`Command`]) or from
//! a toast's buttons ([`UserAction`]).
//!
//! The window system is reached only through [`Host`] (publish the state, bring the window to
//! the front, autostart), so the whole app runs in tests without a window.
//!
//! Locking: the model sits behind a std `Mutex` that is never held across an `.await`; work that
//! talks to the workspace or the notification daemon is collected as [`Effect`]s under the lock
//! and carried out after it.

use crate::embedded::Embedded;
use crate::focus::{Focus, FocusTracker};
use crate::policy::{should_toast, toast_for};
use crate::secrets::Secrets;
use crate::settings;
use crate::view::*;
use herald_client::{Client, ClientError, SubscribeOptions, Transport};
use herald_notify::{Actions, Notifier, NotifyError, UserAction};
use herald_protocol::{
    AgentEvent, BasePresence, ErrorCode, EventEnvelope, Me, Offer, OfferAction, OfferId, OfferState, Presence, Role, Session, SessionId,
    SessionState, Timestamp,
};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// What the app needs from the window system.
pub trait Host: Send + Sync + 'static {
    /// The state changed: redraw the window (if there is one) and the tray.
    fn publish(&self, state: &DesktopState);
    /// Show the main window (recreating it if it was released), unminimise and focus it.
    fn bring_to_front(&self);
    /// Start (or stop starting) Herald at login.
    fn set_autostart(&self, on: bool) -> Result<(), String>;
}

/// How to start the app.
#[derive(Debug)]
pub struct Options {
    pub data_dir: PathBuf,
    /// The icon for toasts (a path or a theme icon name).
    pub icon: Option<String>,
    /// Where tokens live; `None` opens the keyring (with the file fallback).
    pub secrets: Option<Secrets>,
    /// Embedded demo: customer requests per minute (`None`: `HERALD_DEMO_RATE` or 8).
    pub demo_rate: Option<f64>,
}

/// The running app. Cheap to clone.
#[derive(Clone)]
pub struct App(Arc<Inner>);

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("data_dir", &self.0.data_dir).finish_non_exhaustive()
    }
}

struct Inner {
    host: Arc<dyn Host>,
    notifier: Option<Arc<dyn Notifier>>,
    icon: Option<String>,
    data_dir: PathBuf,
    secrets: Secrets,
    demo_rate: Option<f64>,
    /// The runtime the app started on: window-system callbacks arrive on other threads.
    runtime: tokio::runtime::Handle,
    model: Mutex<Model>,
    link: tokio::sync::Mutex<Link>,
    focus: Mutex<FocusTracker>,
}

#[derive(Default)]
struct Link {
    task: Option<JoinHandle<()>>,
    embedded: Option<Embedded>,
}

struct Model {
    state: DesktopState,
    /// The client of the current link, for commands.
    client: Option<Client>,
    /// Bumped on every (re)connect; answers from an older link are dropped.
    generation: u64,
    /// Offers that raised a toast once: never again (R33: one toast per offer).
    toasted: HashSet<OfferId>,
    /// Offers whose display receipt was sent (R26).
    receipted: HashSet<OfferId>,
    next_notice: u64,
    /// Best clock-offset sample of this link (see `DesktopState::clock_offset_ms`).
    offset: Option<i64>,
    /// The configured workspace URL of the current link (empty: embedded).
    linked_to: Option<String>,
}

/// Work decided under the model lock, carried out after it.
#[derive(Debug)]
enum Effect {
    Toast(herald_notify::Toast),
    Withdraw(u64),
    Receipt(OfferId),
    /// Load the messages of a session that just appeared.
    Transcript(SessionId),
    Front,
}

fn local_now() -> Timestamp {
    Timestamp(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64))
}

/// Words for a client error.
pub fn command_error(e: &ClientError, workspace: &str) -> CommandError {
    let message = match e {
        ClientError::Api { error, .. } => match error.code {
            ErrorCode::OfferNotPending => "This request is no longer available: it was taken, withdrawn or timed out.".to_string(),
            ErrorCode::Unauthenticated => "The workspace no longer accepts your sign-in. Sign in again in Settings.".into(),
            _ => error.message.clone(),
        },
        ClientError::Transport(_) => format!("Cannot reach the workspace at {workspace}. Check the connection."),
        ClientError::Decode(d) => format!("The workspace answered in a way Herald does not understand: {d}"),
        ClientError::Url(u) => format!("The workspace address is not valid: {u}"),
    };
    let field = match e {
        ClientError::Api { error, .. } => error.field.clone(),
        ClientError::Transport(_) | ClientError::Decode(_) | ClientError::Url(_) => None,
    };
    CommandError { code: e.code(), message, field }
}

fn not_connected() -> CommandError {
    CommandError::app("Herald is not connected to a workspace yet.")
}

impl App {
    /// Starts the app: reads settings, connects (starting the embedded workspace when no URL is
    /// set), and listens to toast actions. `notify` is the platform notifier, or why there is none.
    pub async fn start(options: Options, host: Arc<dyn Host>, notify: Result<(Arc<dyn Notifier>, Actions), NotifyError>) -> App {
        let loaded = settings::load(&settings::file_in(&options.data_dir));
        let (secrets, secrets_note) = match options.secrets {
            Some(s) => (s, None),
            None => {
                let dir = options.data_dir.clone();
                tokio::task::spawn_blocking(move || Secrets::open(&dir))
                    .await
                    .unwrap_or_else(|_| (Secrets::File(options.data_dir.join("tokens.json")), None))
            }
        };
        let (notifier, actions, toasts) = match notify {
            Ok((n, a)) => {
                let c = n.capabilities();
                let t = ToastSupport { available: true, actions: c.actions, server: c.server.clone(), detail: None };
                (Some(n), Some(a), t)
            }
            Err(e) => (None, None, ToastSupport { available: false, actions: false, server: None, detail: Some(e.to_string()) }),
        };
        let state = DesktopState {
            revision: 0,
            connection: Connection {
                status: ConnectionStatus::Connecting,
                workspace_url: loaded.settings.workspace_url.clone(),
                embedded: loaded.settings.workspace_url.is_empty(),
                data_dir: options.data_dir.display().to_string(),
                detail: None,
            },
            me: None,
            offers: Vec::new(),
            sessions: Vec::new(),
            transcripts: Vec::new(),
            active_session: None,
            focused_offer: None,
            window: Focus::Hidden,
            team: Vec::new(),
            settings: loaded.settings,
            notices: Vec::new(),
            toasts,
            clock_offset_ms: 0,
        };
        let app = App(Arc::new(Inner {
            host,
            notifier,
            icon: options.icon,
            data_dir: options.data_dir,
            secrets,
            demo_rate: options.demo_rate,
            runtime: tokio::runtime::Handle::current(),
            model: Mutex::new(Model {
                state,
                client: None,
                generation: 0,
                toasted: HashSet::new(),
                receipted: HashSet::new(),
                next_notice: 1,
                offset: None,
                linked_to: None,
            }),
            link: tokio::sync::Mutex::new(Link::default()),
            focus: Mutex::new(FocusTracker::new()),
        }));
        for p in loaded.problems {
            tracing::warn!(problem = %p, "settings");
            app.notice(NoticeLevel::Warning, p, None);
        }
        if let Some(note) = secrets_note {
            tracing::warn!(note = %note, "keyring");
            app.notice(NoticeLevel::Info, note, None);
        }
        tracing::info!(data_dir = %app.0.data_dir.display(), tokens = %app.0.secrets.describe(), "Herald data");
        if let Some(actions) = actions {
            tokio::spawn(app.clone().follow_actions(actions));
        }
        app.reconnect().await;
        app
    }

    /// The state as the window draws it.
    pub fn state(&self) -> DesktopState {
        self.lock().state.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Model> {
        // A panic while holding the lock leaves a model that is still consistent enough to draw.
        self.0.model.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(&self) {
        let state = {
            let mut m = self.lock();
            m.state.revision += 1;
            m.state.clone()
        };
        self.0.host.publish(&state);
    }

    /// Adds a notice for the person and publishes.
    pub fn notice(&self, level: NoticeLevel, text: String, code: Option<ErrorCode>) {
        {
            let mut m = self.lock();
            let id = m.next_notice;
            m.next_notice += 1;
            m.state.notices.push(Notice { id, level, text, code });
            let n = m.state.notices.len();
            if n > 20 {
                m.state.notices.drain(..n - 20);
            }
        }
        self.publish();
    }

    fn focus_now(&self) -> Focus {
        self.0.focus.lock().unwrap_or_else(|p| p.into_inner()).current(Instant::now())
    }

    // ----- the link to the workspace -----

    /// (Re)connects according to the settings: the embedded workspace when no URL is set.
    pub async fn reconnect(&self) {
        let mut link = self.0.link.lock().await;
        if let Some(t) = link.task.take() {
            t.abort();
        }
        let mut withdraw = Vec::new();
        let (settings, generation) = {
            let mut m = self.lock();
            m.generation += 1;
            let configured = m.state.settings.workspace_url.clone();
            if m.linked_to.as_ref().is_some_and(|l| *l != configured) {
                // Another workspace: its ids mean other things. Start from nothing.
                withdraw = m.state.offers.iter().filter(|v| v.toasted).map(|v| Effect::Withdraw(v.offer.id.0)).collect();
                m.state.offers.clear();
                m.state.sessions.clear();
                m.state.transcripts.clear();
                m.state.active_session = None;
                m.state.focused_offer = None;
                m.toasted.clear();
                m.receipted.clear();
            }
            m.linked_to = Some(configured);
            m.client = None;
            m.offset = None;
            m.state.me = None;
            m.state.team.clear();
            let url = m.state.settings.workspace_url.clone();
            m.state.connection.status = ConnectionStatus::Connecting;
            m.state.connection.embedded = url.is_empty();
            m.state.connection.workspace_url = url;
            m.state.connection.detail = None;
            (m.state.settings.clone(), m.generation)
        };
        self.publish();
        self.carry_out(withdraw).await;
        let (url, token) = if settings.workspace_url.is_empty() {
            if link.embedded.is_none() {
                match Embedded::start(&self.0.data_dir, settings.demo_traffic, self.0.demo_rate).await {
                    Ok(e) => link.embedded = Some(e),
                    Err(e) => {
                        let msg = format!("The embedded workspace could not start: {e:#}");
                        tracing::error!(error = %msg);
                        self.set_status(generation, ConnectionStatus::Reconnecting, Some(msg.clone()));
                        self.notice(NoticeLevel::Error, msg, None);
                        return;
                    }
                }
            }
            let Some(e) = link.embedded.as_ref() else { return };
            e.set_traffic(settings.demo_traffic);
            let token = match settings.demo_as {
                DemoRole::Agent => e.token.clone(),
                DemoRole::Supervisor => e.supervisor_token.clone(),
            };
            (e.url.clone(), Some(token))
        } else {
            if let Some(e) = link.embedded.take() {
                e.stop().await;
            }
            let secrets = self.0.secrets.clone();
            let account = settings.workspace_url.clone();
            let token = tokio::task::spawn_blocking(move || secrets.get(&account)).await.unwrap_or(Ok(None));
            match token {
                Ok(Some(t)) => (settings.workspace_url.clone(), Some(t)),
                Ok(None) => {
                    self.set_status(
                        generation,
                        ConnectionStatus::NeedsToken,
                        Some("Enter the token your administrator gave you in Settings.".into()),
                    );
                    return;
                }
                Err(e) => {
                    self.set_status(generation, ConnectionStatus::NeedsToken, Some(e.clone()));
                    self.notice(NoticeLevel::Error, e, None);
                    return;
                }
            }
        };
        let client = match Client::new(&url, token.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                self.set_status(generation, ConnectionStatus::Reconnecting, Some(e.to_string()));
                return;
            }
        };
        {
            let mut m = self.lock();
            m.client = Some(client.clone());
            m.state.connection.workspace_url = url.clone();
        }
        tracing::info!(workspace = %url, embedded = settings.workspace_url.is_empty(), "connecting");
        let embedded = settings.workspace_url.is_empty();
        link.task = Some(tokio::spawn(self.clone().run_link(client, generation, embedded)));
    }

    fn set_status(&self, generation: u64, status: ConnectionStatus, detail: Option<String>) {
        {
            let mut m = self.lock();
            if m.generation != generation {
                return;
            }
            m.state.connection.status = status;
            m.state.connection.detail = detail;
        }
        self.publish();
    }

    async fn run_link(self, client: Client, generation: u64, embedded: bool) {
        let url = client.base().to_string();
        let mut backoff = Duration::from_millis(250);
        let me = loop {
            match client.me().await {
                Ok(me) => break me,
                Err(e) if e.status() == Some(401) => {
                    self.set_status(
                        generation,
                        ConnectionStatus::Unauthorized,
                        Some("The workspace refused the token. Sign in again in Settings.".into()),
                    );
                    return;
                }
                Err(e) => {
                    tracing::warn!(workspace = %url, error = %e, "cannot reach the workspace; retrying");
                    self.set_status(
                        generation,
                        ConnectionStatus::Reconnecting,
                        Some(format!("Cannot reach the workspace at {url}; retrying.")),
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        };
        // The embedded demo: the person at the keyboard starts Available, so work arrives.
        let me = if embedded && me.agent.role == Role::Agent && me.agent.presence.base == BasePresence::Offline {
            match client.set_presence(Presence { base: BasePresence::Available, custom: None }).await {
                Ok(agent) => Me { agent, ..me },
                Err(e) => {
                    tracing::warn!(error = %e, "could not make the demo agent available");
                    me
                }
            }
        } else {
            me
        };
        let supervisor = matches!(me.agent.role, Role::Supervisor | Role::Admin);
        let after = me.last_seq;
        self.apply_snapshot(generation, me).await;
        if supervisor {
            match client.team().await {
                Ok(team) => {
                    {
                        let mut m = self.lock();
                        if m.generation == generation {
                            m.state.team = team;
                        }
                    }
                    self.publish();
                }
                Err(e) => self.notice(NoticeLevel::Warning, command_error(&e, &url).message, e.code()),
            }
        }
        let mut sub = client.subscribe(after, SubscribeOptions::default());
        let mut modes = sub.transport_watch();
        loop {
            tokio::select! {
                entry = sub.next() => match entry {
                    Some(entry) => self.apply_entry(generation, entry).await,
                    None => {
                        self.set_status(generation, ConnectionStatus::Unauthorized,
                            Some("The workspace refused the token. Sign in again in Settings.".into()));
                        return;
                    }
                },
                changed = modes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let t = *modes.borrow_and_update();
                    let (status, detail) = match t {
                        Transport::Streaming => (ConnectionStatus::Live, None),
                        Transport::Polling => (ConnectionStatus::Polling, Some("Events arrive by polling: the live stream could not be held.".to_string())),
                        Transport::Connecting | Transport::Backoff => (ConnectionStatus::Reconnecting, Some(format!("Reconnecting to {url}…"))),
                        Transport::Unauthorized => (ConnectionStatus::Unauthorized, Some("The workspace refused the token. Sign in again in Settings.".to_string())),
                    };
                    tracing::info!(transport = ?t, "workspace link");
                    self.set_status(generation, status, detail);
                }
            }
        }
    }

    async fn apply_snapshot(&self, generation: u64, me: Me) {
        let mut fx = Vec::new();
        {
            let mut m = self.lock();
            if m.generation != generation {
                return;
            }
            m.state.me = Some(me.agent);
            m.state.sessions = me.sessions.into_iter().filter(|s| s.state != SessionState::Closed).collect();
            let items: HashSet<_> = m.state.sessions.iter().map(|s| s.conversation_id()).collect();
            m.state.transcripts.retain(|t| items.contains(&t.work_item));
            fx.extend(m.state.sessions.iter().map(|s| Effect::Transcript(s.id)));
            if m.state.active_session.is_none_or(|a| !m.state.sessions.iter().any(|s| s.id == a)) {
                m.state.active_session = m.state.sessions.iter().find(|s| s.state == SessionState::Open).map(|s| s.id);
            }
            // Offers that ended while we were away: close their toasts.
            let pending: HashSet<OfferId> = me.offers.iter().map(|o| o.id).collect();
            let gone: Vec<OfferView> = m.state.offers.iter().filter(|v| !pending.contains(&v.offer.id)).cloned().collect();
            for v in gone {
                self.end_offer(&mut m, v.offer.id, &mut fx);
            }
            for o in me.offers {
                self.offer_arrived(&mut m, o, &mut fx);
            }
        }
        self.publish();
        self.carry_out(fx).await;
    }

    async fn apply_entry(&self, generation: u64, entry: EventEnvelope) {
        let mut fx = Vec::new();
        {
            let mut m = self.lock();
            if m.generation != generation {
                return;
            }
            let sample = entry.at.0 as i64 - local_now().0 as i64;
            // Delivery delay only makes samples smaller; the largest is the best estimate. A
            // replayed backlog gives very old samples, which never win.
            if m.offset.is_none_or(|o| sample > o) {
                m.offset = Some(sample);
                m.state.clock_offset_ms = sample;
            }
            match entry.event {
                AgentEvent::OfferCreated(o) => self.offer_arrived(&mut m, o, &mut fx),
                AgentEvent::OfferEnded { offer, .. } => self.end_offer(&mut m, offer, &mut fx),
                AgentEvent::SessionOpened(s) | AgentEvent::SessionUpdated(s) => {
                    if !m.state.sessions.iter().any(|x| x.id == s.id) {
                        fx.push(Effect::Transcript(s.id));
                    }
                    upsert_session(&mut m.state, s)
                }
                AgentEvent::MessageAdded(msg) | AgentEvent::MessageUpdated(msg) => merge_message(&mut m.state, msg),
                AgentEvent::SessionClosed { session, .. } => remove_session(&mut m.state, session),
                AgentEvent::PresenceChanged { presence, .. } => {
                    if let Some(me) = m.state.me.as_mut() {
                        me.presence = presence;
                    }
                }
                AgentEvent::BannerRaised(b) => {
                    if let Some(me) = m.state.me.as_mut() {
                        me.banner = Some(b);
                    }
                }
                AgentEvent::BannerCleared => {
                    if let Some(me) = m.state.me.as_mut() {
                        me.banner = None;
                    }
                }
                AgentEvent::TeamAgentChanged(a) => match m.state.team.iter_mut().find(|t| t.id == a.id) {
                    Some(t) => *t = a,
                    None => m.state.team.push(a),
                },
            }
        }
        self.publish();
        self.carry_out(fx).await;
    }

    /// A new offer (or a pending one seen again after reconnecting).
    fn offer_arrived(&self, m: &mut Model, offer: Offer, fx: &mut Vec<Effect>) {
        let pending = offer.state == OfferState::Pending;
        if pending && !m.state.offers.iter().any(|v| v.offer.id == offer.id) {
            m.state.offers.push(OfferView { offer: offer.clone(), toasted: false });
        }
        self.consider(m, &offer, fx);
    }

    /// Raises the toast and sends the display receipt where due, for one offer.
    fn consider(&self, m: &mut Model, offer: &Offer, fx: &mut Vec<Effect>) {
        let focus = self.focus_now();
        let pending = offer.state == OfferState::Pending;
        let toast =
            self.0.notifier.is_some() && !m.toasted.contains(&offer.id) && should_toast(m.state.settings.notifications, focus, offer);
        if toast {
            m.toasted.insert(offer.id);
            if let Some(v) = m.state.offers.iter_mut().find(|v| v.offer.id == offer.id) {
                v.toasted = true;
            }
            let now = Timestamp((local_now().0 as i64 + m.state.clock_offset_ms).max(0) as u64);
            fx.push(Effect::Toast(toast_for(offer, &m.state.settings, self.0.icon.as_deref(), now)));
        }
        if pending && (toast || focus.visible()) && m.receipted.insert(offer.id) {
            fx.push(Effect::Receipt(offer.id));
        }
    }

    fn end_offer(&self, m: &mut Model, offer: OfferId, fx: &mut Vec<Effect>) {
        if let Some(i) = m.state.offers.iter().position(|v| v.offer.id == offer) {
            let v = m.state.offers.remove(i);
            if v.toasted {
                fx.push(Effect::Withdraw(offer.0));
            }
        }
        if m.state.focused_offer == Some(offer) {
            m.state.focused_offer = None;
        }
    }

    async fn carry_out(&self, fx: Vec<Effect>) {
        for e in fx {
            match e {
                Effect::Toast(t) => {
                    let Some(n) = self.0.notifier.clone() else { continue };
                    let key = t.key;
                    let expire = t.expire.filter(|_| !t.actions.is_empty());
                    tracing::info!(offer = key, title = %t.title, "raising a desktop notification");
                    if let Err(e) = n.show(t).await {
                        tracing::warn!(offer = key, error = %e, "desktop notification failed");
                        {
                            let mut m = self.lock();
                            if let Some(v) = m.state.offers.iter_mut().find(|v| v.offer.id.0 == key) {
                                v.toasted = false;
                            }
                            m.state.toasts.detail = Some(e.to_string());
                        }
                        self.notice(NoticeLevel::Warning, format!("{e}. The request is shown in Herald."), None);
                        continue;
                    }
                    if let Some(left) = expire {
                        // The deadline also closes the toast when the workspace cannot say so.
                        let app = self.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(left + Duration::from_millis(500)).await;
                            let still = app.lock().state.offers.iter().any(|v| v.offer.id.0 == key && v.toasted);
                            if still {
                                if let Some(n) = app.0.notifier.clone() {
                                    let _ = n.withdraw(key).await;
                                }
                            }
                        });
                    }
                }
                Effect::Withdraw(key) => {
                    if let Some(n) = self.0.notifier.clone() {
                        if let Err(e) = n.withdraw(key).await {
                            tracing::debug!(offer = key, error = %e, "withdrawing a desktop notification failed");
                        }
                    }
                }
                Effect::Receipt(offer) => {
                    let client = self.lock().client.clone();
                    if let Some(c) = client {
                        if let Err(e) = c.displayed(offer).await {
                            tracing::debug!(%offer, error = %e, "display receipt refused");
                        }
                    }
                }
                Effect::Transcript(session) => {
                    let client = self.lock().client.clone();
                    let Some(c) = client else { continue };
                    match c.transcript(session).await {
                        Ok(t) => {
                            {
                                let mut m = self.lock();
                                for msg in t.messages {
                                    merge_message(&mut m.state, msg);
                                }
                            }
                            self.publish();
                        }
                        Err(e) => tracing::debug!(%session, error = %e, "transcript not loaded"),
                    }
                }
                Effect::Front => self.0.host.bring_to_front(),
            }
        }
    }

    // ----- focus -----

    /// The window system reported a focus change. Callable from any thread.
    pub fn set_focus(&self, focus: Focus) {
        let settles = {
            let mut f = self.0.focus.lock().unwrap_or_else(|p| p.into_inner());
            f.observe(focus, Instant::now());
            f.settles_at()
        };
        let app = self.clone();
        self.0.runtime.spawn(async move {
            if let Some(at) = settles {
                tokio::time::sleep_until(at.into()).await;
            }
            app.reconsider().await;
        });
    }

    /// Re-evaluates pending offers after a focus change: an offer that arrived while Herald was
    /// in front gets its toast when Herald goes to the background, and its receipt once seen.
    async fn reconsider(&self) {
        let mut fx = Vec::new();
        let moved = {
            let focus = self.focus_now();
            let mut m = self.lock();
            let moved = m.state.window != focus;
            m.state.window = focus;
            let offers: Vec<Offer> = m.state.offers.iter().map(|v| v.offer.clone()).collect();
            for o in offers {
                self.consider(&mut m, &o, &mut fx);
            }
            moved
        };
        if moved || !fx.is_empty() {
            self.publish();
            self.carry_out(fx).await;
        }
    }

    // ----- what the person does -----

    async fn follow_actions(self, mut actions: Actions) {
        while let Some(a) = actions.recv().await {
            tracing::info!(action = ?a, "desktop notification action");
            self.on_toast_action(a).await;
        }
    }

    /// A click on a toast.
    pub async fn on_toast_action(&self, action: UserAction) {
        let offer = OfferId(action.key());
        let known = self.lock().state.offers.iter().find(|v| v.offer.id == offer).map(|v| v.offer.clone());
        let result = match action {
            UserAction::Accepted(_) => self.accept(offer).await,
            UserAction::Rejected(_) => self.reject(offer).await,
            UserAction::Opened(_) => {
                match known {
                    // R19: "Open item" opens the assigned case.
                    Some(o) if o.actions == [OfferAction::OpenItem] => self.accept(offer).await,
                    // R13: the body brings Herald to the front with the offer shown.
                    Some(_) => {
                        self.lock().state.focused_offer = Some(offer);
                        self.publish();
                        self.0.host.bring_to_front();
                        Ok(())
                    }
                    // An informational toast (auto-accepted) or an offer that already ended.
                    None => {
                        self.0.host.bring_to_front();
                        Ok(())
                    }
                }
            }
            UserAction::Dismissed(_) => {
                let mut m = self.lock();
                if let Some(v) = m.state.offers.iter_mut().find(|v| v.offer.id == offer) {
                    v.toasted = false;
                }
                drop(m);
                self.publish();
                Ok(())
            }
        };
        if let Err(e) = result {
            self.notice(NoticeLevel::Error, e.message, e.code);
        }
    }

    fn client(&self) -> Result<(Client, String), CommandError> {
        let m = self.lock();
        let c = m.client.clone().ok_or_else(not_connected)?;
        Ok((c, m.state.connection.workspace_url.clone()))
    }

    async fn accept(&self, offer: OfferId) -> Result<(), CommandError> {
        let (client, url) = self.client()?;
        match client.accept(offer).await {
            Ok(session) => {
                let mut fx = vec![Effect::Front, Effect::Transcript(session.id)];
                {
                    let mut m = self.lock();
                    self.end_offer(&mut m, offer, &mut fx);
                    m.state.active_session = Some(session.id);
                    upsert_session(&mut m.state, session);
                }
                self.publish();
                self.carry_out(fx).await;
                Ok(())
            }
            Err(e) => Err(self.refused(offer, &e, &url).await),
        }
    }

    async fn reject(&self, offer: OfferId) -> Result<(), CommandError> {
        let (client, url) = self.client()?;
        match client.reject(offer).await {
            Ok(()) => {
                let mut fx = Vec::new();
                {
                    let mut m = self.lock();
                    self.end_offer(&mut m, offer, &mut fx);
                }
                self.publish();
                self.carry_out(fx).await;
                Ok(())
            }
            Err(e) => Err(self.refused(offer, &e, &url).await),
        }
    }

    /// An accept or reject was refused: when the offer is gone, drop it from the view.
    async fn refused(&self, offer: OfferId, e: &ClientError, url: &str) -> CommandError {
        tracing::info!(%offer, error = %e, "the workspace refused an answer to an offer");
        if e.code() == Some(ErrorCode::OfferNotPending) || e.status() == Some(404) {
            let mut fx = Vec::new();
            {
                let mut m = self.lock();
                self.end_offer(&mut m, offer, &mut fx);
            }
            self.publish();
            self.carry_out(fx).await;
        }
        command_error(e, url)
    }

    /// Carries out a command from the window.
    pub async fn command(&self, cmd: Command) -> Result<(), CommandError> {
        match cmd {
            Command::AcceptOffer { offer } => self.accept(offer).await,
            Command::RejectOffer { offer } => self.reject(offer).await,
            Command::SelectSession { session } => {
                {
                    let mut m = self.lock();
                    m.state.active_session = session.filter(|s| m.state.sessions.iter().any(|x| x.id == *s));
                }
                self.publish();
                Ok(())
            }
            Command::CloseSession { session } => {
                let (client, url) = self.client()?;
                client.close_session(session).await.map_err(|e| command_error(&e, &url))?;
                remove_session(&mut self.lock().state, session);
                self.publish();
                Ok(())
            }
            Command::OpenSession { session } => {
                let (client, url) = self.client()?;
                let s = client.open_session(session).await.map_err(|e| command_error(&e, &url))?;
                {
                    let mut m = self.lock();
                    m.state.active_session = Some(s.id);
                    upsert_session(&mut m.state, s);
                }
                self.publish();
                Ok(())
            }
            Command::CallControl { session, action } => {
                let (client, url) = self.client()?;
                let s = client.call_control(session, action).await.map_err(|e| command_error(&e, &url))?;
                upsert_session(&mut self.lock().state, s);
                self.publish();
                Ok(())
            }
            Command::SendMessage { session, body } => {
                let body = body.trim().to_string();
                if body.is_empty() {
                    return Err(CommandError { field: Some("body".into()), ..CommandError::app("Write a message first.") });
                }
                let (client, url) = self.client()?;
                let msg = client.send_message(session, &body).await.map_err(|e| command_error(&e, &url))?;
                merge_message(&mut self.lock().state, msg);
                self.publish();
                Ok(())
            }
            Command::SetPresence { presence } => {
                let (client, url) = self.client()?;
                let me = client.set_presence(presence).await.map_err(|e| command_error(&e, &url))?;
                self.lock().state.me = Some(me);
                self.publish();
                Ok(())
            }
            Command::ResetPresence => {
                let (client, url) = self.client()?;
                let me = client.reset_my_presence().await.map_err(|e| command_error(&e, &url))?;
                self.lock().state.me = Some(me);
                self.publish();
                Ok(())
            }
            Command::ResetAgentPresence { agent } => {
                let (client, url) = self.client()?;
                let a = client.reset_presence_of(agent).await.map_err(|e| command_error(&e, &url))?;
                {
                    let mut m = self.lock();
                    if let Some(t) = m.state.team.iter_mut().find(|t| t.id == a.id) {
                        *t = a;
                    }
                }
                self.publish();
                Ok(())
            }
            Command::SaveSettings(input) => self.save_settings(input).await,
            Command::DismissNotice { id } => {
                self.lock().state.notices.retain(|n| n.id != id);
                self.publish();
                Ok(())
            }
        }
    }

    async fn save_settings(&self, input: SettingsInput) -> Result<(), CommandError> {
        let mut new = input.settings;
        new.workspace_url = new.workspace_url.trim().trim_end_matches('/').to_string();
        settings::check_url(&new.workspace_url)
            .map_err(|m| CommandError { field: Some("workspace_url".into()), ..CommandError::app(m) })?;
        let old = self.lock().state.settings.clone();
        let token = input.token.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if let Some(t) = &token {
            if new.workspace_url.is_empty() {
                return Err(CommandError {
                    field: Some("token".into()),
                    ..CommandError::app("A token is for a workspace URL; the embedded workspace signs you in by itself.")
                });
            }
            let (secrets, account, t) = (self.0.secrets.clone(), new.workspace_url.clone(), t.clone());
            tokio::task::spawn_blocking(move || secrets.set(&account, &t))
                .await
                .map_err(|e| CommandError::app(e.to_string()))?
                .map_err(|m| CommandError { field: Some("token".into()), ..CommandError::app(m) })?;
        }
        if new.autostart != old.autostart {
            self.0.host.set_autostart(new.autostart).map_err(|m| CommandError {
                field: Some("autostart".into()),
                ..CommandError::app(format!("Could not change start at login: {m}"))
            })?;
        }
        settings::save(&settings::file_in(&self.0.data_dir), &new)
            .map_err(|e| CommandError::app(format!("Could not save the settings in {}: {e}", self.0.data_dir.display())))?;
        tracing::info!(?new, "settings saved");
        let relink =
            new.workspace_url != old.workspace_url || token.is_some() || (new.workspace_url.is_empty() && new.demo_as != old.demo_as);
        let traffic_changed = new.demo_traffic != old.demo_traffic;
        self.lock().state.settings = new.clone();
        self.publish();
        if relink {
            self.reconnect().await;
        } else if traffic_changed {
            if let Some(e) = self.0.link.lock().await.embedded.as_ref() {
                e.set_traffic(new.demo_traffic);
            }
        }
        // A new notification mode applies to offers still pending.
        self.reconsider().await;
        Ok(())
    }

    /// Closes open toasts and stops the link and the embedded workspace (Quit).
    pub async fn shutdown(&self) {
        let toasted: Vec<u64> = self.lock().state.offers.iter().filter(|v| v.toasted).map(|v| v.offer.id.0).collect();
        if let Some(n) = self.0.notifier.clone() {
            for k in toasted {
                let _ = n.withdraw(k).await;
            }
        }
        let mut link = self.0.link.lock().await;
        if let Some(t) = link.task.take() {
            t.abort();
        }
        if let Some(e) = link.embedded.take() {
            e.stop().await;
        }
        tracing::info!("Herald stopped");
    }
}

fn upsert_session(state: &mut DesktopState, s: Session) {
    if s.state == SessionState::Closed {
        remove_session(state, s.id);
        return;
    }
    let id = s.id;
    match state.sessions.iter_mut().find(|x| x.id == s.id) {
        Some(x) => *x = s,
        None => state.sessions.push(s),
    }
    if state.active_session.is_none() {
        state.active_session = Some(id);
    }
}

/// Adds or replaces a message in its conversation's transcript, keeping id order.
fn merge_message(state: &mut DesktopState, msg: herald_protocol::Message) {
    let t = match state.transcripts.iter_mut().position(|t| t.work_item == msg.work_item) {
        Some(i) => &mut state.transcripts[i],
        None => {
            state.transcripts.push(TranscriptView { work_item: msg.work_item, messages: Vec::new() });
            let last = state.transcripts.len() - 1;
            &mut state.transcripts[last]
        }
    };
    match t.messages.binary_search_by_key(&msg.id, |m| m.id) {
        Ok(i) => t.messages[i] = msg,
        Err(i) => t.messages.insert(i, msg),
    }
}

fn remove_session(state: &mut DesktopState, id: SessionId) {
    if let Some(conversation) = state.sessions.iter().find(|s| s.id == id).map(|s| s.conversation_id()) {
        state.sessions.retain(|s| s.id != id);
        // A consult keeps the same conversation open in another session.
        if !state.sessions.iter().any(|s| s.conversation_id() == conversation) {
            state.transcripts.retain(|t| t.work_item != conversation);
        }
    }
    state.sessions.retain(|s| s.id != id);
    if state.active_session == Some(id) {
        state.active_session = state.sessions.last().map(|s| s.id);
    }
}
