//! R8: a bot hands a running chat to a human with its transcript, through an integration token,
//! then relays the chat both ways.

use herald_e2e::*;
use herald_protocol::*;
use std::time::Duration;

fn escalation(conversation_id: &str) -> BotEscalation {
    BotEscalation {
        conversation_id: conversation_id.into(),
        customer_name: "Ada".into(),
        phone: Some("+31 6 1234 5678".into()),
        summary: "Refund for order 42".into(),
        bot_name: Some("Refund bot".into()),
        queue: None,
        context: [("orderId".to_string(), "42".to_string())].into_iter().collect(),
        transcript: vec![
            BotLine { author: Author::Customer, body: "I want a refund for order 42".into() },
            BotLine { author: Author::Bot, body: "I cannot do refunds; let me find a human.".into() },
        ],
    }
}

#[tokio::test]
async fn r08_a_bot_hands_over_with_its_transcript_and_relays_the_chat() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let ada =
        ws.admin.create_contact(&ContactInput { name: "Ada Lovelace".into(), mobile_phone: Some("+31612345678".into()) }).await.unwrap();
    let issued = ws.admin.create_integration("Refund bot").await.unwrap();
    assert!(issued.token.starts_with("hrldi_"));
    let bot = ws.client(&issued.token);
    let mut sub = a.subscribe().await;

    let item = bot.escalate(&escalation("chat-7")).await.unwrap();
    assert_eq!(item.scenario, Scenario::BotEscalation);
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.work_item, item.id);
    assert_eq!(offer.customer.contact, Some(ada.id));
    assert_eq!(offer.fields.iter().find(|f| f.label == "Summary").unwrap().value, "Refund for order 42", "R8: what the bot gathered");
    assert_eq!(bot.escalate(&escalation("chat-7")).await.unwrap().id, item.id, "a retry is the same hand-over");

    let session = a.client.accept(offer.id).await.unwrap();
    assert_eq!(session.context.get("orderId").map(String::as_str), Some("42"));
    let t = a.client.transcript(session.id).await.unwrap();
    let lines: Vec<_> = t.messages.iter().map(|m| (m.author, m.author_name.as_str())).collect();
    assert_eq!(lines, [(Author::Customer, "Ada"), (Author::Bot, "Refund bot"), (Author::System, "Herald")]);
    assert_eq!(t.messages[2].body, "Refund bot handed this conversation to a human: Refund for order 42");

    // The bot relays the customer; the agent's reply goes back through the bot.
    let relayed = bot.relay(item.id, "Are you there?").await.unwrap();
    let m = next_where(&mut sub, |e| match e {
        AgentEvent::MessageAdded(m) if m.author == Author::Customer => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!(m, relayed);
    let waiting = tokio::spawn({
        let bot = bot.clone();
        async move { bot.bot_messages(item.id, relayed.id.0, Duration::from_secs(10)).await.unwrap() }
    });
    let reply = a.client.send_message(session.id, "Yes, Ada: the refund is on its way.").await.unwrap();
    assert_eq!(within(waiting).await.unwrap(), vec![reply], "the long poll wakes with the agent's reply");

    a.client.close_session(session.id).await.unwrap();
    assert_eq!(bot.relay(item.id, "Thanks!").await.unwrap_err().status(), Some(409), "ended");
}

#[tokio::test]
async fn r08_integration_tokens_are_their_own_kind() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let one = ws.admin.create_integration("Bot one").await.unwrap();
    let two = ws.admin.create_integration("Bot two").await.unwrap();
    let (b1, b2) = (ws.client(&one.token), ws.client(&two.token));
    let item = b1.escalate(&escalation("x")).await.unwrap();

    assert_eq!(b2.relay(item.id, "hi").await.unwrap_err().status(), Some(403), "another bot's conversation");
    assert_eq!(b2.bot_messages(item.id, 0, Duration::ZERO).await.unwrap_err().status(), Some(403));
    assert_eq!(b1.me().await.unwrap_err().status(), Some(401), "an integration is not an agent");
    assert_eq!(team.agents[0].client.escalate(&escalation("y")).await.unwrap_err().status(), Some(401), "agents are not bots");
    assert_eq!(ws.admin.escalate(&escalation("y")).await.unwrap_err().status(), Some(401), "admins neither");

    let mut bad = escalation("z");
    bad.summary = " ".into();
    let e = b1.escalate(&bad).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(400), Some(ErrorCode::InvalidInput)));
    let mut bad = escalation("z");
    bad.transcript[0].author = Author::Agent;
    let e = b1.escalate(&bad).await.unwrap_err();
    assert_eq!(e.status(), Some(400));

    let listed = ws.admin.integrations().await.unwrap();
    assert_eq!(listed.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["Bot one", "Bot two"]);
    ws.admin.revoke_integration(one.integration.id).await.unwrap();
    assert_eq!(b1.escalate(&escalation("z")).await.unwrap_err().status(), Some(401), "revoked");
    assert_eq!(ws.admin.revoke_integration(one.integration.id).await.unwrap_err().status(), Some(404));
}
