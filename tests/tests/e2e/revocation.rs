//! Access ends at once, for requests already open: revoking a token, signing out, or changing an
//! agent's role ends the event streams and long polls opened with it — a revoked token never
//! receives another offer with a customer's name in it (issue 11, item 8).

use futures_util::StreamExt;
use herald_e2e::*;
use herald_protocol::*;

/// Opens `/v1/events` with `token` and returns the body as a stream of text chunks.
async fn open_stream(ws: &TestWorkspace, token: &str) -> impl futures_util::Stream<Item = String> + Unpin {
    let res = reqwest::Client::new().get(format!("{}/v1/events", ws.url)).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    Box::pin(res.bytes_stream().map(|c| c.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()))
}

/// Reads until the server ends the stream; returns everything it sent. Fails after [`WAIT`].
async fn until_end(mut body: impl futures_util::Stream<Item = String> + Unpin) -> String {
    let mut seen = String::new();
    tokio::time::timeout(WAIT, async {
        while let Some(chunk) = body.next().await {
            seen.push_str(&chunk);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the stream is still open after {WAIT:?}; it sent: {seen}"));
    seen
}

#[tokio::test]
async fn a_revoked_token_ends_its_open_stream_and_gets_no_new_offer() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let issued = ws.admin.issue_token(a.id).await.unwrap();
    let body = open_stream(&ws, &issued.token).await;
    connected(&ws, a.id, true).await;
    ws.admin.revoke_token(issued.token_id).await.unwrap();
    let sent = until_end(body).await;
    // Offered after the revocation: the old stream must not carry it (another stream, opened
    // with a valid token, does — so the offer really went out).
    let mut sub = a.subscribe().await;
    ws.request(team.queue, Scenario::Chat, "Ada Secret").await;
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.customer.name, "Ada Secret");
    assert!(!sent.contains("Ada Secret"), "the revoked stream carried the offer: {sent}");
}

#[tokio::test]
async fn a_role_change_ends_the_agents_open_streams() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let body = open_stream(&ws, &a.token).await;
    connected(&ws, a.id, true).await;
    ws.admin.update_agent(a.id, &AgentInput { name: "Alex".into(), role: Role::Supervisor }).await.unwrap();
    until_end(body).await;
    // The same token still works: a new stream opens under the new role.
    let again = reqwest::Client::new().get(format!("{}/v1/events/poll", ws.url)).bearer_auth(&a.token).send().await.unwrap();
    assert_eq!(again.status(), 200);
}

#[tokio::test]
async fn signing_out_ends_a_waiting_long_poll_with_401() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let last = a.client.poll(0, std::time::Duration::ZERO).await.unwrap().last_seq;
    connected(&ws, a.id, false).await;
    let url = format!("{}/v1/events/poll?after={last}&wait=30", ws.url);
    let token = a.token.clone();
    let poll = tokio::spawn(async move { reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap() });
    connected(&ws, a.id, true).await;
    a.client.sign_out().await.unwrap();
    let res = tokio::time::timeout(WAIT, poll).await.expect("the long poll ends before its 30 s").unwrap();
    assert_eq!(res.status(), 401);
    let err: ApiError = res.json().await.unwrap();
    assert_eq!(err.code, ErrorCode::Unauthenticated);
    assert!(err.message.contains("revoked"), "{}", err.message);
}
