//! R1, R10 as a customer sees them: headless Chromium (playwright-core driving the system's
//! /usr/bin/chromium; no browser is downloaded) opens the chat page, answers the pre-chat
//! questions, waits, and exchanges messages with an agent driven through herald-client.
//! Screenshots go to target/test-artifacts/webchat/.
//!
//! The node tooling lives in tests/webchat ([`herald_e2e::browser_tools`]).

use herald_e2e::*;
use herald_protocol::*;
use std::path::PathBuf;
use std::process::Stdio;

async fn next_customer_message(sub: &mut herald_client::Subscription) -> Message {
    next_where(sub, |e| match e {
        AgentEvent::MessageAdded(m) if m.author == Author::Customer => Some(m.clone()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn r01_r10_a_customer_in_a_real_browser_chats_with_an_agent() {
    let tools = browser_tools();
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    ws.template(Scenario::Chat, |t| t.fields = vec![TemplateField { label: "Topic".into(), value: "{topic}".into() }]).await;
    let mut sub = a.subscribe().await;

    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifacts/webchat");
    let mut customer = tokio::process::Command::new("node")
        .arg("customer.mjs")
        .current_dir(&tools)
        .env("HERALD_URL", &ws.url)
        .env("ARTIFACTS", &artifacts)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");

    // The customer says where they are on stdout ("customer: <step>"); the agent acts on that,
    // so the customer sees "waiting" before anyone accepts.
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(customer.stdout.take().unwrap()));
    let mut customer_reached = async |step: &str| {
        let want = format!("customer: {step}");
        within(async {
            while let Some(line) = lines.next_line().await.unwrap() {
                println!("{line}");
                if line == want {
                    return;
                }
            }
            panic!("the customer's browser exited before {want:?}");
        })
        .await
    };
    let offer = next_offer(&mut sub).await;
    customer_reached("waiting").await;
    assert_eq!(offer.customer.name, "Ada");
    assert_eq!(offer.fields[0].value, "My bill", "the pre-chat answer is on the offer");
    let session = a.client.accept(offer.id).await.unwrap();

    let hi = next_customer_message(&mut sub).await;
    assert_eq!(hi.body, "Hi, I was charged twice");
    a.client.send_message(session.id, "Sorry about that, Ada. Let me look.").await.unwrap();
    let reloaded = next_customer_message(&mut sub).await;
    assert_eq!(reloaded.body, "I reloaded the page");
    a.client.send_message(session.id, "The refund is on its way.").await.unwrap();
    a.client.close_session(session.id).await.unwrap();
    customer_reached("done").await;

    let status = tokio::time::timeout(WAIT * 2, customer.wait()).await.expect("the customer finishes").unwrap();
    assert!(status.success(), "the customer's browser story failed");
    for shot in ["1-prechat", "2-waiting", "3-chatting", "4-ended", "5-embedded"] {
        assert!(artifacts.join(format!("{shot}.png")).exists(), "{shot}.png");
    }
    let t = a.client.transcript(session.id).await.unwrap();
    assert_eq!(t.messages.iter().map(|m| m.author).collect::<Vec<_>>(), [Author::Customer, Author::Agent, Author::Customer, Author::Agent]);
}
