//! Bad input gets a clear 4xx with the `{code, message, field?}` body, and nothing changes: what
//! an acceptance run sent and the workspace took (the capacity and hardening issue, item 11).

use herald_e2e::{ADMIN_TOKEN, TestWorkspace};
use serde_json::{Value, json};

async fn send(ws: &TestWorkspace, method: reqwest::Method, path: &str, body: Option<&str>) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", ws.url)).bearer_auth(ADMIN_TOKEN);
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)), headers)
}

async fn agent_names(ws: &TestWorkspace) -> Vec<String> {
    ws.admin.agents().await.unwrap().into_iter().map(|a| a.name).collect()
}

#[tokio::test]
async fn trailing_data_after_a_json_body_is_refused_and_nothing_is_created() {
    let ws = TestWorkspace::start().await;
    let before = agent_names(&ws).await;
    for body in [r#"{"name":"x","role":"agent"}}"#, r#"{"name":"x","role":"agent"}{"name":"y","role":"agent"}"#] {
        let (status, err, _) = send(&ws, reqwest::Method::POST, "/v1/admin/agents", Some(body)).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert_eq!(err["field"], "body");
        assert_eq!(err["code"], "invalid_input");
    }
    assert_eq!(agent_names(&ws).await, before, "no agent was created");
}

#[tokio::test]
async fn a_negative_id_in_a_path_is_refused_not_read_as_another_id() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    let item = ws.request(team.queue, herald_protocol::Scenario::Chat, "Ada").await;
    let offer = herald_e2e::next_offer(&mut sub).await;
    assert_eq!(offer.work_item, item.id);
    let res =
        reqwest::Client::new().post(format!("{}/v1/offers/-{}/accept", ws.url, offer.id.0)).bearer_auth(&a.token).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["field"], "id");
    let still = reqwest::Client::new().get(format!("{}/webchat/conversations/-{}", ws.url, item.id.0)).send().await.unwrap();
    assert_eq!(still.status(), 400, "a customer path takes no negative id either");
    // The offer is still pending: the agent can accept it by its real id.
    a.client.accept(offer.id).await.unwrap();
}

#[tokio::test]
async fn a_misspelt_settings_key_is_refused_and_the_settings_stay() {
    let ws = TestWorkspace::start().await;
    let mut s = ws.admin.settings().await.unwrap();
    s.agent_reject = true;
    ws.admin.put_settings(&s).await.unwrap();
    let (status, err, _) =
        send(&ws, reqwest::Method::PUT, "/v1/admin/settings", Some(&json!({ "agentReject": false, "max_sessions": 10 }).to_string())).await;
    assert_eq!(status, 400, "{err}");
    assert!(err["message"].as_str().unwrap().contains("agentReject"), "{err}");
    assert!(ws.admin.settings().await.unwrap().agent_reject, "agent_reject was not reset to its default");
}

#[tokio::test]
async fn names_and_texts_have_length_limits() {
    let ws = TestWorkspace::start().await;
    let long = "x".repeat(100_001);
    let (status, err, _) =
        send(&ws, reqwest::Method::POST, "/v1/admin/agents", Some(&json!({ "name": long, "role": "agent" }).to_string())).await;
    assert_eq!((status, err["field"].as_str()), (400, Some("name")), "{err}");
    let team = ws.team(1).await;
    let (status, err, _) = send(
        &ws,
        reqwest::Method::POST,
        "/v1/conversations",
        Some(&json!({ "scenario": "chat", "queue": team.queue, "customer_name": long }).to_string()),
    )
    .await;
    assert_eq!((status, err["field"].as_str()), (400, Some("customer_name")), "{err}");
    let mut template = ws.admin.templates().await.unwrap().into_iter().next().unwrap();
    template.title = long.clone();
    let (status, err, _) = send(
        &ws,
        reqwest::Method::PUT,
        &format!("/v1/admin/templates/{}", template.scenario),
        Some(&serde_json::to_string(&template).unwrap()),
    )
    .await;
    assert_eq!((status, err["field"].as_str()), (400, Some("title")), "{err}");
    assert!(agent_names(&ws).await.iter().all(|n| n.len() <= 100));
}

#[tokio::test]
async fn a_wrong_method_gets_405_with_the_error_body_and_allow() {
    let ws = TestWorkspace::start().await;
    let (status, err, headers) = send(&ws, reqwest::Method::DELETE, "/v1/me", None).await;
    assert_eq!(status, 405);
    assert_eq!(err["code"], "method_not_allowed", "{err}");
    assert!(err["message"].as_str().unwrap().contains("/v1/me"));
    assert!(headers.get("allow").is_some_and(|a| a.to_str().unwrap().contains("GET")), "{headers:?}");
}
