//! The subscription's task: follows the event log over SSE, reconnecting with backoff, falling
//! back to long polling when the stream cannot be held (see the crate docs).

use crate::{Client, ClientError, SubscribeOptions, Transport};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use herald_protocol::{EventEnvelope, Resync};
use rand::Rng;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// What a [`crate::Subscription`] yields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // nearly every item is an entry: boxing it would only add an allocation
pub enum SubscriptionItem {
    /// The next entry of the log.
    Entry(EventEnvelope),
    /// The log cannot continue after the last entry delivered: its entries were pruned, or the
    /// workspace was restored from an older backup. Reload the state (`GET /v1/me`, whose
    /// `last_seq` says where it stands) and go on: the log's retained entries follow, from
    /// `first_seq` on (skip those at or before the reloaded `last_seq`).
    Resync(Resync),
}

enum Ended {
    /// The stream ended or broke after delivering; reconnect soon.
    Broken,
    /// Could not open it at all.
    Failed,
    Unauthorized,
    /// The receiver is gone.
    Closed,
}

fn backoff(opts: &SubscribeOptions, failures: u32) -> Duration {
    let exp = opts.initial_backoff.saturating_mul(1u32 << failures.min(16));
    let cap = exp.min(opts.max_backoff);
    // Full jitter: anywhere between zero and the capped exponential delay.
    Duration::from_millis(rand::rng().random_range(0..=cap.as_millis() as u64))
}

pub(crate) async fn follow(
    client: Client,
    mut after: u64,
    opts: SubscribeOptions,
    tx: mpsc::Sender<SubscriptionItem>,
    mode: watch::Sender<Transport>,
) {
    let mut failures = 0u32;
    loop {
        let _ = mode.send(Transport::Connecting);
        let (index, ended) = stream_once(&client, &mut after, &opts, &tx, &mode).await;
        if matches!(ended, Ended::Broken | Ended::Failed) {
            // The next attempt goes to the next instance, if there are several: this one may be
            // gone. They share the log, so the position carries over.
            client.rotate_from(index);
        }
        match ended {
            Ended::Closed => return,
            Ended::Unauthorized => {
                let _ = mode.send(Transport::Unauthorized);
                return;
            }
            Ended::Broken => failures = 0,
            Ended::Failed => failures += 1,
        }
        if failures >= opts.sse_failures_before_polling {
            tracing::info!(after, "event stream cannot be held; polling instead");
            let _ = mode.send(Transport::Polling);
            match poll_for(&client, &mut after, &opts, &tx).await {
                Ended::Closed => return,
                Ended::Unauthorized => {
                    let _ = mode.send(Transport::Unauthorized);
                    return;
                }
                Ended::Broken | Ended::Failed => {}
            }
            failures = 0;
        }
        let _ = mode.send(Transport::Backoff);
        tokio::time::sleep(backoff(&opts, failures)).await;
    }
}

/// Delivers `e` unless it was delivered already. `false` when the receiver is gone.
async fn deliver(e: EventEnvelope, after: &mut u64, tx: &mpsc::Sender<SubscriptionItem>) -> bool {
    if e.seq <= *after {
        return true;
    }
    *after = e.seq;
    tx.send(SubscriptionItem::Entry(e)).await.is_ok()
}

/// Passes a resync on and moves the position to just before the entries that follow it.
async fn resync(r: Resync, after: &mut u64, tx: &mpsc::Sender<SubscriptionItem>) -> bool {
    tracing::info!(after = r.after, first = r.first_seq, last = r.last_seq, "the workspace's log cannot resume here: resync");
    *after = r.first_seq.saturating_sub(1);
    tx.send(SubscriptionItem::Resync(r)).await.is_ok()
}

/// One attempt at following the stream, on the URL in use; with that URL's index.
async fn stream_once(
    client: &Client,
    after: &mut u64,
    opts: &SubscribeOptions,
    tx: &mpsc::Sender<SubscriptionItem>,
    mode: &watch::Sender<Transport>,
) -> (usize, Ended) {
    let (index, rb) = match client.request(reqwest::Method::GET, "/v1/events") {
        Ok(r) => r,
        Err(_) => return (client.current_index(), Ended::Failed),
    };
    (index, stream_from(rb, after, opts, tx, mode).await)
}

async fn stream_from(
    rb: reqwest::RequestBuilder,
    after: &mut u64,
    opts: &SubscribeOptions,
    tx: &mpsc::Sender<SubscriptionItem>,
    mode: &watch::Sender<Transport>,
) -> Ended {
    // No overall timeout on a stream: silence is detected by the idle timeout below.
    let rb = rb
        .timeout(Duration::from_secs(60 * 60 * 24 * 365))
        .header("accept", "text/event-stream")
        .header("last-event-id", after.to_string());
    let res = match rb.send().await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, "event stream connect failed");
            return Ended::Failed;
        }
    };
    if res.status() == reqwest::StatusCode::UNAUTHORIZED {
        return Ended::Unauthorized;
    }
    let is_sse = res.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/event-stream"));
    if !res.status().is_success() || !is_sse {
        tracing::debug!(status = %res.status(), "event stream refused");
        return Ended::Failed;
    }
    let _ = mode.send(Transport::Streaming);
    let mut events = res.bytes_stream().eventsource();
    loop {
        let next = match tokio::time::timeout(opts.idle_timeout, events.next()).await {
            Ok(n) => n,
            Err(_) => {
                tracing::debug!("event stream went silent");
                return Ended::Broken;
            }
        };
        match next {
            None => return Ended::Broken,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "event stream broke");
                return Ended::Broken;
            }
            Some(Ok(ev)) if ev.event == "resync" => {
                let Ok(r) = serde_json::from_str::<Resync>(&ev.data) else {
                    tracing::warn!(data = %ev.data, "unreadable resync; skipping");
                    continue;
                };
                if !resync(r, after, tx).await {
                    return Ended::Closed;
                }
            }
            Some(Ok(ev)) => {
                let Ok(env) = serde_json::from_str::<EventEnvelope>(&ev.data) else {
                    tracing::warn!(data = %ev.data, "unreadable event; skipping");
                    continue;
                };
                if !deliver(env, after, tx).await {
                    return Ended::Closed;
                }
            }
        }
    }
}

async fn poll_for(client: &Client, after: &mut u64, opts: &SubscribeOptions, tx: &mpsc::Sender<SubscriptionItem>) -> Ended {
    let until = tokio::time::Instant::now() + opts.polling_period;
    let mut failures = 0u32;
    while tokio::time::Instant::now() < until {
        match client.poll(*after, opts.poll_wait).await {
            Ok(page) => {
                failures = 0;
                if let Some(r) = page.resync {
                    if !resync(r, after, tx).await {
                        return Ended::Closed;
                    }
                }
                for e in page.events {
                    if !deliver(e, after, tx).await {
                        return Ended::Closed;
                    }
                }
            }
            Err(ClientError::Api { status: 401, .. }) => return Ended::Unauthorized,
            Err(e) => {
                tracing::debug!(error = %e, "poll failed");
                failures += 1;
                tokio::time::sleep(backoff(opts, failures)).await;
            }
        }
        if tx.is_closed() {
            return Ended::Closed;
        }
    }
    Ended::Broken
}
