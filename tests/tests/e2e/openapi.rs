//! The OpenAPI document at `/openapi.json` describes every edge — the staff API and each
//! channel's own part, merged — with the common errors and the bearer scheme documented on all
//! of them, and it is served as the same bytes to every caller.

use herald_e2e::TestWorkspace;

#[tokio::test]
async fn the_document_lists_every_edge_with_its_errors() {
    let ws = TestWorkspace::start().await;
    let http = reqwest::Client::new();
    let res = http.get(format!("{}/openapi.json", ws.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let first = res.bytes().await.unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&first).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in
        ["/v1/me", "/v1/admin/agents", "/channels/twilio/sms", "/channels/twilio/voice/status", "/webchat/{widget}", "/v1/bot/escalations"]
    {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    // The channels' parts get the common errors too (merged before the modifiers ran).
    let escalate = &doc["paths"]["/v1/bot/escalations"]["post"]["responses"];
    for status in ["400", "401", "403", "500"] {
        assert!(escalate.get(status).is_some(), "bot escalation documents {status}: {escalate}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let again = http.get(format!("{}/openapi.json", ws.url)).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(first, again, "the same document every time");
}
