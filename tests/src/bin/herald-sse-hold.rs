//! Memory benchmark load generator: opens N long-lived `text/event-stream` subscriptions to a
//! server in another process, holds them, and prints the server's memory (RSS and PSS of the
//! given process ids, from /proc) before and after. Two targets:
//!
//! - `herald`: N agents are created through the admin API, each with its own token, and each
//!   holds `GET /v1/events` (SSE) open — one connection per agent;
//! - `nchan`: N subscribers on N channels, `GET /sub/<i>` with `Accept: text/event-stream`
//!   (nginx + nchan's EventSource subscriber), as the reference.
//!
//! The connections are plain TCP (no client library), so the load generator's own cost does
//! not matter and the server sees exactly what an EventSource sends. Run by `scripts/bench.sh`.

use clap::{Parser, ValueEnum};
use futures_util::StreamExt;
use herald_client::Client;
use herald_protocol::Role;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Target {
    Herald,
    Nchan,
}

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_enum)]
    target: Target,
    /// Base URL, e.g. http://127.0.0.1:8790.
    #[arg(long)]
    url: String,
    /// Admin token (herald: to create the agents).
    #[arg(long, default_value = "")]
    admin_token: String,
    /// Subscribers to hold; with several counts (`1000,10000`) memory is measured at each.
    #[arg(long, value_delimiter = ',', default_value = "10000")]
    subscribers: Vec<usize>,
    /// Process ids whose memory is the server's (nginx: master and worker).
    #[arg(long, value_delimiter = ',')]
    pids: Vec<u32>,
    /// Seconds to hold all subscriptions before measuring.
    #[arg(long, default_value_t = 3)]
    settle_secs: u64,
    /// A label printed with the figures.
    #[arg(long, default_value = "")]
    label: String,
}

/// (RSS, PSS) in KiB, summed over `pids`.
fn memory(pids: &[u32]) -> (u64, u64) {
    let field = |text: &str, name: &str| -> u64 {
        text.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    pids.iter().fold((0, 0), |(rss, pss), pid| {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        (rss + field(&status, "VmRSS:"), pss + field(&rollup, "Pss:"))
    })
}

async fn open(addr: &str, host: &str, path: &str, token: Option<&str>) -> anyhow::Result<TcpStream> {
    let mut s = TcpStream::connect(addr).await?;
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n{auth}\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 512];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).await?;
        anyhow::ensure!(n > 0, "closed before the response head");
        head.extend_from_slice(&buf[..n]);
    }
    let status = String::from_utf8_lossy(&head[..head.len().min(12)]).to_string();
    anyhow::ensure!(status.ends_with("200"), "{path}: {}", String::from_utf8_lossy(&head));
    Ok(s)
}

/// Keeps reading (and dropping) whatever the server sends, so its buffers never fill.
fn drain(mut s: TcpStream) {
    tokio::spawn(async move {
        let mut buf = [0u8; 256];
        while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
    });
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let url = url::Url::parse(&args.url)?;
    let host = format!("{}:{}", url.host_str().unwrap_or("127.0.0.1"), url.port_or_known_default().unwrap_or(80));
    let n = args.subscribers.iter().copied().max().unwrap_or(0);

    // Who subscribes: (path, token).
    let subs: Vec<(String, Option<String>)> = match args.target {
        Target::Nchan => (0..n).map(|i| (format!("/sub/{i}"), None)).collect(),
        Target::Herald => {
            let t0 = Instant::now();
            let admin = Client::new(&args.url, Some(&args.admin_token))?;
            let tokens: Vec<anyhow::Result<String>> = futures_util::stream::iter(0..n)
                .map(|i| {
                    let admin = admin.clone();
                    async move {
                        let a = admin.create_agent(&format!("Memory agent {i}"), Role::Agent).await?;
                        Ok(admin.issue_token(a.id).await?.token)
                    }
                })
                .buffer_unordered(16)
                .collect()
                .await;
            eprintln!("created {n} agents with tokens in {:.1} s", t0.elapsed().as_secs_f64());
            tokens.into_iter().map(|t| t.map(|t| ("/v1/events".to_string(), Some(t)))).collect::<anyhow::Result<_>>()?
        }
    };

    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss0, pss0) = memory(&args.pids);
    println!("memory {}: subscribers=0 rss_kib={rss0} pss_kib={pss0}", args.label);
    let mut subs = subs.into_iter();
    let mut held = 0usize;
    let mut steps = args.subscribers.clone();
    steps.sort_unstable();
    for step in steps {
        let t0 = Instant::now();
        let batch: Vec<_> = subs.by_ref().take(step.saturating_sub(held)).collect();
        let conns: Vec<anyhow::Result<TcpStream>> = futures_util::stream::iter(batch)
            .map(|(path, token)| {
                let host = host.clone();
                async move { open(&host, &host, &path, token.as_deref()).await }
            })
            .buffer_unordered(64)
            .collect()
            .await;
        for c in conns {
            drain(c?);
            held += 1;
        }
        let connect_secs = t0.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
        let (rss1, pss1) = memory(&args.pids);
        let per = |a: u64, b: u64| (a.saturating_sub(b) as f64 * 1024.0 / held.max(1) as f64) as u64;
        println!(
            "memory {label}: subscribers={held} rss_kib={rss1} pss_kib={pss1} per_sub_rss_bytes={} per_sub_pss_bytes={} connect_s={connect_secs:.1}",
            per(rss1, rss0),
            per(pss1, pss0),
            label = args.label,
        );
    }
    Ok(())
}
