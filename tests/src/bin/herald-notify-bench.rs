//! The notification-chain benchmark: the whole chain the agent feels, from a conversation's
//! `POST /v1/conversations` to the `Notify` call herald-app makes on the session bus, against a
//! floor measured in the same run.
//!
//! Set-up (all private to this run): the e2e desktop harness (Xvfb, a private `dbus-daemon`,
//! openbox, the real xfce4-notifyd); the `herald-workspace` binary next to this one as its own
//! process (`serve` on 127.0.0.1:0, SQLite in a temp dir, an admin token); herald-app inside
//! this process, signed in as the only agent of one queue, desktop notifications `Always` (so
//! focus does not matter), toasting through herald-notify's `LinuxNotifier` on that bus; and a
//! bus monitor (`BecomeMonitor`, on a thread and runtime of its own) that timestamps every
//! `Notify` call, its reply and every `CloseNotification` as the bus delivers them.
//!
//! One conversation at a time: after a pause (`--gap-ms`, so the daemon is idle) the bench
//! notes the time and POSTs the conversation; the sample is the time until the monitor sees the
//! app's `Notify` for it (matched by the customer's unique name), and, separately, until the
//! daemon's reply (the toast's id). The bench then accepts the offer and closes the session with
//! the agent's token, and waits until the app has withdrawn the toast (`CloseNotification`),
//! so the agent and the daemon are free before the next one.
//!
//! The floor, interleaved with the conversations (after the same pause, `--floor-per` pairs per
//! conversation): `POST /v1/admin/contacts` — one loopback HTTP round trip through the same
//! client, one engine change and one store commit at the workspace's durability setting (SQLite
//! WAL, `synchronous = NORMAL`), and no routing — followed by one raw `Notify` round trip (call →
//! reply) from a bare zbus connection to the same daemon, replaying the exact arguments the app
//! sent for the conversation just measured (then closed). A floor sample is the sum of one such
//! pair; p50/p99 are taken over those sums. The chain to the `Notify` *call* is also set against
//! a "floor to the call": the same POST plus that raw `Notify` from sent to seen by the monitor
//! (one bus hop, no drawing), since the daemon's work is not part of the chain to the call.
//! Run with `scripts/bench-notify.sh`.

use anyhow::{Context, Result, anyhow, bail, ensure};
use clap::Parser;
use futures_util::StreamExt;
use herald_app::secrets::Secrets;
use herald_app::view::{ConnectionStatus, DesktopSettings, DesktopState, NotificationMode};
use herald_app::{App, Host, Options};
use herald_client::Client;
use herald_e2e::desktop::{DesktopSession, NOTIFICATIONS};
use herald_notify::LinuxNotifier;
use herald_protocol::*;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use zbus::zvariant::OwnedValue;

#[derive(Debug, Parser)]
struct Args {
    /// Conversations measured (one at a time).
    #[arg(long, default_value_t = 200)]
    conversations: usize,
    /// Conversations sent first and not counted.
    #[arg(long, default_value_t = 10)]
    warmup: usize,
    /// Floor pairs (contact POST + raw Notify) per conversation.
    #[arg(long, default_value_t = 2)]
    floor_per: usize,
    /// Pause before each measured thing, so the daemon has finished drawing and fading.
    #[arg(long, default_value_t = 100)]
    gap_ms: u64,
    /// The workspace binary (default: `herald-workspace` next to this one).
    #[arg(long)]
    workspace_bin: Option<std::path::PathBuf>,
}

const ADMIN_TOKEN: &str = "notify-bench-admin-token";
/// How long any one wait may take.
const WAIT: Duration = Duration::from_secs(20);

/// The arguments of a `Notify` call.
type NotifyArgs = (String, u32, String, String, String, Vec<String>, HashMap<String, OwnedValue>, i32);

/// One `Notify` call as the monitor saw it.
#[derive(Clone, Debug)]
struct Seen {
    sender: String,
    text: String,
    call_at: Instant,
    reply_at: Option<Instant>,
    id: u32,
    close_at: Option<Instant>,
    args: Arc<NotifyArgs>,
}

#[derive(Debug, Default)]
struct BusLog {
    seen: Mutex<Vec<Seen>>,
    /// Pending calls: (sender, serial) → index in `seen`.
    calls: Mutex<HashMap<(String, u32), usize>>,
    changed: tokio::sync::Notify,
}

impl BusLog {
    /// Waits until `pick` finds something in the log.
    async fn wait<T>(&self, what: &str, pick: impl Fn(&[Seen]) -> Option<T>) -> Result<T> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(t) = pick(&self.seen.lock().unwrap_or_else(|p| p.into_inner())) {
                return Ok(t);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                bail!("not seen on the bus within {WAIT:?}: {what}");
            }
        }
    }

    fn record(&self, msg: &zbus::Message, at: Instant) {
        use zbus::message::Type;
        let header = msg.header();
        let member = header.member().map(|m| m.as_str().to_owned()).unwrap_or_default();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        match header.message_type() {
            Type::MethodCall if member == "Notify" => {
                let Ok(args) = msg.body().deserialize::<NotifyArgs>() else { return };
                let sender = header.sender().map(|s| s.as_str().to_owned()).unwrap_or_default();
                calls.insert((sender.clone(), header.primary().serial_num().get()), seen.len());
                let text = format!("{}\n{}", args.3, args.4);
                seen.push(Seen { sender, text, call_at: at, reply_at: None, id: 0, close_at: None, args: Arc::new(args) });
            }
            Type::MethodCall if member == "CloseNotification" => {
                let Ok(id) = msg.body().deserialize::<u32>() else { return };
                if let Some(s) = seen.iter_mut().rev().find(|s| s.id == id) {
                    s.close_at.get_or_insert(at);
                }
            }
            Type::MethodReturn => {
                let (Some(dest), Some(serial)) = (header.destination(), header.reply_serial()) else { return };
                if let Some(i) = calls.remove(&(dest.as_str().to_owned(), serial.get())) {
                    seen[i].reply_at = Some(at);
                    seen[i].id = msg.body().deserialize::<u32>().unwrap_or(0);
                }
            }
            _ => return,
        }
        drop((seen, calls));
        self.changed.notify_waiters();
    }
}

/// Monitors the bus on a thread of its own, so timestamps do not wait for the app's runtime.
fn start_monitor(address: &str) -> Result<Arc<BusLog>> {
    let log = Arc::new(BusLog::default());
    let sink = log.clone();
    let address = address.to_owned();
    let (ready, started) = std::sync::mpsc::channel::<Result<()>>();
    std::thread::Builder::new().name("bus-monitor".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return drop(ready.send(Err(e.into()))),
        };
        rt.block_on(async move {
            let setup = async {
                let conn = zbus::connection::Builder::address(address.as_str())?.build().await?;
                let rules = ["type='method_call',interface='org.freedesktop.Notifications'", "type='method_return'"];
                let rules = rules.iter().map(|r| zbus::MatchRule::try_from(*r)).collect::<Result<Vec<_>, _>>()?;
                zbus::fdo::MonitoringProxy::new(&conn).await?.become_monitor(&rules, 0).await.context("BecomeMonitor")?;
                let stream = zbus::MessageStream::from(&conn);
                anyhow::Ok((conn, stream))
            };
            let (_conn, mut stream) = match setup.await {
                Ok(s) => s,
                Err(e) => return drop(ready.send(Err(e))),
            };
            let _ = ready.send(Ok(()));
            while let Some(Ok(msg)) = stream.next().await {
                sink.record(&msg, Instant::now());
            }
        });
    })?;
    started.recv()??;
    Ok(log)
}

/// Starts the workspace binary on a fresh database: (child, url).
async fn spawn_workspace(exe: &std::path::Path, dir: &std::path::Path) -> Result<(tokio::process::Child, String)> {
    let db = format!("sqlite://{}", dir.join("notify-bench.db").display());
    let mut child = tokio::process::Command::new(exe)
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db, "--admin-token", ADMIN_TOKEN])
        .env("RUST_LOG", "warn,herald_workspace=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| anyhow!("cannot start {}: {e}", exe.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("piped")?).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '(').collect();
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Ok((child, format!("http://{addr}")));
        }
    }
    bail!("the workspace exited before listening")
}

/// The app's window system: nothing but its published state.
#[derive(Debug)]
struct BenchHost(tokio::sync::watch::Sender<Option<DesktopState>>);

impl Host for BenchHost {
    fn publish(&self, state: &DesktopState) {
        self.0.send_replace(Some(state.clone()));
    }
    fn bring_to_front(&self) {}
    fn set_autostart(&self, _on: bool) -> Result<(), String> {
        Ok(())
    }
}

fn pct(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort_unstable();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(label: &str, v: &[Duration]) {
    println!("  {label:<64} p50 {:>8.2} ms   p99 {:>8.2} ms   (n = {})", ms(pct(v, 0.5)), ms(pct(v, 0.99)), v.len());
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,herald_notify=error".into()))
        .with_writer(std::io::stderr)
        .try_init();
    let tmp = tempfile::Builder::new().prefix("herald-notify-bench-").tempdir()?;

    eprintln!("starting Xvfb, a session bus, openbox and xfce4-notifyd…");
    let mut desktop = DesktopSession::start().await?;
    let result = run(&args, &desktop, tmp.path()).await;
    if result.is_err() {
        eprintln!("desktop logs kept in {}", desktop.keep().display());
    }
    result
}

async fn run(args: &Args, desktop: &DesktopSession, tmp: &std::path::Path) -> Result<()> {
    let bus = start_monitor(desktop.dbus_address())?;

    let exe = match &args.workspace_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("herald-workspace"),
    };
    let (_workspace, url) = spawn_workspace(&exe, tmp).await?;
    let admin = Client::new(&url, Some(ADMIN_TOKEN))?;

    // One agent, Available, alone in one queue.
    let agent = admin.create_agent("Bench Agent", Role::Agent).await?;
    let token = admin.issue_token(agent.id).await?.token;
    let me = admin.with_token(&token);
    let ws = admin
        .create_workstream(&WorkstreamInput {
            name: "Bench".into(),
            mode: RoutingMode::LeastBusy,
            allowed_presences: vec![BasePresence::Available],
        })
        .await?;
    let queue = admin.create_queue(&QueueInput { name: "Bench".into(), workstream: ws.id, members: vec![agent.id] }).await?.id;
    me.set_presence(Presence { base: BasePresence::Available, custom: None }).await?;

    // herald-app in this process, signed in as the agent, toasting on the private bus.
    let data = tmp.join("app");
    std::fs::create_dir_all(&data)?;
    let settings =
        DesktopSettings { workspace_url: url.clone(), notifications: NotificationMode::Always, sound: false, ..Default::default() };
    herald_app::settings::save(&herald_app::settings::file_in(&data), &settings)?;
    let secrets = Secrets::File(data.join("tokens.json"));
    secrets.set(&url, &token).map_err(|e| anyhow!("token: {e}"))?;
    let (notifier, actions) = LinuxNotifier::connect_to(desktop.bus().await?, "Herald").await?;
    let server = herald_notify::Notifier::capabilities(&notifier).server.unwrap_or_else(|| "unknown server".into());
    let host = Arc::new(BenchHost(tokio::sync::watch::channel(None).0));
    let mut state = host.0.subscribe();
    let _app = App::start(
        Options { data_dir: data.clone(), icon: None, secrets: Some(secrets), demo_rate: None },
        host.clone(),
        Ok((Arc::new(notifier), actions)),
    )
    .await;
    let live = state.wait_for(|s| s.as_ref().is_some_and(|s| s.connection.status == ConnectionStatus::Live && s.me.is_some()));
    tokio::time::timeout(WAIT, live).await.context("the app does not go live")??;
    let deadline = Instant::now() + WAIT;
    while !admin.team().await?.iter().any(|a| a.id == agent.id && a.connected) {
        ensure!(Instant::now() < deadline, "the workspace does not see the app connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The floor's own bus connection: a bare zbus proxy to the same daemon.
    let floor_bus = desktop.bus().await?;
    let floor_name = floor_bus.unique_name().map(|n| n.to_string()).unwrap_or_default();
    let floor_proxy: zbus::Proxy<'static> = zbus::proxy::Builder::new(&floor_bus)
        .destination(NOTIFICATIONS)?
        .path("/org/freedesktop/Notifications")?
        .interface(NOTIFICATIONS)?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await?;

    let gap = Duration::from_millis(args.gap_ms);
    let total = args.warmup + args.conversations;
    let (mut chain, mut chain_reply) = (Vec::new(), Vec::new());
    let (mut posts, mut notifies, mut floor, mut floor_call) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    eprintln!("{total} conversations ({} warm-up), one at a time…", args.warmup);
    for i in 0..total {
        let measured = i >= args.warmup;
        // A unique, fixed-width name: no name is a prefix of another.
        let name = format!("Ada nb{i:05}x");
        tokio::time::sleep(gap).await;
        let request = NewConversation {
            scenario: Scenario::Chat,
            channel: None,
            queue,
            customer_name: name.clone(),
            phone: None,
            context: Default::default(),
            target_agent: None,
        };
        let t0 = Instant::now();
        admin.new_conversation(&request).await?;
        let what = format!("the app's Notify about {name}");
        let toast = bus
            .wait(&what, |seen| seen.iter().find(|s| s.sender != floor_name && s.text.contains(&name) && s.reply_at.is_some()).cloned())
            .await?;
        if measured {
            chain.push(toast.call_at.saturating_duration_since(t0));
            chain_reply.push(toast.reply_at.unwrap_or(toast.call_at).saturating_duration_since(t0));
        }

        // Free the agent: accept and close, then wait until the app has withdrawn the toast.
        let offer = me.me().await?.offers.into_iter().find(|o| o.customer.name == name).with_context(|| format!("no offer for {name}"))?;
        let session = me.accept(offer.id).await?;
        me.close_session(session.id).await?;
        let id = toast.id;
        bus.wait(&format!("CloseNotification of toast {id}"), |seen| seen.iter().find(|s| s.id == id && s.close_at.is_some()).map(|_| ()))
            .await?;

        // The floor, after the same pause.
        for k in 0..args.floor_per {
            tokio::time::sleep(gap).await;
            let t = Instant::now();
            admin.create_contact(&ContactInput { name: format!("Floor contact {i}-{k}"), mobile_phone: None }).await?;
            let post = t.elapsed();
            let a = &toast.args;
            let t = Instant::now();
            let floor_id: u32 = floor_proxy.call("Notify", &(&a.0, 0u32, &a.2, &a.3, &a.4, &a.5, &a.6, a.7)).await?;
            let notify = t.elapsed();
            let what = format!("the floor's Notify {floor_id}");
            let seen =
                bus.wait(&what, |seen| seen.iter().rev().find(|s| s.sender == floor_name && s.id == floor_id).map(|s| s.call_at)).await?;
            floor_proxy.call::<_, _, ()>("CloseNotification", &(floor_id,)).await?;
            if measured {
                posts.push(post);
                notifies.push(notify);
                floor.push(post + notify);
                floor_call.push(post + seen.saturating_duration_since(t));
            }
        }
        if (i + 1) % 50 == 0 {
            eprintln!("  {} / {total}", i + 1);
        }
    }

    let (c50, c99, r50, r99) = (pct(&chain, 0.5), pct(&chain, 0.99), pct(&chain_reply, 0.5), pct(&chain_reply, 0.99));
    let (f50, f99, g50, g99) = (pct(&floor, 0.5), pct(&floor, 0.99), pct(&floor_call, 0.5), pct(&floor_call, 0.99));
    println!(
        "\nHerald notification chain — {} conversations one at a time ({} warm-up not counted), {} ms pause before each",
        args.conversations, args.warmup, args.gap_ms
    );
    println!("herald-app in this process, notifications Always, on {server} (Xvfb, private session bus)");
    println!("floor, measured in the same run between the conversations:");
    line("POST /v1/admin/contacts (loopback HTTP + one commit, WAL NORMAL)", &posts);
    line("raw Notify round trip (zbus, the app's arguments, same daemon)", &notifies);
    line("floor = one POST + one Notify round trip, per pair", &floor);
    line("floor to the call = one POST + Notify sent → seen on the bus", &floor_call);
    println!("chain:");
    line("POST /v1/conversations sent → app's Notify call on the bus", &chain);
    line("POST /v1/conversations sent → daemon's reply (toast id)", &chain_reply);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!();
    println!("chain to the Notify call / floor:          p50 {:.2}×, p99 {:.2}×", ratio(c50, f50), ratio(c99, f99));
    println!("chain to the Notify call / floor to call:  p50 {:.2}×, p99 {:.2}×", ratio(c50, g50), ratio(c99, g99));
    println!("chain to the daemon's reply / floor:       p50 {:.2}×, p99 {:.2}×", ratio(r50, f50), ratio(r99, f99));
    Ok(())
}
