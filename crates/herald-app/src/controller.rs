//! The app: one [`App`] per process, the I/O around the [`Model`]. It holds the link to the
//! workspace (embedded or remote), the notifier and the window system ([`Host`]); it turns what
//! happens — an entry of the event log, a click on a toast, a command from the window, a focus
//! change, a deadline — into an [`Event`], applies it to the model with the current time and
//! focus, and carries out the [`Effect`]s, feeding their outcome back as events.
//!
//! The window system is reached only through [`Host`] (publish the state, bring the window to
//! the front, autostart), so the whole app runs in tests without a window.
//!
//! Locking: the model sits behind a std `Mutex` that is held only for one [`Model::apply`],
//! never across an `.await`. The link (task and embedded workspace) is behind an async mutex so
//! that connecting happens one link at a time.

use crate::calls::{command_error, not_connected};
use crate::embedded::Embedded;
use crate::focus::{Focus, FocusTracker};
use crate::model::{Call, Effect, Event, Failure, LinkChange, Model, Origin, SettingsPlan, Setup};
use crate::secrets::Secrets;
use crate::settings;
use crate::view::{Command, CommandError, DemoRole, DesktopSettings, DesktopState, NoticeLevel, ToastSupport};
use futures_util::future::OptionFuture;
use herald_client::{Client, SubscribeOptions, SubscriptionItem};
use herald_notify::{Actions, Notifier, NotifyError, UserAction};
use herald_protocol::{ErrorCode, OfferId, Role, Timestamp};
use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
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
    /// Plays what should ring ([`crate::sound`]).
    ringer: Box<dyn crate::sound::Ringer>,
    data_dir: PathBuf,
    secrets: Secrets,
    demo_rate: Option<f64>,
    /// The runtime the app started on: window-system callbacks arrive on other threads.
    runtime: tokio::runtime::Handle,
    model: Mutex<Model>,
    link: tokio::sync::Mutex<Link>,
    /// The client of the current link, for calls.
    client: Mutex<Option<Linked>>,
    focus: Mutex<FocusTracker>,
    /// Wakes the deadline timer when the model's next deadline moved.
    timer: Arc<Notify>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Lets the timer task see that the app is gone.
        self.timer.notify_one();
    }
}

#[derive(Default)]
struct Link {
    task: Option<JoinHandle<()>>,
    embedded: Option<Embedded>,
}

#[derive(Clone)]
struct Linked {
    client: Client,
    /// The workspace's URL as configured (or the embedded one's), for error messages.
    url: String,
}

/// The local clock, in ms since the epoch.
fn local_now() -> Timestamp {
    Timestamp(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64))
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
        let language = crate::i18n::Language::of_system();
        tracing::info!(?language, "the operating system's language");
        let setup =
            Setup { settings: loaded.settings, data_dir: options.data_dir.display().to_string(), toasts, icon: options.icon, language };
        let timer = Arc::new(Notify::new());
        // The sound thread tells the app (once) when nothing can be played.
        let told: Arc<std::sync::OnceLock<Weak<Inner>>> = Arc::default();
        let tell = told.clone();
        let ringer = Box::new(crate::sound::Speaker::start(move |heard| {
            if let Some(app) = tell.get().and_then(Weak::upgrade).map(App) {
                match heard {
                    crate::sound::Heard::Playing(ring) => app.apply_and_publish(Event::Rang(ring)),
                    crate::sound::Heard::Unavailable(reason) => {
                        let text = crate::i18n::text_with(app.state().language, "notice-no-sound", &[("reason", reason.into())]);
                        app.notice(NoticeLevel::Info, text, None);
                    }
                }
            }
        }));
        let app = App(Arc::new(Inner {
            host,
            notifier,
            ringer,
            data_dir: options.data_dir,
            secrets,
            demo_rate: options.demo_rate,
            runtime: tokio::runtime::Handle::current(),
            model: Mutex::new(Model::new(setup)),
            link: tokio::sync::Mutex::new(Link::default()),
            client: Mutex::new(None),
            focus: Mutex::new(FocusTracker::new()),
            timer: timer.clone(),
        }));
        let _ = told.set(Arc::downgrade(&app.0));
        for p in loaded.problems {
            tracing::warn!(problem = %p, "settings");
            app.notice(NoticeLevel::Warning, p, None);
        }
        if let Some(note) = secrets_note {
            tracing::warn!(note = %note, "keyring");
            app.notice(NoticeLevel::Info, note, None);
        }
        tracing::info!(data_dir = %app.0.data_dir.display(), tokens = %app.0.secrets.describe(), "Herald data");
        // The login autostart entry follows the setting from the start too: settings kept across
        // a reinstall, an entry removed by hand.
        let autostart = app.state().settings.autostart;
        if let Err(e) = app.0.host.set_autostart(autostart) {
            tracing::info!(error = %e, autostart, "the login autostart entry could not follow the setting");
        }
        if let Some(actions) = actions {
            tokio::spawn(app.clone().follow_actions(actions));
        }
        tokio::spawn(keep_time(Arc::downgrade(&app.0), timer));
        crate::screen::follow(app.clone());
        crate::dnd::follow(app.clone());
        app.reconnect().await;
        app
    }

    /// The state as the window draws it.
    pub fn state(&self) -> DesktopState {
        self.model().state().clone()
    }

    fn model(&self) -> std::sync::MutexGuard<'_, Model> {
        // A panic while holding the lock leaves a model that is still consistent enough to draw.
        self.0.model.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn linked(&self) -> std::sync::MutexGuard<'_, Option<Linked>> {
        self.0.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn focus_now(&self) -> Focus {
        self.0.focus.lock().unwrap_or_else(|p| p.into_inner()).current(Instant::now())
    }

    /// Applies one event to the model, now, with the current focus.
    fn apply(&self, event: Event) -> Vec<Effect> {
        let (now, focus) = (local_now(), self.focus_now());
        let mut m = self.model();
        let deadline = m.next_deadline();
        let fx = m.apply(now, focus, event);
        if m.next_deadline() != deadline {
            self.0.timer.notify_one();
        }
        fx
    }

    /// Applies an event and carries out its effects, and theirs; answers with the first
    /// refusal (for commands from the window).
    async fn handle(&self, event: Event) -> Result<(), CommandError> {
        let mut queue: VecDeque<Effect> = self.apply(event).into();
        let mut result = Ok(());
        while let Some(effect) = queue.pop_front() {
            match self.carry_out(effect).await {
                Ok(Some(next)) => {
                    for e in self.apply(next).into_iter().rev() {
                        queue.push_front(e);
                    }
                }
                Ok(None) => {}
                Err(e) => result = result.and(Err(e)),
            }
        }
        result
    }

    /// [`App::handle`] for events no one waits on. A boxed future of a named type: the link
    /// task feeds events through here, and carrying them out may start a link task.
    fn feed(&self, event: Event) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if let Err(e) = self.handle(event).await {
                tracing::debug!(error = %e, "refused");
            }
        })
    }

    /// Applies an event on the caller's thread and publishes at once; other effects (there
    /// are none for the events this is used with) run on the app's runtime.
    fn apply_and_publish(&self, event: Event) {
        let mut rest = Vec::new();
        for e in self.apply(event) {
            match e {
                Effect::Publish(state) => self.0.host.publish(&state),
                other => rest.push(other),
            }
        }
        if !rest.is_empty() {
            let app = self.clone();
            self.0.runtime.spawn(async move {
                for e in rest {
                    if let Ok(Some(next)) = app.carry_out(e).await {
                        app.feed(next).await;
                    }
                }
            });
        }
    }

    /// The screen locked or unlocked ([`crate::screen`]).
    pub async fn screen_locked(&self, locked: bool) {
        self.feed(Event::ScreenLock(locked)).await;
    }

    /// The desktop's do-not-disturb turned on or off ([`crate::dnd`]).
    pub async fn do_not_disturb(&self, on: bool) {
        self.feed(Event::DoNotDisturb(on)).await;
    }

    /// Adds a notice for the person and publishes.
    pub fn notice(&self, level: NoticeLevel, text: String, code: Option<ErrorCode>) {
        self.apply_and_publish(Event::Notice { level, text, code });
    }

    /// Carries out one effect; an outcome the model must hear of comes back as an event.
    async fn carry_out(&self, effect: Effect) -> Result<Option<Event>, CommandError> {
        match effect {
            Effect::Publish(state) => self.0.host.publish(&state),
            Effect::ShowToast(t) => {
                let Some(n) = self.0.notifier.clone() else { return Ok(None) };
                let key = t.key;
                tracing::info!(offer = key, title = %t.title, "raising a desktop notification");
                if let Err(e) = n.show(t).await {
                    tracing::warn!(offer = key, error = %e, "desktop notification failed");
                    return Ok(Some(Event::ToastFailed { offer: OfferId(key), error: e.to_string() }));
                }
            }
            Effect::WithdrawToast(offer) => {
                if let Some(n) = self.0.notifier.clone() {
                    if let Err(e) = n.withdraw(offer.0).await {
                        tracing::debug!(%offer, error = %e, "withdrawing a desktop notification failed");
                    }
                }
            }
            Effect::Ring(ring) => self.0.ringer.ring(ring),
            Effect::Call(call, origin) => return Ok(Some(self.call(call, origin).await)),
            Effect::BringToFront => self.0.host.bring_to_front(),
            Effect::Connect { link, settings } => return Ok(self.connect(link, settings).await),
            Effect::LoadSnapshot { link } => return Ok(self.load_snapshot(link).await),
            Effect::DemoTraffic(on) => {
                if let Some(e) = self.0.link.lock().await.embedded.as_ref() {
                    e.set_traffic(on);
                }
            }
            Effect::SaveSettings(plan) => {
                self.save_settings(&plan).await?;
                return Ok(Some(Event::SettingsSaved(plan)));
            }
            Effect::Refuse(e) => return Err(e),
            Effect::SignIn(plan) => {
                let token = crate::signin::sign_in(&plan).await?;
                // Where the system asks the person before toasts show (macOS), it asks now.
                if let Some(Err(e)) = OptionFuture::from(self.0.notifier.as_ref().map(|n| n.request_permission())).await {
                    self.notice(NoticeLevel::Warning, e.to_string(), None);
                }
                let plan = SettingsPlan { settings: plan.settings, token: Some(token), autostart: None, signed_out: false };
                self.save_settings(&plan).await?;
                return Ok(Some(Event::SettingsSaved(plan)));
            }
            Effect::SignOut(plan) => {
                if let Some(why) = crate::signin::sign_out(self.0.secrets.clone(), &plan.settings.workspace_url).await? {
                    self.notice(NoticeLevel::Warning, format!("Signed out here, but the workspace did not confirm it ({why})."), None);
                }
                self.save_settings(&plan).await?;
                return Ok(Some(Event::SettingsSaved(plan)));
            }
        }
        Ok(None)
    }

    /// Asks the workspace.
    async fn call(&self, call: Call, origin: Origin) -> Event {
        let linked = self.linked().clone();
        let Some(Linked { client, url }) = linked else {
            return Event::Failed { call, origin, failure: Failure { error: not_connected(), status: None } };
        };
        let answer = crate::calls::ask(&client, &call).await;
        match answer {
            Ok(a) => Event::Answered(a),
            Err(e) => {
                match origin {
                    Origin::Window | Origin::Toast => tracing::info!(?call, error = %e, "the workspace refused"),
                    Origin::Background => tracing::debug!(?call, error = %e, "the workspace refused"),
                }
                Event::Failed { call, origin, failure: Failure { error: command_error(&e, &url), status: e.status() } }
            }
        }
    }

    // ----- the link to the workspace -----

    /// (Re)connects according to the settings: the embedded workspace when no URL is set.
    pub async fn reconnect(&self) {
        self.feed(Event::Relink).await;
    }

    /// Starts link `link` unless a newer one was asked for meanwhile; a failure comes back as
    /// the event to apply.
    async fn connect(&self, link: u64, settings: DesktopSettings) -> Option<Event> {
        let mut slot = self.0.link.lock().await;
        if self.model().link() != link {
            return None;
        }
        if let Some(t) = slot.task.take() {
            t.abort();
        }
        *self.linked() = None;
        let failed = |change| Some(Event::Link { link, change });
        let embedded = settings.workspace_url.is_empty();
        let (url, token) = if embedded {
            if slot.embedded.is_none() {
                match Embedded::start(&self.0.data_dir, settings.demo_traffic, self.0.demo_rate).await {
                    Ok(e) => slot.embedded = Some(e),
                    Err(e) => {
                        let e = format!("{e:#}");
                        tracing::error!(error = %e, "the embedded workspace could not start");
                        return failed(LinkChange::EmbeddedFailed(e));
                    }
                }
            }
            let e = slot.embedded.as_ref()?;
            e.set_traffic(settings.demo_traffic);
            let token = match settings.demo_as {
                DemoRole::Agent => e.token.clone(),
                DemoRole::Supervisor => e.supervisor_token.clone(),
            };
            (e.url.clone(), Some(token))
        } else {
            if let Some(e) = slot.embedded.take() {
                e.stop().await;
            }
            let secrets = self.0.secrets.clone();
            let account = settings.workspace_url.clone();
            match tokio::task::spawn_blocking(move || secrets.get(&account)).await.unwrap_or(Ok(None)) {
                Ok(Some(t)) => (settings.workspace_url.clone(), Some(t)),
                Ok(None) => return failed(LinkChange::NeedsToken),
                Err(e) => return failed(LinkChange::TokenUnreadable(e)),
            }
        };
        let client = match Client::new(&url, token.as_deref()) {
            Ok(c) => c,
            Err(e) => return failed(LinkChange::InvalidUrl(e.to_string())),
        };
        *self.linked() = Some(Linked { client: client.clone(), url: url.clone() });
        tracing::info!(workspace = %url, embedded, "connecting");
        let base = client.base().to_string();
        self.apply_and_publish(Event::Link { link, change: LinkChange::Connecting { url, base } });
        slot.task = Some(tokio::spawn(self.clone().run_link(client, link, embedded)));
        None
    }

    /// Follows the workspace for one link: the agent, then the event log, until the link is
    /// replaced or the token refused.
    async fn run_link(self, client: Client, link: u64, embedded: bool) {
        let url = client.base().to_string();
        let mut backoff = Duration::from_millis(250);
        let me = loop {
            match client.me().await {
                Ok(me) => break me,
                Err(e) if e.status() == Some(401) => {
                    self.feed(Event::Link { link, change: LinkChange::Refused }).await;
                    return;
                }
                Err(e) => {
                    tracing::warn!(workspace = %url, error = %e, "cannot reach the workspace; retrying");
                    self.feed(Event::Link { link, change: LinkChange::Unreachable }).await;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        };
        let me = if embedded { crate::embedded::demo_agent_available(&client, me).await } else { me };
        let supervisor = matches!(me.agent.role, Role::Supervisor | Role::Admin);
        let after = me.last_seq;
        self.feed(Event::Snapshot { link, me }).await;
        if supervisor {
            let team = client.team().await.map_err(|e| command_error(&e, &url));
            self.feed(Event::Team { link, team }).await;
        }
        let mut sub = client.subscribe(after, SubscribeOptions::default());
        let mut modes = sub.transport_watch();
        loop {
            tokio::select! {
                item = sub.next_item() => match item {
                    Some(SubscriptionItem::Entry(entry)) => self.feed(Event::Entry { link, entry }).await,
                    Some(SubscriptionItem::Resync(resync)) => {
                        tracing::info!(?resync, "the workspace's event log restarted or was pruned: reloading");
                        self.feed(Event::Resync { link, resync }).await;
                    }
                    None => {
                        self.feed(Event::Link { link, change: LinkChange::Refused }).await;
                        return;
                    }
                },
                changed = modes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let t = *modes.borrow_and_update();
                    tracing::info!(transport = ?t, "workspace link");
                    self.feed(Event::Link { link, change: LinkChange::Transport(t) }).await;
                }
            }
        }
    }

    /// Reads the agent (and a supervisor's team) again for link `link`, retrying until the
    /// workspace answers; the link task waits meanwhile, so no entry overtakes the snapshot.
    async fn load_snapshot(&self, link: u64) -> Option<Event> {
        let mut backoff = Duration::from_millis(250);
        loop {
            let Linked { client, url } = self.linked().clone()?;
            if self.model().link() != link {
                return None;
            }
            match client.me().await {
                Ok(me) => {
                    if matches!(me.agent.role, Role::Supervisor | Role::Admin) {
                        let team = client.team().await.map_err(|e| command_error(&e, &url));
                        self.feed(Event::Team { link, team }).await;
                    }
                    return Some(Event::Snapshot { link, me });
                }
                Err(e) if e.status() == Some(401) => return Some(Event::Link { link, change: LinkChange::Refused }),
                Err(e) => {
                    tracing::warn!(workspace = %url, error = %e, "cannot reload the agent; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    async fn save_settings(&self, plan: &SettingsPlan) -> Result<(), CommandError> {
        if let Some(t) = &plan.token {
            let (secrets, account, t) = (self.0.secrets.clone(), plan.settings.workspace_url.clone(), t.clone());
            tokio::task::spawn_blocking(move || secrets.set(&account, &t))
                .await
                .map_err(|e| CommandError::app(e.to_string()))?
                .map_err(|m| CommandError { field: Some("token".into()), ..CommandError::app(m) })?;
        }
        if let Some(on) = plan.autostart {
            self.0.host.set_autostart(on).map_err(|m| CommandError {
                field: Some("autostart".into()),
                ..CommandError::app(format!("Could not change start at login: {m}"))
            })?;
        }
        settings::save(&settings::file_in(&self.0.data_dir), &plan.settings)
            .map_err(|e| CommandError::app(format!("Could not save the settings in {}: {e}", self.0.data_dir.display())))?;
        tracing::info!(new = ?plan.settings, "settings saved");
        Ok(())
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
            app.feed(Event::FocusChanged).await;
        });
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
        self.feed(Event::Toast(action)).await;
    }

    /// Carries out a command from the window.
    pub async fn command(&self, cmd: Command) -> Result<(), CommandError> {
        self.handle(Event::Command(cmd)).await
    }

    /// Closes open toasts and stops the link and the embedded workspace (Quit).
    pub async fn shutdown(&self) {
        self.feed(Event::Shutdown).await;
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

/// Sends [`Event::Tick`] at the model's next deadline; woken when the deadline moves. Ends
/// when the app is gone.
async fn keep_time(app: Weak<Inner>, wake: Arc<Notify>) {
    loop {
        let Some(next) = app.upgrade().map(|inner| App(inner).model().next_deadline()) else { return };
        match next {
            Some(at) => {
                let wait = Duration::from_millis(at.0.saturating_sub(local_now().0));
                tokio::select! {
                    () = tokio::time::sleep(wait) => {
                        let Some(inner) = app.upgrade() else { return };
                        App(inner).feed(Event::Tick).await;
                    }
                    () = wake.notified() => {}
                }
            }
            None => wake.notified().await,
        }
    }
}
