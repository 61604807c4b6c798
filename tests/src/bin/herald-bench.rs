//! The workspace benchmark: drive a workspace running in its own process (`--url`; without it
//! the `herald-workspace` binary next to this one is started on a SQLite file in a temp dir),
//! subscribe N agents over SSE, drive conversations at increasing rates, and print routed
//! conversations per second and offer latency (ingress POST sent → offer event received by the
//! agent's client) as ratios to a floor measured in the same run: one loopback HTTP round trip
//! (`GET /healthz`) plus one store commit at the workspace's durability setting (SQLite WAL,
//! `synchronous = NORMAL`, in `--store-dir`).
//!
//! Each simulated agent accepts its offer and closes the session at once, so capacity never runs
//! out; a step "holds" when at least 95 % of what was sent was offered, at 95 % of the offered
//! rate, within the step plus a 2-second drain; the run stops at the first step that does not.
//! Run with `scripts/bench.sh` (release build, raised file-descriptor limit).

use clap::Parser;
use futures_util::StreamExt;
use herald_client::{Client, SubscribeOptions};
use herald_protocol::*;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Debug, Parser)]
struct Args {
    /// Agents subscribed over SSE.
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    /// Conversations per second, one step each.
    #[arg(long, value_delimiter = ',', default_value = "25,50,100,200,400,800,1600,3200")]
    rates: Vec<u32>,
    /// Seconds per step.
    #[arg(long, default_value_t = 5)]
    step_secs: u64,
    /// The workspace to drive (started by the caller on an empty database). Without it, the
    /// `herald-workspace` binary next to this one is started.
    #[arg(long)]
    url: Option<String>,
    /// The workspace's seeded admin token.
    #[arg(long, default_value = "bench-admin-token")]
    admin_token: String,
    /// The workspace's process id, to print its memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Spread the agents' streams (and their own requests) over these instances of a cluster,
    /// round robin (comma-separated); default: all on `--url`.
    #[arg(long, value_delimiter = ',')]
    agent_urls: Vec<String>,
    /// Further processes whose memory is printed beside the workspace's (the other instances).
    #[arg(long, value_delimiter = ',')]
    other_pids: Vec<u32>,
    /// Where the floor's store commit is measured (the workspace's file system).
    #[arg(long)]
    store_dir: Option<std::path::PathBuf>,
    /// The workspace's metrics token: with it, each step also prints the workspace's own group
    /// commits in that step (from `GET /metrics`), to tell the store's share of the latency
    /// from the rest.
    #[arg(long)]
    metrics_token: Option<String>,
}

/// The workspace's `herald_store_commit_seconds` histogram: (upper bound s, cumulative count)
/// per bucket, the sum of seconds and the count.
#[derive(Clone, Debug, Default)]
struct Commits {
    buckets: Vec<(f64, u64)>,
    sum: f64,
    count: u64,
}

impl Commits {
    async fn read(http: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<Commits> {
        let text = http.get(format!("{url}/metrics")).bearer_auth(token).send().await?.error_for_status()?.text().await?;
        let mut c = Commits::default();
        for line in text.lines().filter(|l| l.starts_with("herald_store_commit_seconds")) {
            let Some((name, value)) = line.rsplit_once(' ') else { continue };
            let value: f64 = value.parse()?;
            if let Some(le) = name.split("le=\"").nth(1).and_then(|r| r.split('"').next()) {
                c.buckets.push((if le == "+Inf" { f64::INFINITY } else { le.parse()? }, value as u64));
            } else if name.ends_with("_sum") {
                c.sum = value;
            } else if name.ends_with("_count") {
                c.count = value as u64;
            }
        }
        Ok(c)
    }

    /// What was committed between `before` and `self`: (commits, mean, p50 and p99 as the upper
    /// bound of their bucket).
    fn since(&self, before: &Commits) -> (u64, Duration, f64, f64) {
        let count = self.count.saturating_sub(before.count);
        let mean = if count == 0 { Duration::ZERO } else { Duration::from_secs_f64((self.sum - before.sum) / count as f64) };
        let at = |q: f64| {
            let want = (q * count as f64).ceil() as u64;
            self.buckets
                .iter()
                .zip(before.buckets.iter().map(|b| b.1).chain(std::iter::repeat(0)))
                .find(|((_, n), was)| n.saturating_sub(*was) >= want.max(1))
                .map_or(f64::INFINITY, |((le, _), _)| *le)
        };
        (count, mean, at(0.5), at(0.99))
    }
}

/// Starts the `herald-workspace` binary beside this one on a fresh database: (child, url, pid).
async fn spawn_workspace(dir: &std::path::Path, token: &str) -> anyhow::Result<(tokio::process::Child, String, u32)> {
    let exe = std::env::current_exe()?.with_file_name("herald-workspace");
    let db = format!("sqlite://{}", dir.join("bench.db").display());
    let mut child = tokio::process::Command::new(&exe)
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db, "--admin-token", token, "--metrics-token", token])
        .env("RUST_LOG", "warn,herald_workspace=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", exe.display()))?;
    let pid = child.id().unwrap_or(0);
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '(').collect();
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Ok((child, format!("http://{addr}"), pid));
        }
    }
    anyhow::bail!("the workspace exited before listening")
}

/// p50 and p99 of one store commit (one entity, one transaction) at the workspace's settings.
async fn commit_floor(dir: &std::path::Path) -> anyhow::Result<(Duration, Duration)> {
    let store = herald_workspace::store::Store::open(&format!("sqlite://{}", dir.join("floor.db").display())).await?;
    let saves = [herald_core::Saved::Settings(Settings::default())];
    let mut v = Vec::with_capacity(2000);
    for i in 0..2200 {
        let t = Instant::now();
        store.commit(&saves, &[], &[]).await?;
        if i >= 200 {
            v.push(t.elapsed());
        }
    }
    Ok((pct(&mut v, 0.5), pct(&mut v, 0.99)))
}

/// Resident and proportional set size of a process, in MiB.
fn memory_mib(pid: u32) -> Option<(f64, f64)> {
    let kib = |path: String, key: &str| -> Option<f64> {
        let text = std::fs::read_to_string(path).ok()?;
        text.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse::<f64>().ok()
    };
    Some((kib(format!("/proc/{pid}/status"), "VmRSS:")? / 1024.0, kib(format!("/proc/{pid}/smaps_rollup"), "Pss:")? / 1024.0))
}

#[derive(Default)]
struct Shared {
    sent: Mutex<HashMap<String, Instant>>,
    latencies: Mutex<Vec<Duration>>,
    /// POST sent → its answer (the conversation committed), beside the offer's latency.
    acked: Mutex<Vec<Duration>>,
    offers: AtomicU64,
    offered: tokio::sync::Notify,
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort_unstable();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    let http = reqwest::Client::new();
    let tmp = tempfile::tempdir()?;
    let (_child, url, server_pid) = match &args.url {
        Some(u) => (None, u.clone(), args.server_pid),
        None => {
            let (c, u, pid) = spawn_workspace(tmp.path(), &args.admin_token).await?;
            args.metrics_token.get_or_insert_with(|| args.admin_token.clone());
            (Some(c), u, Some(pid))
        }
    };
    let admin = Client::new(&url, Some(&args.admin_token))?;

    // The floor: a loopback HTTP round trip to the same server, through the same client stack,
    // plus one store commit at the same durability setting.
    let anon = Client::new(&url, None)?;
    let up = Instant::now() + Duration::from_secs(30);
    while anon.health().await.is_err() {
        anyhow::ensure!(Instant::now() < up, "the workspace at {url} does not answer /healthz");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for _ in 0..200 {
        anon.health().await?;
    }
    let mut rtt = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let t = Instant::now();
        anon.health().await?;
        rtt.push(t.elapsed());
    }
    let (rtt50, rtt99) = (pct(&mut rtt, 0.5), pct(&mut rtt, 0.99));
    let (commit50, commit99) = commit_floor(args.store_dir.as_deref().unwrap_or(tmp.path())).await?;
    let floor = rtt50 + commit50;

    eprintln!("seeding {} agents…", args.agents);
    let t_seed = Instant::now();
    let ws_def = admin
        .create_workstream(&WorkstreamInput {
            name: "Bench".into(),
            mode: RoutingMode::LeastBusy,
            allowed_presences: vec![BasePresence::Available],
        })
        .await?;
    let people: Vec<(AgentId, Client)> = futures_util::stream::iter(0..args.agents)
        .map(|i| {
            let admin = admin.clone();
            let home = (!args.agent_urls.is_empty()).then(|| args.agent_urls[i % args.agent_urls.len()].clone());
            async move {
                let a = admin.create_agent(&format!("Bench agent {i}"), Role::Agent).await?;
                let t = admin.issue_token(a.id).await?;
                let client = match home {
                    Some(u) => Client::new(&u, Some(&t.token))?,
                    None => admin.with_token(&t.token),
                };
                anyhow::Ok((a.id, client))
            }
        })
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let queue = admin
        .create_queue(&QueueInput { name: "Bench".into(), workstream: ws_def.id, members: people.iter().map(|p| p.0).collect() })
        .await?;
    let mut t = admin.templates().await?.into_iter().find(|t| t.scenario == Scenario::Chat).unwrap();
    t.timeout_secs = TimeoutSecs::parse(120)?;
    admin.put_template(&t).await?;
    let shared = Arc::new(Shared::default());
    let mut tasks = Vec::new();
    for (_, client) in &people {
        client.set_presence(Presence { base: BasePresence::Available, custom: None }).await?;
        let mut sub = client.subscribe(0, SubscribeOptions::default());
        let client = client.clone();
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(e) = sub.next().await {
                if let AgentEvent::OfferCreated(o) = e.event {
                    let sent = shared.sent.lock().unwrap().remove(&o.customer.name);
                    if let Some(t0) = sent {
                        shared.latencies.lock().unwrap().push(t0.elapsed());
                    }
                    shared.offers.fetch_add(1, Ordering::Relaxed);
                    shared.offered.notify_waiters();
                    if let Ok(s) = client.accept(o.id).await {
                        let _ = client.close_session(s.id).await;
                    }
                }
            }
        }));
    }
    // Every agent's stream is connected before traffic starts.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut connected = 0;
    while Instant::now() < deadline {
        connected = admin.team().await?.iter().filter(|r| r.connected).count();
        if connected >= args.agents {
            break;
        }
        tokio::task::yield_now().await;
    }
    eprintln!("{connected} agents subscribed over SSE in {:.1} s", t_seed.elapsed().as_secs_f64());
    anyhow::ensure!(connected == args.agents, "only {connected} of {} agents connected", args.agents);

    println!("\nHerald workspace benchmark — {} agents on SSE, SQLite (WAL), release build", args.agents);
    println!("loopback HTTP round trip (GET /healthz): p50 {:.3} ms, p99 {:.3} ms", ms(rtt50), ms(rtt99));
    println!("store commit (one entity, WAL, synchronous=NORMAL): p50 {:.3} ms, p99 {:.3} ms", ms(commit50), ms(commit99));
    println!("floor = round trip p50 + commit p50 = {:.3} ms", ms(floor));
    if let Some((rss, pss)) = server_pid.and_then(memory_mib) {
        println!("workspace process: RSS {rss:.1} MiB, PSS {pss:.1} MiB (after seeding and subscribing)");
    }
    for pid in &args.other_pids {
        if let Some((rss, pss)) = memory_mib(*pid) {
            println!("other instance {pid}: RSS {rss:.1} MiB, PSS {pss:.1} MiB (after seeding and subscribing)");
        }
    }
    println!(
        "\n{:>10} {:>10} {:>10} {:>12} {:>12} {:>12} {:>12} {:>14}",
        "offered/s", "sent", "routed/s", "p50 ms", "p99 ms", "p50/floor", "p99/floor", "acked p50/p99"
    );
    let mut rows = Vec::new();
    let mut sustained = 0.0f64;
    let mut n = 0u64;
    let mut best = None;
    let mut commit_rows = Vec::new();
    for rate in &args.rates {
        let commits_before = match &args.metrics_token {
            Some(t) => Some(Commits::read(&http, &url, t).await?),
            None => None,
        };
        let before = shared.offers.load(Ordering::Relaxed);
        shared.latencies.lock().unwrap().clear();
        shared.acked.lock().unwrap().clear();
        let step = Duration::from_secs(args.step_secs);
        let start = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(*rate)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut sent = 0u64;
        let mut posts = Vec::new();
        while start.elapsed() < step {
            tick.tick().await;
            n += 1;
            sent += 1;
            let name = format!("bench-{n}");
            let t0 = Instant::now();
            shared.sent.lock().unwrap().insert(name.clone(), t0);
            let admin = admin.clone();
            let queue = queue.id;
            let shared = shared.clone();
            posts.push(tokio::spawn(async move {
                let answer = admin
                    .new_conversation(&NewConversation {
                        scenario: Scenario::Chat,
                        channel: None,
                        queue,
                        customer_name: name,
                        phone: None,
                        context: Default::default(),
                        target_agent: None,
                    })
                    .await;
                shared.acked.lock().unwrap().push(t0.elapsed());
                answer
            }));
        }
        let sending = start.elapsed();
        for p in posts {
            p.await??;
        }
        // Drain: wait (bounded) until everything sent was offered.
        let drain_until = Instant::now() + Duration::from_secs(2);
        while shared.offers.load(Ordering::Relaxed) - before < sent {
            let wake = shared.offered.notified();
            if shared.offers.load(Ordering::Relaxed) - before >= sent {
                break;
            }
            if tokio::time::timeout_at(drain_until.into(), wake).await.is_err() {
                break;
            }
        }
        let routed = shared.offers.load(Ordering::Relaxed) - before;
        let elapsed = start.elapsed().max(sending);
        let routed_per_s = routed as f64 / elapsed.as_secs_f64();
        let mut lat = shared.latencies.lock().unwrap().clone();
        let (p50, p99) = (pct(&mut lat, 0.5), pct(&mut lat, 0.99));
        let mut acked = shared.acked.lock().unwrap().clone();
        println!(
            "{:>10} {:>10} {:>10.0} {:>12.2} {:>12.2} {:>12.1} {:>12.1} {:>14}",
            rate,
            sent,
            routed_per_s,
            ms(p50),
            ms(p99),
            p50.as_secs_f64() / floor.as_secs_f64(),
            p99.as_secs_f64() / floor.as_secs_f64(),
            format!("{:.2}/{:.2}", ms(pct(&mut acked, 0.5)), ms(pct(&mut acked, 0.99)))
        );
        rows.push((*rate, p50, p99));
        if let (Some(t), Some(b)) = (&args.metrics_token, &commits_before) {
            commit_rows.push((*rate, Commits::read(&http, &url, t).await?.since(b)));
        }
        if routed as f64 >= 0.95 * sent as f64 && routed_per_s >= 0.95 * f64::from(*rate) {
            sustained = sustained.max(routed_per_s);
            best = Some((*rate, p50, p99));
        } else {
            break;
        }
    }
    if !commit_rows.is_empty() {
        println!("\nthe workspace's own group commits in each step (GET /metrics; p50/p99: the upper bound of their bucket):");
        println!("{:>10} {:>10} {:>14} {:>12} {:>12}", "offered/s", "commits", "mean ms", "p50 ≤ ms", "p99 ≤ ms");
        for (rate, (count, mean, p50, p99)) in &commit_rows {
            println!("{rate:>10} {count:>10} {:>14.3} {:>12.1} {:>12.1}", ms(*mean), p50 * 1e3, p99 * 1e3);
        }
    }
    println!("\nsustained: {sustained:.0} conversations routed/s (each offered, accepted and closed over HTTP)");
    let at_100 = rows.iter().find(|r| r.0 == 100 && best.is_none_or(|b| b.0 != 100)).copied();
    for (rate, p50, p99) in best.into_iter().chain(at_100) {
        println!(
            "at {rate}/s: offer latency p50 {:.2} ms ({:.1}× the floor), p99 {:.2} ms ({:.1}× the floor)",
            ms(p50),
            p50.as_secs_f64() / floor.as_secs_f64(),
            ms(p99),
            p99.as_secs_f64() / floor.as_secs_f64()
        );
    }
    if let Some((rss, pss)) = server_pid.and_then(memory_mib) {
        println!("workspace process at the end: RSS {rss:.1} MiB, PSS {pss:.1} MiB");
    }
    for t in tasks {
        t.abort();
    }
    Ok(())
}
