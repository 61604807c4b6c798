//! The cluster benchmark (issue 12): several workspace instances on one PostgreSQL, each its own
//! process, PostgreSQL its own (started here from Debian's package, on a temp dir).
//!
//! 1. **Routing**: `herald-bench` (another process) drives one instance on SQLite, one on
//!    PostgreSQL, then a follower of `--instances` on PostgreSQL (every request forwarded to the
//!    leader); each run prints its figures, so the cost of PostgreSQL and of forwarding read as
//!    ratios of the three.
//! 2. **Failover**: `--kills` times, kill -9 the leader and time until another instance says it
//!    leads (`/healthz`) and until a conversation POSTed to a surviving instance is acknowledged;
//!    the killed instance is started again each time. Each figure is printed with its ratio to
//!    the lead poll interval (how often a follower tries the lock) — the floor of a takeover.
//!
//! Run with `scripts/bench.sh --only cluster` (release build).

use clap::Parser;
use herald_client::Client;
use herald_e2e::postgres::PgServer;
use herald_e2e::{ADMIN_TOKEN, spawn_instance};
use herald_protocol::*;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// Instances in the cluster.
    #[arg(long, default_value_t = 3)]
    instances: usize,
    /// Leaders killed in the failover part.
    #[arg(long, default_value_t = 5)]
    kills: usize,
    /// Arguments for herald-bench's routing runs (skipped when empty).
    #[arg(long, default_value = "--agents 200 --rates 50,100,200,400 --step-secs 4")]
    routing: String,
    /// Arguments for a herald-bench run whose agents' streams are spread over every instance
    /// (each holds its share; skipped when empty), e.g. "--agents 10000 --rates 100,200".
    #[arg(long, default_value = "")]
    spread: String,
}

async fn health(url: &str) -> Option<Health> {
    Client::new(url, None).ok()?.health().await.ok()
}

/// Polls until one of `urls` leads with an epoch above `after`: (index, epoch).
async fn leader(urls: &[String], after: u64) -> anyhow::Result<(usize, u64)> {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        for (i, u) in urls.iter().enumerate() {
            if let Some(h) = health(u).await
                && h.role == "leader"
                && h.epoch.unwrap_or(0) > after
            {
                return Ok((i, h.epoch.unwrap_or(0)));
            }
        }
        anyhow::ensure!(Instant::now() < until, "no instance took the lead within 30 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn cluster(db: &str, n: usize) -> Vec<(tokio::process::Child, String)> {
    let mut nodes = Vec::new();
    for _ in 0..n {
        let (c, port) = spawn_instance(db, "127.0.0.1:0", &[]).await;
        nodes.push((c, format!("http://127.0.0.1:{port}")));
    }
    nodes
}

/// herald-bench against `url` (None: it starts its own instance on SQLite).
fn routing_run(label: &str, url: Option<&str>, pid: Option<u32>, args: &str) -> anyhow::Result<()> {
    routing_run_with(label, url, pid, args, &[])
}

/// [`routing_run`] with more herald-bench arguments.
fn routing_run_with(label: &str, url: Option<&str>, pid: Option<u32>, args: &str, more: &[String]) -> anyhow::Result<()> {
    let bench = std::env::current_exe()?.with_file_name("herald-bench");
    println!("\n=== routing: {label} ===");
    let mut cmd = std::process::Command::new(bench);
    if let Some(url) = url {
        cmd.args(["--url", url, "--admin-token", ADMIN_TOKEN]);
    }
    cmd.args(args.split_whitespace());
    cmd.args(more);
    if let Some(pid) = pid {
        cmd.args(["--server-pid", &pid.to_string()]);
    }
    let status = cmd.status()?;
    anyhow::ensure!(status.success(), "herald-bench failed ({status})");
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let pg = PgServer::start();
    println!("PostgreSQL on 127.0.0.1:{} (temp dir, default durability: fsync on commit)", pg.port());

    if !args.routing.trim().is_empty() {
        let db = pg.create_database();
        let mut one = cluster(&db, 1).await;
        leader(&[one[0].1.clone()], 0).await?;
        routing_run("one instance on SQLite (the embedded default), direct", None, None, &args.routing)?;
        routing_run("one instance on PostgreSQL, direct", Some(&one[0].1), one[0].0.id(), &args.routing)?;
        one[0].0.start_kill()?;

        let db = pg.create_database();
        let mut nodes = cluster(&db, args.instances).await;
        let urls: Vec<String> = nodes.iter().map(|n| n.1.clone()).collect();
        let (lead, _) = leader(&urls, 0).await?;
        let follower = (lead + 1) % nodes.len();
        routing_run(
            &format!("through a follower of {} (forwarded to the leader)", args.instances),
            Some(&urls[follower]),
            nodes[lead].0.id(),
            &args.routing,
        )?;
        for n in &mut nodes {
            n.0.start_kill()?;
        }
    }

    if !args.spread.trim().is_empty() {
        let db = pg.create_database();
        let mut nodes = cluster(&db, args.instances).await;
        let urls: Vec<String> = nodes.iter().map(|n| n.1.clone()).collect();
        let (lead, _) = leader(&urls, 0).await?;
        let follower = (lead + 1) % nodes.len();
        let others: Vec<String> =
            nodes.iter().enumerate().filter(|(i, _)| *i != lead).filter_map(|(_, n)| n.0.id()).map(|p| p.to_string()).collect();
        routing_run_with(
            &format!(
                "agents' streams spread over all {} instances (each holds its share), conversations through a follower",
                args.instances
            ),
            Some(&urls[follower]),
            nodes[lead].0.id(),
            &args.spread,
            &[format!("--agent-urls={}", urls.join(",")), format!("--other-pids={}", others.join(","))],
        )?;
        for n in &mut nodes {
            n.0.start_kill()?;
        }
    }

    println!("\n=== failover: kill -9 the leader of {}, {} times ===", args.instances, args.kills);
    let db = pg.create_database();
    let mut nodes = cluster(&db, args.instances).await;
    let urls: Vec<String> = nodes.iter().map(|n| n.1.clone()).collect();
    let admin = Client::new(&urls.join(","), Some(ADMIN_TOKEN))?;
    let (mut lead, mut epoch) = leader(&urls, 0).await?;
    let ws = admin
        .create_workstream(&WorkstreamInput {
            name: "Bench".into(),
            mode: RoutingMode::LeastBusy,
            allowed_presences: vec![BasePresence::Available],
        })
        .await?;
    let queue = admin.create_queue(&QueueInput { name: "Bench".into(), workstream: ws.id, members: Vec::new() }).await?;
    let conversation = NewConversation {
        scenario: Scenario::Chat,
        channel: None,
        queue: queue.id,
        customer_name: "Bench".into(),
        phone: None,
        context: Default::default(),
        target_agent: None,
    };
    let poll = herald_workspace::cluster::POLL;
    let (mut leads, mut serves) = (Vec::new(), Vec::new());
    for k in 0..args.kills {
        let killed = Instant::now();
        nodes[lead].0.start_kill()?;
        nodes[lead].0.wait().await?;
        let (next, e) = leader(&urls, epoch).await?;
        let led = killed.elapsed();
        // A conversation through a surviving instance that is not the new leader (forwarded).
        let via = (0..urls.len()).find(|i| *i != lead && *i != next).unwrap_or(next);
        let through = Client::new(&urls[via], Some(ADMIN_TOKEN))?;
        let until = Instant::now() + Duration::from_secs(30);
        while through.new_conversation(&conversation).await.is_err() {
            anyhow::ensure!(Instant::now() < until, "no conversation acknowledged within 30 s of the kill");
        }
        let served = killed.elapsed();
        println!(
            "kill {}: epoch {epoch} → {e}; new leader after {:.0} ms ({:.1}× the {} ms lead poll), first acknowledged conversation after {:.0} ms ({:.1}×)",
            k + 1,
            ms(led),
            led.as_secs_f64() / poll.as_secs_f64(),
            poll.as_millis(),
            ms(served),
            served.as_secs_f64() / poll.as_secs_f64()
        );
        leads.push(led);
        serves.push(served);
        // Back to full strength: the killed instance starts again (as a follower), on its port.
        let listen = urls[lead].trim_start_matches("http://").to_string();
        let (c, _) = spawn_instance(&db, &listen, &[]).await;
        nodes[lead].0 = c;
        (lead, epoch) = (next, e);
    }
    leads.sort();
    serves.sort();
    let (l50, lmax) = (leads[leads.len() / 2], leads[leads.len() - 1]);
    let (s50, smax) = (serves[serves.len() / 2], serves[serves.len() - 1]);
    println!(
        "\nfailover over {} kills: new leader p50 {:.0} ms / max {:.0} ms; first acknowledged input p50 {:.0} ms / max {:.0} ms (goal ≤ 5,000 ms: {})",
        args.kills,
        ms(l50),
        ms(lmax),
        ms(s50),
        ms(smax),
        if smax <= Duration::from_secs(5) { "met" } else { "NOT met" }
    );
    for n in &mut nodes {
        let _ = n.0.start_kill();
    }
    Ok(())
}
