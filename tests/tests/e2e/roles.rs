//! The role matrix: every endpoint × no token / agent / supervisor / admin.

use herald_e2e::*;
use herald_protocol::*;

/// (method, path, body, least role allowed; None = no token needed)
const ENDPOINTS: &[(&str, &str, Option<&str>, Option<Role>)] = &[
    ("GET", "/healthz", None, None),
    ("GET", "/webchat/embed.js", None, None),
    ("GET", "/webchat/default", None, None),
    ("GET", "/webchat/default/widget.json", None, None),
    ("POST", "/webchat/default/conversations", Some(r#"{"name":"Ada","answers":{"topic":"billing"}}"#), None),
    ("GET", "/v1/admin/widgets", None, Some(Role::Admin)),
    ("GET", "/v1/admin/integrations", None, Some(Role::Admin)),
    ("POST", "/v1/admin/integrations", Some(r#"{"name":"Bot"}"#), Some(Role::Admin)),
    ("DELETE", "/v1/admin/integrations/999999", None, Some(Role::Admin)),
    ("GET", "/v1/admin/twilio", None, Some(Role::Admin)),
    ("PUT", "/v1/admin/widgets/default", Some(r#"{"id":"default","title":"Chat","questions":[]}"#), Some(Role::Admin)),
    ("GET", "/openapi.json", None, None),
    ("GET", "/v1/me", None, Some(Role::Agent)),
    ("PUT", "/v1/me/presence", Some(r#"{"presence":{"base":"away"}}"#), Some(Role::Agent)),
    ("POST", "/v1/me/reset-presence", None, Some(Role::Agent)),
    ("POST", "/v1/offers/999999/accept", None, Some(Role::Agent)),
    ("POST", "/v1/offers/999999/reject", None, Some(Role::Agent)),
    ("POST", "/v1/offers/999999/displayed", None, Some(Role::Agent)),
    ("GET", "/v1/offers/999999/timeline", None, Some(Role::Agent)),
    ("POST", "/v1/offers/999999/notes", Some(r#"{"kind":"toast_clicked"}"#), Some(Role::Agent)),
    ("POST", "/v1/sessions/999999/close", None, Some(Role::Agent)),
    ("POST", "/v1/sessions/999999/open", None, Some(Role::Agent)),
    ("GET", "/v1/sessions/999999/messages", None, Some(Role::Agent)),
    ("POST", "/v1/sessions/999999/messages", Some(r#"{"body":"hi"}"#), Some(Role::Agent)),
    ("POST", "/v1/sessions/999999/call", Some(r#"{"action":"hold"}"#), Some(Role::Agent)),
    ("POST", "/v1/sessions/999999/transfer", Some(r#"{"escalate":false}"#), Some(Role::Agent)),
    ("GET", "/v1/events/poll?after=0", None, Some(Role::Agent)),
    ("GET", "/v1/team", None, Some(Role::Supervisor)),
    ("POST", "/v1/team/999999/reset-presence", None, Some(Role::Supervisor)),
    ("GET", "/v1/queues/999999/waiting", None, Some(Role::Supervisor)),
    ("GET", "/v1/queues/board", None, Some(Role::Supervisor)),
    ("POST", "/v1/work-items/999999/direct", Some(r#"{"agent":999999,"how":"offer"}"#), Some(Role::Supervisor)),
    ("POST", "/v1/conversations", Some(r#"{"scenario":"chat","queue":999999}"#), Some(Role::Admin)),
    ("POST", "/v1/conversations/999999/close", None, Some(Role::Admin)),
    ("GET", "/v1/admin/agents", None, Some(Role::Admin)),
    ("POST", "/v1/admin/agents", Some(r#"{"name":"New","role":"agent"}"#), Some(Role::Admin)),
    ("PUT", "/v1/admin/agents/999999", Some(r#"{"name":"X","role":"agent"}"#), Some(Role::Admin)),
    ("POST", "/v1/admin/agents/999999/tokens", None, Some(Role::Admin)),
    ("DELETE", "/v1/admin/tokens/999999", None, Some(Role::Admin)),
    ("GET", "/v1/admin/agents/999999/account", None, Some(Role::Admin)),
    ("GET", "/v1/admin/audit?limit=5", None, Some(Role::Admin)),
    ("POST", "/v1/admin/agents/999999/invite", Some(r#"{"email":"x@example.com"}"#), Some(Role::Admin)),
    ("POST", "/v1/admin/agents/999999/reset-password", None, Some(Role::Admin)),
    ("POST", "/v1/admin/agents/999999/disable", None, Some(Role::Admin)),
    ("POST", "/v1/admin/agents/999999/enable", None, Some(Role::Admin)),
    ("POST", "/v1/auth/password", Some(r#"{"current":"x","new":"short"}"#), Some(Role::Agent)),
    ("POST", "/v1/auth/set-password", Some(r#"{"code":"no-such-code","password":"long enough secret"}"#), None),
    ("GET", "/v1/admin/templates", None, Some(Role::Admin)),
    (
        "PUT",
        "/v1/admin/templates/chat",
        Some(r#"{"scenario":"chat","title":"Chat","fields":[],"kind":"alert","desktop_mode":"always"}"#),
        Some(Role::Admin),
    ),
    ("GET", "/v1/admin/settings", None, Some(Role::Admin)),
    ("PUT", "/v1/admin/settings", Some("{}"), Some(Role::Admin)),
    ("GET", "/v1/admin/workstreams", None, Some(Role::Admin)),
    ("POST", "/v1/admin/workstreams", Some(r#"{"name":"W","mode":"round_robin","allowed_presences":["available"]}"#), Some(Role::Admin)),
    (
        "PUT",
        "/v1/admin/workstreams/999999",
        Some(r#"{"name":"W","mode":"round_robin","allowed_presences":["available"]}"#),
        Some(Role::Admin),
    ),
    ("GET", "/v1/admin/queues", None, Some(Role::Admin)),
    ("POST", "/v1/admin/queues", Some(r#"{"name":"Q","workstream":999999}"#), Some(Role::Admin)),
    ("PUT", "/v1/admin/queues/999999", Some(r#"{"name":"Q","workstream":999999}"#), Some(Role::Admin)),
    ("GET", "/v1/admin/contacts", None, Some(Role::Admin)),
    ("POST", "/v1/admin/contacts", Some(r#"{"name":"C"}"#), Some(Role::Admin)),
    ("PUT", "/v1/admin/contacts/999999", Some(r#"{"name":"C"}"#), Some(Role::Admin)),
];

/// Provider webhooks: authenticated by the provider's signature, never by a bearer token —
/// (method, path, form body). Without a valid signature every caller gets 403, admins too.
const SIGNED_WEBHOOKS: &[(&str, &str, &str)] = &[
    ("POST", "/channels/twilio/sms", "MessageSid=SM1&From=%2B31612345678&To=%2B3197010&Body=hi"),
    ("POST", "/channels/twilio/voice", "CallSid=CA1&From=%2B31612345678&To=%2B3197010&CallStatus=ringing"),
    ("POST", "/channels/twilio/voice/gathered", "CallSid=CA1&From=%2B31612345678&SpeechResult=hi"),
    ("POST", "/channels/twilio/voice/status", "CallSid=CA1&CallStatus=completed"),
];

/// The customer's web chat API: authenticated by the conversation's customer token only — no
/// agent, supervisor or admin bearer token opens it (401 for all of them).
const CUSTOMER_ENDPOINTS: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/webchat/conversations/999999", None),
    ("POST", "/webchat/conversations/999999/messages", Some(r#"{"body":"hi"}"#)),
    ("POST", "/webchat/conversations/999999/leave", None),
];

/// Integration (bot) endpoints: only an integration token opens them — staff tokens get 401.
const INTEGRATION_ENDPOINTS: &[(&str, &str, Option<&str>)] = &[
    ("POST", "/v1/bot/escalations", Some(r#"{"conversation_id":"c1","summary":"help"}"#)),
    ("GET", "/v1/bot/conversations/999999/messages", None),
    ("POST", "/v1/bot/conversations/999999/messages", Some(r#"{"body":"hi"}"#)),
];

#[tokio::test]
async fn bot_endpoints_take_integration_tokens_only() {
    let ws = TestWorkspace::start().await;
    let agent = ws.person("Agent", Role::Agent).await;
    let sup = ws.person("Supervisor", Role::Supervisor).await;
    let bot = ws.client(&ws.admin.create_integration("Bot").await.unwrap().token);
    for (method, path, body) in INTEGRATION_ENDPOINTS {
        for client in [ws.anonymous(), agent.client.clone(), sup.client.clone(), ws.admin.clone()] {
            let (status, text) = client.raw(method.parse().unwrap(), path, *body).await.unwrap();
            assert_eq!(status, 401, "{method} {path}: {text}");
        }
        let (status, text) = bot.raw(method.parse().unwrap(), path, *body).await.unwrap();
        assert!(status != 401 && status != 403 && status < 500, "{method} {path} as a bot: {status} {text}");
    }
    // …and an integration token opens nothing else.
    for (method, path, body, least) in ENDPOINTS {
        if least.is_some() {
            let (status, text) = bot.raw(method.parse().unwrap(), path, *body).await.unwrap();
            assert_eq!(status, 401, "{method} {path} as a bot: {text}");
        }
    }
}

#[tokio::test]
async fn the_customers_chat_api_takes_no_staff_token() {
    let ws = TestWorkspace::start().await;
    let agent = ws.person("Agent", Role::Agent).await;
    for (method, path, body) in CUSTOMER_ENDPOINTS {
        for client in [ws.anonymous(), agent.client.clone(), ws.admin.clone()] {
            let (status, text) = client.raw(method.parse().unwrap(), path, *body).await.unwrap();
            assert_eq!(status, 401, "{method} {path}: {text}");
            assert_eq!(serde_json::from_str::<ApiError>(&text).unwrap().code, ErrorCode::Unauthenticated);
        }
    }
}

#[tokio::test]
async fn every_endpoint_checks_its_role() {
    let ws = TestWorkspace::start().await;
    let agent = ws.person("Agent", Role::Agent).await;
    let sup = ws.person("Supervisor", Role::Supervisor).await;
    let callers = [
        (None, ws.anonymous()),
        (Some(Role::Agent), agent.client.clone()),
        (Some(Role::Supervisor), sup.client.clone()),
        (Some(Role::Admin), ws.admin.clone()),
    ];
    let mut checked = 0;
    for (method, path, body, least) in ENDPOINTS {
        for (role, client) in &callers {
            let (status, text) = client.raw(method.parse().unwrap(), path, *body).await.unwrap();
            let expected_denial = match (least, role) {
                (None, _) => None,
                (Some(_), None) => Some(401),
                (Some(least), Some(r)) if r < least => Some(403),
                (Some(_), Some(_)) => None,
            };
            match expected_denial {
                Some(code) => {
                    assert_eq!(status, code, "{method} {path} as {role:?}: {text}");
                    let err: ApiError = serde_json::from_str(&text).unwrap();
                    let want = if code == 401 { ErrorCode::Unauthenticated } else { ErrorCode::Forbidden };
                    assert_eq!(err.code, want);
                }
                None => assert!(status != 401 && status != 403 && status < 500, "{method} {path} as {role:?}: {status} {text}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ENDPOINTS.len() * 4);
    // The SSE stream: status only (the body never ends).
    let http = reqwest::Client::new();
    let url = format!("{}/v1/events", ws.url);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    let ok = http.get(&url).bearer_auth(&agent.token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
}

#[tokio::test]
async fn webhooks_need_the_providers_signature_whoever_calls() {
    let ws = TestWorkspace::start_with_channels(herald_workspace::channels::ChannelsConfig {
        twilio: Some(herald_workspace::channels::TwilioConfig {
            account_sid: "AC1".into(),
            auth_token: "secret".into(),
            shared_keys: Default::default(),
            api_base: "http://127.0.0.1:9".into(),
        }),
        ..Default::default()
    })
    .await;
    let agent = ws.person("Agent", Role::Agent).await;
    let http = reqwest::Client::new();
    for (method, path, form) in SIGNED_WEBHOOKS {
        for token in [None, Some(agent.token.as_str()), Some(ADMIN_TOKEN)] {
            let mut rb = http
                .request(method.parse().unwrap(), format!("{}{path}", ws.url))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.to_string());
            if let Some(t) = token {
                rb = rb.bearer_auth(t);
            }
            let res = rb.send().await.unwrap();
            assert_eq!(res.status(), 403, "{method} {path} with token {token:?}");
            let err: ApiError = res.json().await.unwrap();
            assert_eq!(err.code, ErrorCode::Forbidden);
        }
    }
}

#[tokio::test]
async fn every_route_of_the_api_is_in_the_matrix() {
    let ws = TestWorkspace::start().await;
    let doc = ws.anonymous().openapi().await.unwrap();
    let mut documented = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented += 1;
            let m = method.to_uppercase();
            let covered = path == "/v1/events"
                || path == "/v1/auth/sign-out"
                // Public, and a wrong password is a 401 for everyone: tests/e2e/accounts.rs.
                || path == "/v1/auth/sign-in"
                || SIGNED_WEBHOOKS.iter().any(|(em, ep, _)| *em == m && ep == path)
                || CUSTOMER_ENDPOINTS.iter().any(|(em, ep, _)| *em == m && same_shape(ep, path))
                || INTEGRATION_ENDPOINTS.iter().any(|(em, ep, _)| *em == m && same_shape(ep, path))
                || ENDPOINTS.iter().any(|(em, ep, _, _)| {
                    let ep = ep.split('?').next().unwrap();
                    *em == m && same_shape(ep, path)
                });
            assert!(covered, "{m} {path} is not in the role matrix");
        }
    }
    assert!(documented >= 35, "{documented} operations documented");
}

fn same_shape(concrete: &str, template: &str) -> bool {
    let (a, b): (Vec<_>, Vec<_>) = (concrete.split('/').collect(), template.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || y.starts_with('{'))
}

#[tokio::test]
async fn tokens_are_revocable() {
    let ws = TestWorkspace::start().await;
    let agent = ws.person("Agent", Role::Agent).await;
    assert!(agent.client.me().await.is_ok());
    agent.client.sign_out().await.unwrap();
    assert_eq!(agent.client.me().await.unwrap_err().status(), Some(401), "signed out");
    let t = ws.admin.issue_token(agent.id).await.unwrap();
    let c = ws.client(&t.token);
    assert!(c.me().await.is_ok());
    ws.admin.revoke_token(t.token_id).await.unwrap();
    assert_eq!(c.me().await.unwrap_err().status(), Some(401), "revoked by an admin");
    assert_eq!(ws.admin.revoke_token(t.token_id).await.unwrap_err().status(), Some(404), "already revoked");
}
