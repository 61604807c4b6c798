//! SSE resume, polling parity, and the fall back to polling when a stream cannot be held.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use herald_client::{SubscribeOptions, Transport};
use herald_e2e::*;
use herald_protocol::*;
use std::time::Duration;

async fn make_offers(ws: &TestWorkspace, queue: QueueId, n: usize) {
    for i in 0..n {
        ws.request(queue, Scenario::Chat, &format!("C{i}")).await;
    }
}

#[tokio::test]
async fn sse_resumes_after_a_dropped_connection() {
    let ws = TestWorkspace::start().await;
    ws.template(Scenario::Chat, |t| t.auto_accept = true).await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    make_offers(&ws, team.queue, 3).await;
    let target = a.client.me().await.unwrap().last_seq;
    let mut first = Vec::new();
    while sub.last_seq() < target {
        first.push(within(sub.next()).await.unwrap());
    }
    let resume_at = sub.last_seq();
    drop(sub); // the connection goes away
    make_offers(&ws, team.queue, 3).await; // … while these happen
    let mut sub = a.client.subscribe(resume_at, SubscribeOptions::default());
    let target = a.client.me().await.unwrap().last_seq;
    let mut second = Vec::new();
    while sub.last_seq() < target {
        second.push(within(sub.next()).await.unwrap());
    }
    assert_eq!(second.first().map(|e| e.seq), Some(resume_at + 1), "resumed right after the last one seen");
    let all: Vec<_> = first.into_iter().chain(second).collect();
    // Polling gives the very same entries.
    let polled = a.client.poll(0, Duration::ZERO).await.unwrap();
    assert_eq!(polled.events, all);
    assert_eq!(polled.last_seq, target);
}

#[tokio::test]
async fn poll_waits_for_the_next_entry() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = team.agents[0].clone();
    let after = a.client.me().await.unwrap().last_seq;
    let waiting = tokio::spawn(async move { a.client.poll(after, Duration::from_secs(20)).await.unwrap() });
    // The poll is parked; a request wakes it.
    let item = within(async {
        // Wait until the poll is parked (it marks the agent connected while it waits).
        loop {
            let rows = ws.admin.team().await.unwrap();
            if rows.iter().any(|r| r.id == team.agents[0].id && r.connected) {
                break;
            }
            tokio::task::yield_now().await;
        }
        ws.request(team.queue, Scenario::Chat, "Ada").await
    })
    .await;
    let page = within(waiting).await.unwrap();
    assert!(page.events.iter().any(|e| matches!(&e.event, AgentEvent::OfferCreated(o) if o.work_item == item.id)), "{page:?}");
}

#[tokio::test]
async fn subscription_survives_a_workspace_restart() {
    let mut ws = TestWorkspace::start().await;
    ws.template(Scenario::Chat, |t| t.auto_accept = true).await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let opts = SubscribeOptions {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(300),
        ..SubscribeOptions::default()
    };
    let mut sub = a.subscribe_with(opts).await;
    make_offers(&ws, team.queue, 2).await;
    ws.restart().await;
    make_offers(&ws, team.queue, 2).await;
    let target = a.client.me().await.unwrap().last_seq;
    let mut seqs = Vec::new();
    while sub.last_seq() < target {
        seqs.push(within(sub.next()).await.unwrap().seq);
    }
    assert_eq!(seqs, (1..=target).collect::<Vec<_>>());
}

#[derive(Clone)]
struct Upstream(String, reqwest::Client);

/// A proxy that forwards everything but refuses the event stream (as some corporate proxies do).
async fn forward(State(up): State<Upstream>, req: Request) -> Response {
    if req.uri().path() == "/v1/events" {
        return (axum::http::StatusCode::BAD_GATEWAY, "streams not allowed here").into_response();
    }
    let url = format!("{}{}", up.0, req.uri().path_and_query().map_or("", |p| p.as_str()));
    let mut rb = up.1.request(req.method().clone(), url);
    for (k, v) in req.headers() {
        if k != "host" {
            rb = rb.header(k, v);
        }
    }
    let body = axum::body::to_bytes(req.into_body(), usize::MAX).await.unwrap();
    let res = rb.body(body).send().await.unwrap();
    let status = res.status();
    let bytes = res.bytes().await.unwrap();
    Response::builder().status(status).header("content-type", "application/json").body(Body::from(bytes)).unwrap()
}

#[tokio::test]
async fn falls_back_to_polling_when_the_stream_cannot_be_held() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(forward).with_state(Upstream(ws.url.clone(), reqwest::Client::new()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let via_proxy = herald_client::Client::new(&proxy_url, Some(&a.token)).unwrap();
    let opts = SubscribeOptions {
        initial_backoff: Duration::from_millis(20),
        sse_failures_before_polling: 2,
        poll_wait: Duration::from_secs(5),
        ..SubscribeOptions::default()
    };
    let mut sub = via_proxy.subscribe(0, opts);
    within(sub.wait_for_transport(Transport::Polling)).await;
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let o = next_offer(&mut sub).await;
    assert_eq!(o.work_item, item.id);
    assert_eq!(sub.transport(), Transport::Polling);
}

/// A stream with nothing new to send is open at once: its headers (and a comment) come before
/// any entry or keep-alive (15 s), so a client — the console's board, the app — knows it is live.
#[tokio::test]
async fn a_stream_with_nothing_new_answers_at_once() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let last = a.client.me().await.unwrap().last_seq;
    let http = reqwest::Client::new();
    let open = http.get(format!("{}/v1/events?after={last}", ws.url)).bearer_auth(&a.token).send();
    let mut res = tokio::time::timeout(std::time::Duration::from_secs(5), open).await.expect("headers before the keep-alive").unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let first =
        tokio::time::timeout(std::time::Duration::from_secs(5), res.chunk()).await.expect("a first chunk at once").unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with(':'), "a comment, not an entry: {first:?}");
}
