//! R2, R22: SMS through Twilio — webhooks signed by Twilio's own SDK, idempotent by MessageSid,
//! the sender matched to a contact, later messages joining the conversation, and agent replies
//! sent through (a fake of) Twilio's REST API with retries the agent can see.

use herald_e2e::twilio::{FakeTwilio, sdk_signature};
use herald_e2e::*;
use herald_protocol::*;
use herald_workspace::channels::{ChannelsConfig, RetryPolicy, TwilioConfig};
use std::time::Duration;

const TOKEN: &str = "test-auth-token";
const PUBLIC: &str = "https://herald.example.com";
const OUR_NUMBER: &str = "+3197010203040";
const ADA: &str = "+31612345678";

async fn workspace(fake: &FakeTwilio) -> TestWorkspace {
    TestWorkspace::start_with_channels(ChannelsConfig {
        public_url: Some(PUBLIC.into()),
        twilio: Some(TwilioConfig {
            account_sid: "ACtest".into(),
            auth_token: TOKEN.into(),
            shared_keys: [("HKshared".to_string(), "shared-secret".to_string())].into_iter().collect(),
            api_base: fake.base.clone(),
        }),
        sms_queue: None,
        voice_queue: None,
        retry: RetryPolicy { max_attempts: 3, first_delay: Duration::from_millis(20), max_delay: Duration::from_millis(100) },
    })
    .await
}

/// What Twilio posts for an inbound SMS (with fields Herald does not use).
fn sms(sid: &str, from: &str, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ToCountry", "NL".into()),
        ("SmsMessageSid", sid.into()),
        ("NumMedia", "0".into()),
        ("SmsSid", sid.into()),
        ("SmsStatus", "received".into()),
        ("Body", body.into()),
        ("To", OUR_NUMBER.into()),
        ("NumSegments", "1".into()),
        ("MessageSid", sid.into()),
        ("AccountSid", "ACtest".into()),
        ("From", from.into()),
        ("ApiVersion", "2010-04-01".into()),
    ]
}

fn sign(params: &[(&'static str, String)], secret: &str, algorithm: &str) -> String {
    let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sdk_signature(secret, &format!("{PUBLIC}/channels/twilio/sms"), &p, algorithm)
}

async fn post(ws: &TestWorkspace, params: &[(&'static str, String)], signature: Option<&str>, settings: Option<&str>) -> (u16, String) {
    let form = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str()))).finish();
    let mut rb = reqwest::Client::new()
        .post(format!("{}/channels/twilio/sms", ws.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form);
    if let Some(s) = signature {
        rb = rb.header("X-Twilio-Signature", s);
    }
    if let Some(s) = settings {
        rb = rb.header("X-Twilio-Webhooks-Signature-Settings", s);
    }
    let res = rb.send().await.unwrap();
    let status = res.status().as_u16();
    if status == 200 {
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/xml"));
    }
    (status, res.text().await.unwrap())
}

async fn post_signed(ws: &TestWorkspace, params: &[(&'static str, String)]) {
    let (status, body) = post(ws, params, Some(&sign(params, TOKEN, "HMAC_SHA1")), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<Response/>"), "empty TwiML: {body}");
}

async fn next_update(sub: &mut herald_client::Subscription) -> Message {
    next_where(sub, |e| match e {
        AgentEvent::MessageUpdated(m) => Some(m.clone()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn r02_r22_a_signed_sms_from_a_contact_starts_a_conversation_and_the_next_ones_join_it() {
    let mut fake = FakeTwilio::start(vec![]).await;
    let ws = workspace(&fake).await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let ada =
        ws.admin.create_contact(&ContactInput { name: "Ada Lovelace".into(), mobile_phone: Some("+31 6 1234 5678".into()) }).await.unwrap();
    ws.template(Scenario::Sms, |t| t.fields = vec![TemplateField { label: "Says".into(), value: "{message}".into() }]).await;
    let mut sub = a.subscribe().await;

    let first = sms("SM0001", ADA, "Where is my order?");
    post_signed(&ws, &first).await;
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.scenario, Scenario::Sms);
    assert_eq!(offer.customer.contact, Some(ada.id), "R22: matched by mobile phone");
    assert_eq!(offer.customer.name, "Ada Lovelace");
    assert_eq!(offer.fields[0].value, "Where is my order?", "the text is a template placeholder");

    // Twilio retries the same webhook: nothing new.
    post_signed(&ws, &first).await;
    let session = a.client.accept(offer.id).await.unwrap();
    let t = a.client.transcript(session.id).await.unwrap();
    assert_eq!(t.messages.len(), 1, "idempotent by MessageSid: {:?}", t.messages);
    assert_eq!((t.messages[0].author, t.messages[0].external_id.as_deref()), (Author::Customer, Some("SM0001")));

    // A later SMS from the same number joins the open conversation.
    post_signed(&ws, &sms("SM0002", "+31 6 12345678", "Order 42")).await;
    let m = next_message(&mut sub).await;
    assert_eq!((m.work_item, m.body.as_str(), m.author_name.as_str()), (session.work_item, "Order 42", "Ada Lovelace"));

    // The agent's reply goes out through Twilio's REST API.
    let reply = a.client.send_message(session.id, "It ships today.").await.unwrap();
    let d = reply.delivery.clone().expect("an SMS reply has a delivery");
    assert_eq!((d.state, d.to.as_str(), d.from.as_str()), (DeliveryState::Pending, ADA, OUR_NUMBER));
    let sent = fake.wait_for(1).await;
    assert_eq!(sent[0].account, "ACtest");
    assert_eq!((sent[0].param("To"), sent[0].param("From"), sent[0].param("Body")), (Some(ADA), Some(OUR_NUMBER), Some("It ships today.")));
    let basic = base64_basic("ACtest", TOKEN);
    assert_eq!(sent[0].authorization.as_deref(), Some(basic.as_str()));
    let mut update = next_update(&mut sub).await;
    while update.id != reply.id {
        update = next_update(&mut sub).await;
    }
    let d = update.delivery.unwrap();
    assert_eq!((d.state, d.attempts, d.provider_id.as_deref()), (DeliveryState::Sent, 1, Some("SMfake0000")));

    // After the session closes, the next SMS starts a new conversation.
    a.client.close_session(session.id).await.unwrap();
    post_signed(&ws, &sms("SM0003", ADA, "One more thing")).await;
    let again = next_offer(&mut sub).await;
    assert_ne!(again.work_item, session.work_item);
}

fn base64_basic(user: &str, pass: &str) -> String {
    // Basic auth as reqwest writes it; checked by decoding to keep the test independent.
    use std::fmt::Write;
    let raw = format!("{user}:{pass}");
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::from("Basic ");
    for chunk in raw.as_bytes().chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let _ = out.write_char(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn r02_unsigned_or_tampered_webhooks_are_refused_and_nothing_is_stored() {
    let fake = FakeTwilio::start(vec![]).await;
    let ws = workspace(&fake).await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;

    let p = sms("SM0100", ADA, "Hello");
    let good = sign(&p, TOKEN, "HMAC_SHA1");
    assert_eq!(post(&ws, &p, None, None).await.0, 403, "unsigned");
    let tampered = sms("SM0100", ADA, "Hello, send the refund to my other account");
    assert_eq!(post(&ws, &tampered, Some(&good), None).await.0, 403, "body changed after signing");
    assert_eq!(post(&ws, &p, Some(&sign(&p, "another-token", "HMAC_SHA1")), None).await.0, 403, "wrong account");
    let other_url: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wrong_url = sdk_signature(TOKEN, "https://evil.example.com/channels/twilio/sms", &other_url, "HMAC_SHA1");
    assert_eq!(post(&ws, &p, Some(&wrong_url), None).await.0, 403, "signed for another URL");

    // The genuine one is the first thing that happens.
    post_signed(&ws, &p).await;
    let offer = next_offer(&mut sub).await;
    let session = a.client.accept(offer.id).await.unwrap();
    let t = a.client.transcript(session.id).await.unwrap();
    assert_eq!(t.messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["Hello"]);

    // Malformed but signed: 400 naming the field.
    let bad = sms("SM0101", "not a number", "Hi");
    let (status, body) = post(&ws, &bad, Some(&sign(&bad, TOKEN, "HMAC_SHA1")), None).await;
    assert_eq!(status, 400);
    assert_eq!(serde_json::from_str::<ApiError>(&body).unwrap().field.as_deref(), Some("From"));

    // Refused by the rules in the core (a message over 4,000 characters): the same 400 naming
    // the field as on every other edge, not a 500 — and nothing is stored.
    let long = sms("SM0102", "+31612345678", &"x".repeat(4001));
    let (status, body) = post(&ws, &long, Some(&sign(&long, TOKEN, "HMAC_SHA1")), None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(serde_json::from_str::<ApiError>(&body).unwrap().field.as_deref(), Some("body"));
}

#[tokio::test]
async fn r02_webhooks_signed_with_a_shared_key_use_hmac_sha256() {
    let fake = FakeTwilio::start(vec![]).await;
    let ws = workspace(&fake).await;
    let team = ws.team(1).await;
    let mut sub = team.agents[0].subscribe().await;
    let settings = "key=HKshared,algorithm=HMAC_SHA256";
    let p = sms("SM0200", ADA, "Signed with SHA-256");
    let sha1 = sign(&p, "shared-secret", "HMAC_SHA1");
    assert_eq!(post(&ws, &p, Some(&sha1), Some(settings)).await.0, 403, "the header says SHA-256");
    assert_eq!(post(&ws, &p, Some(&sign(&p, "shared-secret", "HMAC_SHA256")), Some("key=HKshared,algorithm=HMAC_MD5")).await.0, 403);
    let (status, body) = post(&ws, &p, Some(&sign(&p, "shared-secret", "HMAC_SHA256")), Some(settings)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(next_offer(&mut sub).await.scenario, Scenario::Sms);
}

#[tokio::test]
async fn r02_failed_sends_are_retried_and_the_agent_sees_each_step() {
    // Twilio fails twice (500, 503), then takes it; the next reply is refused outright (400).
    let mut fake = FakeTwilio::start(vec![500, 503, 201, 400]).await;
    let ws = workspace(&fake).await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    post_signed(&ws, &sms("SM0300", ADA, "Hi")).await;
    let offer = next_offer(&mut sub).await;
    let session = a.client.accept(offer.id).await.unwrap();

    let reply = a.client.send_message(session.id, "Hello!").await.unwrap();
    let mut steps = Vec::new();
    loop {
        let m = next_update(&mut sub).await;
        let d = m.delivery.unwrap();
        steps.push((d.state, d.attempts));
        if d.state != DeliveryState::Pending {
            assert_eq!(d.provider_id.as_deref(), Some("SMfake0002"));
            break;
        }
        assert!(d.error.unwrap().contains("500") || steps.len() == 2, "the error says why");
    }
    assert_eq!(steps, [(DeliveryState::Pending, 1), (DeliveryState::Pending, 2), (DeliveryState::Sent, 3)]);
    assert_eq!(fake.wait_for(3).await.len(), 3);
    let stored = a.client.transcript(session.id).await.unwrap().messages.into_iter().find(|m| m.id == reply.id).unwrap();
    assert_eq!(stored.delivery.unwrap().state, DeliveryState::Sent, "the transcript shows it too");

    a.client.send_message(session.id, "Refused").await.unwrap();
    let failed = next_update(&mut sub).await.delivery.unwrap();
    assert_eq!((failed.state, failed.attempts), (DeliveryState::Failed, 1), "a 4xx is not retried");
    assert!(failed.error.unwrap().contains("400"));
}

#[tokio::test]
async fn r02_a_pending_reply_survives_a_restart_and_goes_out_after_it() {
    // Twilio is down for the first attempt; the next retry would be a minute away, but the
    // workspace restarts first: the delivery is in the store and goes out on start.
    let mut fake = FakeTwilio::start(vec![503]).await;
    let mut ws = TestWorkspace::start_with_channels(ChannelsConfig {
        public_url: Some(PUBLIC.into()),
        twilio: Some(TwilioConfig {
            account_sid: "ACtest".into(),
            auth_token: TOKEN.into(),
            shared_keys: Default::default(),
            api_base: fake.base.clone(),
        }),
        retry: RetryPolicy { max_attempts: 5, first_delay: Duration::from_secs(60), max_delay: Duration::from_secs(60) },
        ..Default::default()
    })
    .await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    post_signed(&ws, &sms("SM0400", ADA, "Hi")).await;
    let session = a.client.accept(next_offer(&mut sub).await.id).await.unwrap();
    let reply = a.client.send_message(session.id, "Back in a minute").await.unwrap();
    let first = next_update(&mut sub).await.delivery.unwrap();
    assert_eq!((first.state, first.attempts), (DeliveryState::Pending, 1));
    drop(sub);

    ws.restart().await;
    let mut sub = a.subscribe().await;
    let sent = loop {
        let m = next_update(&mut sub).await;
        let d = m.delivery.clone().unwrap();
        if m.id == reply.id && d.state != DeliveryState::Pending {
            break d;
        }
    };
    assert_eq!((sent.state, sent.attempts), (DeliveryState::Sent, 2));
    assert_eq!(fake.wait_for(2).await.len(), 2, "one failed attempt before the restart, one after");
}

#[tokio::test]
async fn r02_the_first_sms_to_a_fresh_workspace_waits_in_the_default_queue_and_reaches_the_first_agent() {
    // Twilio does not retry a 409: a fresh workspace must keep the customer's text, not refuse it.
    let fake = FakeTwilio::start(vec![]).await;
    let ws = workspace(&fake).await;
    let queues = ws.admin.queues().await.unwrap();
    assert_eq!(queues.iter().map(|q| q.name.as_str()).collect::<Vec<_>>(), ["Default"], "seeded on the empty database");
    let p = sms("SM0900", ADA, "Is anybody there?");
    let (status, body) = post(&ws, &p, Some(&sign(&p, TOKEN, "HMAC_SHA1")), None).await;
    assert_eq!(status, 200, "{body}");

    // An admin staffs the Default queue: the waiting text is offered at once.
    let a = ws.person("Alex Agent", Role::Agent).await;
    let mut sub = a.subscribe().await;
    a.client.set_presence(Presence { base: BasePresence::Available, custom: None }).await.unwrap();
    let q = &queues[0];
    ws.admin.update_queue(q.id, &QueueInput { name: q.name.clone(), workstream: q.workstream, members: vec![a.id] }).await.unwrap();
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.scenario, Scenario::Sms);
    let session = a.client.accept(offer.id).await.unwrap();
    let t = a.client.transcript(session.id).await.unwrap();
    assert_eq!(t.messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["Is anybody there?"]);
}
