//! The workspace benchmark: start a workspace (SQLite file in a temp dir), subscribe N agents
//! over SSE, drive conversations at increasing rates, and print routed conversations per second
//! and offer latency (ingress POST sent → offer event received by the agent's client) next to a
//! loopback HTTP round trip (`GET /healthz`) measured in the same run.
//!
//! Each simulated agent accepts its offer and closes the session at once, so capacity never runs
//! out; a step "holds" when at least 95 % of what was sent was offered, at 95 % of the offered
//! rate, within the step plus a 2-second drain; the run stops at the first step that does not. Run with `scripts/bench.sh` (release build, raised file-descriptor limit).

use clap::Parser;
use herald_client::{Client, SubscribeOptions};
use herald_e2e::{ADMIN_TOKEN, TestWorkspace};
use herald_protocol::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// Agents subscribed over SSE.
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    /// Conversations per second, one step each.
    #[arg(long, value_delimiter = ',', default_value = "25,50,100,200,400,800")]
    rates: Vec<u32>,
    /// Seconds per step.
    #[arg(long, default_value_t = 5)]
    step_secs: u64,
}

#[derive(Default)]
struct Shared {
    sent: Mutex<HashMap<String, Instant>>,
    latencies: Mutex<Vec<Duration>>,
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
    let args = Args::parse();
    let ws = TestWorkspace::start().await;
    let admin = Client::new(&ws.url, Some(ADMIN_TOKEN))?;

    // Baseline: a loopback HTTP round trip to the same server, through the same client stack.
    let anon = ws.anonymous();
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

    eprintln!("seeding {} agents…", args.agents);
    let t_seed = Instant::now();
    let ws_def = admin
        .create_workstream(&WorkstreamInput {
            name: "Bench".into(),
            mode: RoutingMode::LeastBusy,
            allowed_presences: vec![BasePresence::Available],
        })
        .await?;
    let mut people = Vec::new();
    for i in 0..args.agents {
        let a = admin.create_agent(&format!("Bench agent {i}"), Role::Agent).await?;
        let t = admin.issue_token(a.id).await?;
        people.push((a.id, admin.with_token(&t.token)));
    }
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
    println!("baseline loopback HTTP round trip (GET /healthz): p50 {:.3} ms, p99 {:.3} ms", ms(rtt50), ms(rtt99));
    println!(
        "\n{:>10} {:>10} {:>10} {:>12} {:>12} {:>12} {:>12}",
        "offered/s", "sent", "routed/s", "p50 ms", "p99 ms", "p50/rtt", "p99/rtt"
    );
    let mut sustained = 0.0f64;
    let mut n = 0u64;
    let mut best = None;
    for rate in &args.rates {
        let before = shared.offers.load(Ordering::Relaxed);
        shared.latencies.lock().unwrap().clear();
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
            shared.sent.lock().unwrap().insert(name.clone(), Instant::now());
            let admin = admin.clone();
            let queue = queue.id;
            posts.push(tokio::spawn(async move {
                admin
                    .new_conversation(&NewConversation {
                        scenario: Scenario::Chat,
                        channel: None,
                        queue,
                        customer_name: name,
                        phone: None,
                        context: Default::default(),
                        target_agent: None,
                    })
                    .await
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
        println!(
            "{:>10} {:>10} {:>10.0} {:>12.2} {:>12.2} {:>12.1} {:>12.1}",
            rate,
            sent,
            routed_per_s,
            ms(p50),
            ms(p99),
            p50.as_secs_f64() / rtt50.as_secs_f64(),
            p99.as_secs_f64() / rtt50.as_secs_f64()
        );
        if routed as f64 >= 0.95 * sent as f64 && routed_per_s >= 0.95 * f64::from(*rate) {
            sustained = sustained.max(routed_per_s);
            best = Some((*rate, p50, p99));
        } else {
            break;
        }
    }
    println!("\nsustained: {sustained:.0} conversations routed/s (each offered, accepted and closed over HTTP)");
    if let Some((rate, p50, p99)) = best {
        println!(
            "at {rate}/s: offer latency p50 {:.2} ms ({:.1}× the loopback round trip), p99 {:.2} ms ({:.1}×)",
            ms(p50),
            p50.as_secs_f64() / rtt50.as_secs_f64(),
            ms(p99),
            p99.as_secs_f64() / rtt50.as_secs_f64()
        );
    }
    for t in tasks {
        t.abort();
    }
    ws.stop().await;
    Ok(())
}
