//! R10: messages in sessions — durable, ordered, in the agent's event log, sent by the agent.

use herald_e2e::*;
use herald_protocol::*;

fn chat(queue: QueueId, name: &str) -> NewConversation {
    NewConversation {
        scenario: Scenario::Chat,
        channel: None,
        queue,
        customer_name: name.into(),
        phone: None,
        context: Default::default(),
        target_agent: None,
    }
}

#[tokio::test]
async fn r10_the_agent_writes_in_the_session_and_the_transcript_keeps_it_in_order() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    ws.admin.new_conversation(&chat(team.queue, "Ada")).await.unwrap();
    let offer = next_offer(&mut sub).await;
    let session = a.client.accept(offer.id).await.unwrap();

    let first = a.client.send_message(session.id, "  Hello Ada, how can I help?  ").await.unwrap();
    assert_eq!((first.author, first.body.as_str(), first.work_item), (Author::Agent, "Hello Ada, how can I help?", session.work_item));
    assert_eq!(first.author_name, "Agent 0");
    assert_eq!(first.delivery, None, "a chat reads the transcript itself");
    assert_eq!(next_message(&mut sub).await, first, "the message is in the agent's log");
    let second = a.client.send_message(session.id, "Still there?").await.unwrap();
    assert!(second.id > first.id);

    let t = a.client.transcript(session.id).await.unwrap();
    assert_eq!(t.session.id, session.id);
    assert_eq!(t.messages, vec![first.clone(), second.clone()]);
    // A supervisor may read it too.
    assert_eq!(team.supervisor.client.transcript(session.id).await.unwrap().messages.len(), 2);

    let empty = a.client.send_message(session.id, "   ").await.unwrap_err();
    assert_eq!((empty.status(), empty.code()), (Some(400), Some(ErrorCode::InvalidInput)));
    let (status, body) =
        a.client.raw(reqwest::Method::POST, &format!("/v1/sessions/{}/messages", session.id.0), Some("{\"text\":1}")).await.unwrap();
    assert_eq!(status, 400);
    // An unknown field is named (it is refused, not ignored while `body` goes missing).
    let err = serde_json::from_str::<ApiError>(&body).unwrap();
    assert_eq!(err.field.as_deref(), Some("text"), "{err:?}");
    assert!(err.message.contains("unknown field"), "{err:?}");
    let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
    assert_eq!(a.client.send_message(session.id, &long).await.unwrap_err().status(), Some(400));
}

#[tokio::test]
async fn r10_only_the_sessions_agent_writes_and_not_after_it_closed() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let mut s0 = team.agents[0].subscribe().await;
    let mut s1 = team.agents[1].subscribe().await;
    ws.admin.new_conversation(&chat(team.queue, "Ada")).await.unwrap();
    let (holder, other, offer) = tokio::select! {
        o = next_offer(&mut s0) => (&team.agents[0], &team.agents[1], o),
        o = next_offer(&mut s1) => (&team.agents[1], &team.agents[0], o),
    };
    let session = holder.client.accept(offer.id).await.unwrap();
    holder.client.send_message(session.id, "Hi").await.unwrap();

    let err = other.client.send_message(session.id, "Me too").await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(403), Some(ErrorCode::Forbidden)));
    assert_eq!(other.client.transcript(session.id).await.unwrap_err().status(), Some(403), "no reading others' chats");
    assert_eq!(holder.client.send_message(SessionId(999_999), "?").await.unwrap_err().status(), Some(404));

    holder.client.close_session(session.id).await.unwrap();
    let err = holder.client.send_message(session.id, "Bye").await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(409), Some(ErrorCode::WrongState)));
    let t = holder.client.transcript(session.id).await.unwrap();
    assert_eq!(t.session.state, SessionState::Closed, "a closed session's transcript stays readable");
    assert_eq!(t.messages.len(), 1);
}

#[tokio::test]
async fn r10_r33_messages_survive_a_restart_and_a_resumed_stream() {
    let mut ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    ws.admin.new_conversation(&chat(team.queue, "Ada")).await.unwrap();
    let offer = next_offer(&mut sub).await;
    let session = a.client.accept(offer.id).await.unwrap();
    let before = a.client.send_message(session.id, "before the restart").await.unwrap();
    drop(sub);

    ws.restart().await;
    let after = a.client.send_message(session.id, "after the restart").await.unwrap();
    assert!(after.id > before.id, "ids keep growing across restarts");
    // A fresh subscription from the start of the log replays both, in order, once.
    let mut sub = a.subscribe().await;
    assert_eq!(next_message(&mut sub).await, before);
    assert_eq!(next_message(&mut sub).await, after);
    assert_eq!(a.client.transcript(session.id).await.unwrap().messages, vec![before, after]);
}
