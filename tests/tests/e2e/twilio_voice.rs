//! R3, R8, R21: a call meets the bot first (TwiML Gather); only then is a work item offered,
//! carrying what the bot gathered; call controls work in the session; Twilio's status callbacks
//! end the work item. Webhooks are signed by Twilio's own SDK.

use herald_e2e::twilio::{FakeTwilio, sdk_signature};
use herald_e2e::*;
use herald_protocol::*;
use herald_workspace::channels::{ChannelsConfig, TwilioConfig};

const TOKEN: &str = "voice-auth-token";
const PUBLIC: &str = "https://herald.example.com";
const ADA: &str = "+31612345678";

async fn workspace(fake: &FakeTwilio) -> TestWorkspace {
    TestWorkspace::start_with_channels(ChannelsConfig {
        public_url: Some(PUBLIC.into()),
        twilio: Some(TwilioConfig {
            account_sid: "ACtest".into(),
            auth_token: TOKEN.into(),
            shared_keys: Default::default(),
            api_base: fake.base.clone(),
        }),
        ..Default::default()
    })
    .await
}

/// Posts a webhook to `path` signed the way Twilio signs it; returns (status, TwiML).
async fn twilio(ws: &TestWorkspace, path: &str, params: &[(&str, &str)], signed: bool) -> (u16, String) {
    let form = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter().copied()).finish();
    let mut rb =
        reqwest::Client::new().post(format!("{}{path}", ws.url)).header("content-type", "application/x-www-form-urlencoded").body(form);
    if signed {
        rb = rb.header("X-Twilio-Signature", sdk_signature(TOKEN, &format!("{PUBLIC}{path}"), params, "HMAC_SHA1"));
    }
    let res = rb.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn call<'a>(sid: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("CallSid", sid),
        ("AccountSid", "ACtest"),
        ("From", ADA),
        ("To", "+3197010203040"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
    ];
    p.extend_from_slice(extra);
    p
}

#[tokio::test]
async fn r03_r08_r21_the_bot_asks_first_then_the_agent_gets_the_call_with_what_it_gathered() {
    let fake = FakeTwilio::start(vec![]).await;
    let ws = workspace(&fake).await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let ada = ws.admin.create_contact(&ContactInput { name: "Ada Lovelace".into(), mobile_phone: Some(ADA.into()) }).await.unwrap();
    let mut sub = a.subscribe().await;

    let (status, twiml) = twilio(&ws, "/channels/twilio/voice", &call("CA100", &[("CallStatus", "ringing")]), true).await;
    assert_eq!(status, 200);
    assert!(twiml.contains(r#"<Gather input="speech dtmf" action="/channels/twilio/voice/gathered""#), "{twiml}");
    assert!(twiml.contains("what is your call about?"));
    assert!(a.client.me().await.unwrap().offers.is_empty(), "R3: nothing is offered during the bot step");

    let gathered = call("CA100", &[("CallStatus", "in-progress"), ("SpeechResult", "I want to change my address"), ("Confidence", "0.92")]);
    let (status, twiml) = twilio(&ws, "/channels/twilio/voice/gathered", &gathered, true).await;
    assert_eq!(status, 200);
    assert!(twiml.contains("<Say>Thank you. Please hold") && twiml.contains("<Enqueue>herald-"), "{twiml}");
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.scenario, Scenario::Voice);
    assert_eq!(offer.customer.contact, Some(ada.id), "R22 holds for callers too");
    let reason = offer.fields.iter().find(|f| f.label == "Reason").unwrap();
    assert_eq!(reason.value, "I want to change my address", "R3: the offer carries what the bot gathered");

    // Twilio retries the callback: the same call, no second work item.
    let (status, again) = twilio(&ws, "/channels/twilio/voice/gathered", &gathered, true).await;
    assert_eq!((status, again.as_str()), (200, twiml.as_str()));
    let session = a.client.accept(offer.id).await.unwrap();
    assert!(a.client.me().await.unwrap().offers.is_empty());
    let t = a.client.transcript(session.id).await.unwrap();
    assert_eq!(
        t.messages.iter().map(|m| (m.author, m.body.as_str())).collect::<Vec<_>>()[1],
        (Author::Customer, "I want to change my address")
    );
    assert_eq!(t.messages[0].author, Author::Bot);

    // R21: call controls in the session.
    assert_eq!(session.call, Some(CallState::Connected));
    assert_eq!(a.client.call_control(session.id, CallAction::Hold).await.unwrap().call, Some(CallState::OnHold));
    assert_eq!(a.client.call_control(session.id, CallAction::Resume).await.unwrap().call, Some(CallState::Connected));

    // The caller hangs up: the session closes.
    let (status, _) =
        twilio(&ws, "/channels/twilio/voice/status", &call("CA100", &[("CallStatus", "completed"), ("CallDuration", "73")]), true).await;
    assert_eq!(status, 200);
    next_where(&mut sub, |e| matches!(e, AgentEvent::SessionClosed { session: s, .. } if *s == session.id).then_some(())).await;
    let t = a.client.transcript(session.id).await.unwrap();
    assert_eq!(t.messages.last().unwrap().body, "The call ended (completed).");
    // A retried callback changes nothing.
    assert_eq!(twilio(&ws, "/channels/twilio/voice/status", &call("CA100", &[("CallStatus", "completed")]), true).await.0, 200);
    assert_eq!(a.client.transcript(session.id).await.unwrap().messages.len(), t.messages.len());
}

#[tokio::test]
async fn r03_r25_a_caller_who_hangs_up_while_offered_withdraws_the_offer() {
    let fake = FakeTwilio::start(vec![]).await;
    let ws = workspace(&fake).await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    twilio(&ws, "/channels/twilio/voice", &call("CA200", &[("CallStatus", "ringing")]), true).await;
    let (status, _) = twilio(&ws, "/channels/twilio/voice/gathered", &call("CA200", &[("Digits", "2")]), true).await;
    assert_eq!(status, 200);
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.fields.iter().find(|f| f.label == "Reason").unwrap().value, "Orders", "the menu choice, in words");
    twilio(&ws, "/channels/twilio/voice/status", &call("CA200", &[("CallStatus", "canceled")]), true).await;
    assert_eq!(next_offer_end(&mut sub).await, (offer.id, OfferState::Withdrawn));
    assert_eq!(a.client.accept(offer.id).await.unwrap_err().status(), Some(409));

    // Hung up during the bot step: nothing is routed, nothing fails.
    twilio(&ws, "/channels/twilio/voice", &call("CA300", &[("CallStatus", "ringing")]), true).await;
    assert_eq!(twilio(&ws, "/channels/twilio/voice/status", &call("CA300", &[("CallStatus", "completed")]), true).await.0, 200);
    assert!(a.client.me().await.unwrap().offers.is_empty());
}

#[tokio::test]
async fn r03_voice_webhooks_need_the_signature() {
    let fake = FakeTwilio::start(vec![]).await;
    let ws = workspace(&fake).await;
    let team = ws.team(1).await;
    for path in ["/channels/twilio/voice", "/channels/twilio/voice/gathered", "/channels/twilio/voice/status"] {
        let p = call("CA400", &[("CallStatus", "completed"), ("SpeechResult", "hi")]);
        assert_eq!(twilio(&ws, path, &p, false).await.0, 403, "{path}");
    }
    assert!(team.agents[0].client.me().await.unwrap().offers.is_empty());
}
