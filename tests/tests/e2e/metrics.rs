//! `GET /metrics` (the organisation issue, item 6): off without a metrics token, refused without
//! it, and with it the figures an operator watches — offers by scenario and outcome, decision
//! time, requests by route, commit time, connected agents, presence, waiting work.

use herald_e2e::*;
use herald_protocol::*;

async fn scrape(ws: &TestWorkspace, token: Option<&str>) -> (u16, String) {
    let mut req = reqwest::Client::new().get(format!("{}/metrics", ws.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn metrics_need_their_own_token_and_count_offers_requests_and_agents() {
    let off = TestWorkspace::start().await;
    assert_eq!(scrape(&off, Some("anything")).await.0, 404, "no metrics token: no endpoint");

    let ws = TestWorkspace::start_with(|c| c.metrics_token = Some("scrape-me".into())).await;
    assert_eq!(scrape(&ws, None).await.0, 401);
    assert_eq!(scrape(&ws, Some(ADMIN_TOKEN)).await.0, 401, "an admin token is not the metrics token");
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let offer = next_offer(&mut sub).await;
    a.client.accept(offer.id).await.unwrap();

    let (status, text) = scrape(&ws, Some("scrape-me")).await;
    assert_eq!(status, 200);
    for line in [
        r#"herald_offers_created_total{scenario="chat"} 1"#,
        r#"herald_offers_ended_total{scenario="chat",outcome="accepted"} 1"#,
        r#"herald_offer_decision_seconds_count{scenario="chat"} 1"#,
        r#"herald_http_requests_total{method="POST",route="/v1/offers/{id}/accept",status="200"} 1"#,
        r#"herald_agents_connected 1"#,
        r#"herald_agents_by_presence{presence="available"} 1"#,
        r#"herald_queue_waiting_items{queue="Support"} 0"#,
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
    }
    let commits: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("herald_store_commit_seconds_count "))
        .and_then(|n| n.parse().ok())
        .expect("the commit histogram");
    assert!(commits >= 5, "{commits} commits counted");
}
