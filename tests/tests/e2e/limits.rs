//! What the workspace allows (issue 11, items 7 and 9): rate limits on the public web chat
//! (chats started per client address, messages per conversation: 429 with `Retry-After`), and
//! connections: a header-read timeout, an idle timeout, a connection limit. Limits are set low
//! here; every wait is bounded by a timeout around the read, never a sleep.

use futures_util::StreamExt;
use herald_e2e::*;
use herald_protocol::*;
use herald_workspace::Rate;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// `POST /webchat/default/conversations`, as if through a proxy that saw `forwarded_for`.
async fn start_chat(ws: &TestWorkspace, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{}/webchat/default/conversations", ws.url))
        .json(&json!({ "name": "Ada", "answers": { "topic": "billing" } }));
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.unwrap()
}

/// A 429's `Retry-After` seconds and error code.
async fn refusal(res: reqwest::Response) -> (u64, ErrorCode) {
    assert_eq!(res.status(), 429);
    let retry = res.headers().get("retry-after").expect("Retry-After on a 429").to_str().unwrap().parse().unwrap();
    (retry, res.json::<ApiError>().await.unwrap().code)
}

#[tokio::test]
async fn a_client_starting_chats_in_a_loop_gets_429_with_retry_after_while_another_address_still_starts_one() {
    let ws = TestWorkspace::start_with(|c| {
        c.limits.trust_forwarded_for = true;
        c.limits.chat_starts = Some(Rate { burst: 3, every: Duration::from_secs(60) });
    })
    .await;
    ws.team(1).await;
    let flooder = "203.0.113.7";
    let mut statuses = Vec::new();
    let mut first_refusal = None;
    for _ in 0..8 {
        let res = start_chat(&ws, Some(flooder)).await;
        statuses.push(res.status().as_u16());
        if res.status() == 429 && first_refusal.is_none() {
            first_refusal = Some(res);
        }
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429, 429, 429, 429], "the burst, then refusals");
    let (retry_after, code) = refusal(first_refusal.unwrap()).await;
    assert_eq!(code, ErrorCode::RateLimited);
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after} s is within the 60 s period");

    assert_eq!(start_chat(&ws, Some("198.51.100.9")).await.status(), 201, "another client behind the proxy still starts a chat");
    // What the client itself put in front of the proxy's entry does not count.
    let claimed = start_chat(&ws, Some(&format!("198.51.100.10, {flooder}"))).await;
    assert_eq!(claimed.status(), 429, "keyed on the address the proxy appended");
}

#[tokio::test]
async fn without_the_trust_flag_x_forwarded_for_is_ignored_and_the_peer_address_counts() {
    let ws = TestWorkspace::start_with(|c| c.limits.chat_starts = Some(Rate { burst: 2, every: Duration::from_secs(60) })).await;
    ws.team(1).await;
    assert_eq!(start_chat(&ws, Some("192.0.2.1")).await.status(), 201);
    assert_eq!(start_chat(&ws, Some("192.0.2.2")).await.status(), 201);
    let (_, code) = refusal(start_chat(&ws, Some("192.0.2.3")).await).await;
    assert_eq!(code, ErrorCode::RateLimited, "a made-up X-Forwarded-For does not buy a fresh budget");
}

#[tokio::test]
async fn a_customer_flooding_messages_gets_429_and_the_agent_transcript_holds_only_the_allowed_ones() {
    let ws = TestWorkspace::start_with(|c| c.limits.chat_messages = Some(Rate { burst: 5, every: Duration::from_secs(60) })).await;
    let team = ws.team(1).await;
    let agent = &team.agents[0];
    let mut sub = agent.subscribe().await;
    let chat: ChatStarted = start_chat(&ws, None).await.json().await.unwrap();
    let offer = next_offer(&mut sub).await;
    let session = agent.client.accept(offer.id).await.unwrap();

    let http = reqwest::Client::new();
    let say = |token: String, conversation: WorkItemId, body: String| {
        let req = http.post(format!("{}/webchat/conversations/{}/messages", ws.url, conversation.0));
        async move { req.bearer_auth(token).json(&json!({ "body": body })).send().await.unwrap() }
    };
    let mut statuses = Vec::new();
    let mut first_refusal = None;
    for i in 0..20 {
        let res = say(chat.token.clone(), chat.conversation, format!("flood {i}")).await;
        statuses.push(res.status().as_u16());
        if res.status() == 429 && first_refusal.is_none() {
            first_refusal = Some(res);
        }
    }
    assert_eq!(statuses[..5], [201; 5]);
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    let (retry_after, code) = refusal(first_refusal.unwrap()).await;
    assert_eq!((code, (1..=60).contains(&retry_after)), (ErrorCode::RateLimited, true), "Retry-After {retry_after}");

    let transcript = agent.client.transcript(session.id).await.unwrap();
    let said: Vec<&str> = transcript.messages.iter().filter(|m| m.author == Author::Customer).map(|m| m.body.as_str()).collect();
    assert_eq!(said, ["flood 0", "flood 1", "flood 2", "flood 3", "flood 4"], "only the allowed messages reached the agent");

    // The budget is the conversation's: another customer writes on.
    let other: ChatStarted = start_chat(&ws, None).await.json().await.unwrap();
    assert_eq!(say(other.token, other.conversation, "hello".into()).await.status(), 201);
}

/// Reads until the server closes the connection (EOF or reset); what it sent before is returned.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return seen,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends `GET /healthz` on `stream` and reads one whole response (headers and body), leaving the
/// connection open.
async fn get_healthz(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = within(stream.read(&mut buf)).await.unwrap();
        assert!(n > 0, "closed before the response was complete");
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .expect("content-length");
            if body.len() >= length {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed_within_the_header_timeout_while_an_event_stream_stays_open() {
    let ws = TestWorkspace::start_with(|c| c.limits.header_timeout = Duration::from_secs(1)).await;
    let agent = ws.person("Agent", Role::Agent).await;
    let events = reqwest::Client::new().get(format!("{}/v1/events", ws.url)).bearer_auth(&agent.token).send().await.unwrap();
    assert_eq!(events.status(), 200);
    let mut events = events.bytes_stream();

    let mut slow = TcpStream::connect(("127.0.0.1", ws.port)).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never-Ends: ").await.unwrap();
    let sent = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(5), read_until_closed(&mut slow)).await;
    assert!(closed.is_ok(), "the half-sent request was still open after 5 s");
    assert!(sent.elapsed() >= Duration::from_millis(500), "closed by the timer, not refused outright: {:?}", sent.elapsed());

    // The event stream, open since before, has outlived the header timeout and stays open.
    let until = Instant::now() + Duration::from_secs(2);
    loop {
        match tokio::time::timeout_at(until, events.next()).await {
            Err(_) => break,
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("the event stream ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_kept_alive_connection_left_idle_is_closed_after_the_header_timeout() {
    let ws = TestWorkspace::start_with(|c| c.limits.header_timeout = Duration::from_secs(1)).await;
    let mut conn = TcpStream::connect(("127.0.0.1", ws.port)).await.unwrap();
    assert!(get_healthz(&mut conn).await.starts_with("HTTP/1.1 200"));
    let closed = tokio::time::timeout(Duration::from_secs(5), read_until_closed(&mut conn)).await;
    assert_eq!(closed.expect("the idle connection was still open after 5 s"), b"", "closed without another word");
}

#[tokio::test]
async fn a_request_whose_body_stalls_is_closed_after_the_idle_timeout() {
    let ws = TestWorkspace::start_with(|c| c.limits.idle_timeout = Duration::from_secs(1)).await;
    let mut conn = TcpStream::connect(("127.0.0.1", ws.port)).await.unwrap();
    let head =
        "POST /webchat/default/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n";
    conn.write_all(format!("{head}{{\"name\":").as_bytes()).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), read_until_closed(&mut conn)).await;
    assert!(closed.is_ok(), "the stalled upload was still open after 5 s");
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_until_one_closes_and_are_then_served() {
    let ws = TestWorkspace::start_with(|c| c.limits.max_connections = 1).await;
    let mut first = TcpStream::connect(("127.0.0.1", ws.port)).await.unwrap();
    assert!(get_healthz(&mut first).await.starts_with("HTTP/1.1 200"), "the first connection is served and kept alive");

    let url = format!("{}/healthz", ws.url);
    let mut second = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status().as_u16()) });
    let early = tokio::time::timeout(Duration::from_secs(1), &mut second).await;
    assert!(early.is_err(), "the second connection was served while the only slot was taken: {early:?}");

    drop(first);
    assert_eq!(within(second).await.unwrap().unwrap(), 200, "served once the first one closed");
}
