//! Resync and retention (issue 11, items 5 and 10): a client whose position the event log cannot
//! resume from — the log was restored from an older backup and ends before it, or its entries
//! were pruned — is told so (`event: resync` on SSE, `resync` in a poll's page), and goes on with
//! the entries the log holds; pruning keeps the sequence numbers going.

use futures_util::StreamExt;
use herald_app::secrets::Secrets;
use herald_app::view::{ConnectionStatus, DesktopSettings, DesktopState, NotificationMode};
use herald_app::{App, Host, Options};
use herald_client::{SubscribeOptions, SubscriptionItem};
use herald_e2e::*;
use herald_notify::{Capabilities, Recorder};
use herald_protocol::*;
use herald_workspace::retention::{self, Retention};
use std::sync::Arc;
use std::time::Duration;

fn quick() -> SubscribeOptions {
    SubscribeOptions { initial_backoff: Duration::from_millis(50), max_backoff: Duration::from_millis(500), ..SubscribeOptions::default() }
}

/// `n` entries in the agent's log (presence changes); returns the log's last seq.
async fn churn(p: &Person, n: usize) -> u64 {
    for i in 0..n {
        let base = if i % 2 == 0 { BasePresence::Busy } else { BasePresence::Available };
        p.client.set_presence(Presence { base, custom: None }).await.unwrap();
    }
    p.client.me().await.unwrap().last_seq
}

/// The next item of `sub`, failing after [`WAIT`].
async fn item(sub: &mut herald_client::Subscription) -> SubscriptionItem {
    within(sub.next_item()).await.expect("subscription ended")
}

/// Entries until `last`, which must follow one another from `from`.
async fn entries_until(sub: &mut herald_client::Subscription, from: u64, last: u64) {
    for want in from..=last {
        match item(sub).await {
            SubscriptionItem::Entry(e) => assert_eq!(e.seq, want, "the entries follow the resync in order"),
            other => panic!("expected entry {want}, got {other:?}"),
        }
    }
}

/// Prunes the workspace's database directly, as the background task does, with `policy`.
async fn prune(ws: &TestWorkspace, policy: Retention) -> u64 {
    let store = herald_workspace::store::Store::open(ws.database_url()).await.unwrap();
    retention::prune(&store, &policy, herald_workspace::engine::now().0).await.unwrap()
}

/// The database files of a stopped workspace (a child process killed with SIGKILL), on SQLite.
const FILES: [&str; 2] = ["workspace.db", "workspace.db-wal"];

/// A copy of a stopped workspace's database: SQLite's files, or a PostgreSQL database made from
/// it as a template.
enum Backup {
    Files(tempfile::TempDir),
    Database(String),
}

/// Stops the workspace, copies its database aside, and starts it again.
async fn backup(ws: &mut TestWorkspace) -> Backup {
    ws.kill().await;
    let backup = if let Some(pg) = ws.postgres() {
        let copy = format!("{}_backup", herald_e2e::postgres::database_name(ws.database_url()));
        pg.copy_database(herald_e2e::postgres::database_name(ws.database_url()), &copy);
        Backup::Database(copy)
    } else {
        let backup = tempfile::tempdir().unwrap();
        for f in FILES {
            let from = ws.dir.path().join(f);
            if from.exists() {
                std::fs::copy(&from, backup.path().join(f)).unwrap();
            }
        }
        Backup::Files(backup)
    };
    ws.restart().await;
    backup
}

/// Stops the workspace, puts the backup's database in place of its own, and starts it again.
async fn restore(ws: &mut TestWorkspace, backup: &Backup) {
    ws.kill().await;
    match backup {
        Backup::Database(copy) => {
            let pg = ws.postgres().expect("a PostgreSQL backup of a PostgreSQL workspace");
            pg.replace_database(herald_e2e::postgres::database_name(ws.database_url()), copy);
        }
        Backup::Files(backup) => {
            for f in FILES.iter().chain(&["workspace.db-shm"]) {
                let _ = std::fs::remove_file(ws.dir.path().join(f));
            }
            for f in FILES {
                let from = backup.path().join(f);
                if from.exists() {
                    std::fs::copy(&from, ws.dir.path().join(f)).unwrap();
                }
            }
        }
    }
    ws.restart().await;
}

/// Everything older than now goes, but the newest `keep` of each agent.
fn keep_only(keep: u64) -> Retention {
    Retention { window: Duration::ZERO, keep_per_agent: keep, every: Duration::from_secs(3600) }
}

#[tokio::test]
async fn sse_resuming_ahead_of_a_restored_log_gets_resync_and_then_the_entries() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let last = churn(a, 4).await;
    // The app had seen up to last + 100 before the workspace was restored from a backup.
    let mut sub = a.client.subscribe(last + 100, SubscribeOptions::default());
    assert_eq!(item(&mut sub).await, SubscriptionItem::Resync(Resync { after: last + 100, first_seq: 1, last_seq: last }));
    assert_eq!(sub.last_seq(), 0, "the position moved to before the retained entries");
    entries_until(&mut sub, 1, last).await;
    // And it goes on live.
    let next = churn(a, 1).await;
    assert_eq!(next, last + 1, "numbers continue from the log");
    entries_until(&mut sub, next, next).await;

    // On the wire: a named `resync` event whose id is just before the entries that follow.
    let res = reqwest::Client::new()
        .get(format!("{}/v1/events", ws.url))
        .bearer_auth(&a.token)
        .header("last-event-id", (last + 100).to_string())
        .send()
        .await
        .unwrap();
    let mut body = res.bytes_stream();
    let mut seen = String::new();
    within(async {
        while !seen.contains("event: agent_event") {
            seen.push_str(&String::from_utf8_lossy(&body.next().await.unwrap().unwrap()));
        }
    })
    .await;
    let resync = seen.find("event: resync").unwrap_or_else(|| panic!("no resync event in {seen}"));
    assert!(resync < seen.find("event: agent_event").unwrap(), "resync comes first: {seen}");
    assert!(seen.contains("id: 0\n"), "{seen}");
    assert!(seen.contains(&format!("\"after\":{}", last + 100)), "{seen}");
}

#[tokio::test]
async fn a_poll_ahead_of_the_log_is_answered_with_resync_and_the_entries() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let last = churn(a, 3).await;
    let page = a.client.poll(last + 50, Duration::from_secs(5)).await.unwrap();
    assert_eq!(page.resync, Some(Resync { after: last + 50, first_seq: 1, last_seq: last }));
    assert_eq!(page.events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=last).collect::<Vec<_>>(), "from the start of the log");
    assert_eq!(page.last_seq, last);
    // A position the log can resume from is not a resync.
    let page = a.client.poll(last - 1, Duration::ZERO).await.unwrap();
    assert_eq!((page.resync, page.events.len()), (None, 1));
    let (status, body) = a.client.raw(reqwest::Method::GET, &format!("/v1/events/poll?after={last}"), None).await.unwrap();
    assert_eq!(status, 200);
    assert!(!body.contains("resync"), "no field when there is nothing to say: {body}");
}

#[tokio::test]
async fn after_pruning_a_client_from_before_the_window_is_told_to_resync() {
    let mut ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let last = churn(a, 8).await;
    assert!(prune(&ws, keep_only(3)).await > 0, "something old went");
    let first = last - 2;

    // Polling from before what is kept.
    let page = a.client.poll(2, Duration::ZERO).await.unwrap();
    assert_eq!(page.resync, Some(Resync { after: 2, first_seq: first, last_seq: last }));
    assert_eq!(page.events.iter().map(|e| e.seq).collect::<Vec<_>>(), (first..=last).collect::<Vec<_>>());
    // Streaming from before what is kept (also from 0: the start is gone too).
    for from in [2, 0] {
        let mut sub = a.client.subscribe(from, SubscribeOptions::default());
        assert_eq!(item(&mut sub).await, SubscriptionItem::Resync(Resync { after: from, first_seq: first, last_seq: last }));
        entries_until(&mut sub, first, last).await;
    }
    // A client within what is kept resumes as before.
    let mut sub = a.client.subscribe(first, SubscribeOptions::default());
    entries_until(&mut sub, first + 1, last).await;

    // Pruning never takes an agent's last entry, so numbers are not handed out again, also
    // after a restart (the next number comes from the largest stored one).
    prune(&ws, keep_only(1)).await;
    assert_eq!(a.client.poll(0, Duration::ZERO).await.unwrap().events.iter().map(|e| e.seq).collect::<Vec<_>>(), [last]);
    ws.restart().await;
    assert_eq!(a.client.me().await.unwrap().last_seq, last);
    assert_eq!(churn(a, 1).await, last + 1);
    let page = a.client.poll(0, Duration::ZERO).await.unwrap();
    assert_eq!(page.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [last, last + 1]);
    ws.stop().await;
}

#[tokio::test]
async fn retention_keeps_the_window_and_the_newest_entries() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let last = churn(a, 5).await;
    assert_eq!(prune(&ws, Retention::default()).await, 0, "a week's window keeps everything new");
    assert_eq!(prune(&ws, keep_only(last + 10)).await, 0, "fewer entries than kept per agent");
    assert_eq!(a.client.poll(0, Duration::ZERO).await.unwrap().resync, None);
}

/// The real thing: the database is restored from a backup while an app's subscription is open.
/// The subscription reconnects with its Last-Event-ID, which is ahead of the restored log.
#[tokio::test]
async fn a_live_subscription_is_told_to_resync_after_a_restore_from_an_older_backup() {
    let mut ws = TestWorkspace::spawn_process().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let at_backup = churn(a, 2).await;
    let saved = backup(&mut ws).await;
    let mut sub = a.client.subscribe(at_backup, quick());
    let ahead = churn(a, 6).await;
    entries_until(&mut sub, at_backup + 1, ahead).await;

    restore(&mut ws, &saved).await;
    let restored = a.client.me().await.unwrap().last_seq;
    assert!(restored < ahead, "the restored log is behind the app: {restored} < {ahead}");
    match item(&mut sub).await {
        SubscriptionItem::Resync(r) => assert!(r.after == ahead && r.first_seq == 1 && r.last_seq < ahead, "{r:?}"),
        other => panic!("expected a resync, got {other:?}"),
    }
    // What happens after the restore reaches the app, though its numbers are below `ahead`.
    let next = churn(a, 1).await;
    within(async {
        loop {
            if let SubscriptionItem::Entry(e) = item(&mut sub).await {
                if e.seq == next {
                    return;
                }
            }
        }
    })
    .await;
    ws.stop().await;
}

/// The desktop app's window, as published.
#[derive(Debug)]
struct TestHost(tokio::sync::watch::Sender<Option<DesktopState>>);

impl Host for TestHost {
    fn publish(&self, state: &DesktopState) {
        self.0.send_replace(Some(state.clone()));
    }
    fn bring_to_front(&self) {}
    fn set_autostart(&self, _: bool) -> Result<(), String> {
        Ok(())
    }
}

impl TestHost {
    async fn wait(&self, what: &str, pred: impl Fn(&DesktopState) -> bool) -> DesktopState {
        let mut rx = self.0.subscribe();
        match tokio::time::timeout(WAIT, rx.wait_for(|s| s.as_ref().is_some_and(&pred))).await {
            Ok(Ok(s)) => s.clone().expect("state"),
            _ => panic!("timed out waiting for {what}; last state: {:#?}", self.0.borrow()),
        }
    }
}

/// The desktop app across a restore from an older backup: the resync reloads its view — the
/// offer the restored workspace never made goes, toast and all — and what happens afterwards
/// reaches it and toasts, though the restored workspace numbers it below what the app had seen.
#[tokio::test]
async fn the_app_reloads_its_state_after_a_restore_and_goes_on() {
    let mut ws = TestWorkspace::spawn_process().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let saved = backup(&mut ws).await;

    let dir = tempfile::tempdir().unwrap();
    let settings = DesktopSettings { workspace_url: ws.url.clone(), notifications: NotificationMode::Always, ..Default::default() };
    herald_app::settings::save(&herald_app::settings::file_in(dir.path()), &settings).unwrap();
    let secrets = Secrets::File(dir.path().join("tokens.json"));
    secrets.set(&ws.url, &a.token).unwrap();
    let host = Arc::new(TestHost(tokio::sync::watch::channel(None).0));
    let (toasts, actions) = Recorder::new(Capabilities { actions: true, ..Default::default() });
    let options = Options { data_dir: dir.path().to_path_buf(), icon: None, secrets: Some(secrets), demo_rate: None };
    let _app = App::start(options, host.clone(), Ok((Arc::new(toasts.clone()), actions))).await;
    host.wait("the live link", |s| s.connection.status == ConnectionStatus::Live && s.me.is_some()).await;

    ws.request(team.queue, Scenario::Chat, "Lost customer").await;
    let lost = host.wait("the offer", |s| s.offers.len() == 1).await.offers[0].offer.id;
    within(toasts.wait_for(|l| l.shown.len() == 1)).await;

    restore(&mut ws, &saved).await;
    // The app finds the workspace again by its own backoff (full jitter, capped at 10 s), after a
    // restart that can take seconds on a loaded machine: allow for both, not just one WAIT.
    let log = tokio::time::timeout(WAIT * 3, toasts.wait_for(|l| l.withdrawn.contains(&lost.0)))
        .await
        .expect("the app reconnects, resyncs and withdraws the lost offer's toast");
    assert_eq!(log.shown.len(), 1);
    host.wait("the reloaded view", |s| s.connection.status == ConnectionStatus::Live && s.offers.is_empty()).await;

    ws.request(team.queue, Scenario::Chat, "New customer").await;
    let s = host.wait("the new offer", |s| s.offers.len() == 1).await;
    let log = within(toasts.wait_for(|l| l.shown.len() == 2)).await;
    assert_eq!(log.shown[1].key, s.offers[0].offer.id.0, "the new offer toasts (whatever number it got)");
    ws.stop().await;
}
