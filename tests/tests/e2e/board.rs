//! The supervisors' queue board and the rescue (the organisation issue, item 4): per queue who
//! waits and for how long, the offers out, the members by presence — and a supervisor sending a
//! customer nobody takes to a chosen agent, as an offer or assigned. Live: the supervisor's
//! stream says when the board changed.

use herald_e2e::*;
use herald_protocol::*;

async fn queue_count(sub: &mut herald_client::Subscription, queue: QueueId) -> u32 {
    next_where(sub, |e| match e {
        AgentEvent::QueueChanged { queue: q, waiting } if *q == queue => Some(*waiting),
        _ => None,
    })
    .await
}

use herald_e2e::api_error as api;

#[tokio::test]
async fn a_supervisor_sees_who_waits_and_sends_a_stranded_customer_to_a_chosen_agent() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let (a, b, sup) = (&team.agents[0], &team.agents[1], &team.supervisor);
    for p in [a, b] {
        p.client.set_presence(Presence { base: BasePresence::Away, custom: None }).await.unwrap();
    }
    let mut watch = sup.subscribe().await;
    let mut mine = a.subscribe().await;
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    assert_eq!(queue_count(&mut watch, team.queue).await, 1, "the board hears a customer waits");

    let board = sup.client.board().await.unwrap();
    let line = board.iter().find(|l| l.queue == team.queue).expect("the team's queue is on the board");
    assert_eq!((line.name.as_str(), line.waiting, line.offers_out), ("Support", 1, 0));
    assert_eq!(line.agents, vec![PresenceCount { presence: BasePresence::Away, agents: 2 }]);
    assert_eq!(line.connected, 1, "only Agent 0's app is connected");
    assert!(line.longest_wait_secs < 60);
    assert_eq!(api(a.client.board().await.unwrap_err()).0, 403, "R30: supervisors only");

    // Nobody may take it (everyone is Away): the supervisor sends it to Agent 0.
    assert_eq!(api(a.client.direct(item.id, a.id, Direction::Offer).await.unwrap_err()).0, 403);
    let done = sup.client.direct(item.id, a.id, Direction::Offer).await.unwrap();
    assert_eq!((done.work_item, done.agent), (item.id, a.id));
    let offer = next_offer(&mut mine).await;
    assert_eq!(offer.work_item, item.id);
    assert_eq!(queue_count(&mut watch, team.queue).await, 0);
    let line = sup.client.board().await.unwrap().into_iter().find(|l| l.queue == team.queue).unwrap();
    assert_eq!((line.waiting, line.offers_out, line.longest_wait_secs), (0, 1, 0));

    // Refusals say why, and change nothing.
    let (status, e) = api(sup.client.direct(item.id, b.id, Direction::Offer).await.unwrap_err());
    assert_eq!((status, e.code), (409, ErrorCode::WrongState));
    assert!(e.message.contains("not waiting"), "{}", e.message);
    let second = ws.request(team.queue, Scenario::Chat, "Bea").await;
    b.client.set_presence(Presence { base: BasePresence::Offline, custom: None }).await.unwrap();
    let (status, e) = api(sup.client.direct(second.id, b.id, Direction::Offer).await.unwrap_err());
    assert_eq!(status, 409);
    assert!(e.message.contains("offline"), "{}", e.message);
    let (status, e) = api(sup.client.direct(second.id, a.id, Direction::Offer).await.unwrap_err());
    assert_eq!(status, 409, "one offer at a time");
    assert!(e.message.contains("already has an offer"), "{}", e.message);
    let (status, _) = api(sup.client.direct(WorkItemId(999_999), a.id, Direction::Offer).await.unwrap_err());
    assert_eq!(status, 404);

    // Assigned: the session is the agent's at once, whatever they answer to the other offer.
    sup.client.direct(second.id, a.id, Direction::Assign).await.unwrap();
    let session = next_where(&mut mine, |e| match e {
        AgentEvent::SessionOpened(s) if s.work_item == second.id => Some(s.clone()),
        _ => None,
    })
    .await;
    assert_eq!(session.state, SessionState::Assigned);

    let audit = ws.admin.audit(None, 50, Some("directed")).await.unwrap();
    assert_eq!(audit.entries.len(), 2, "both rescues are in the audit log");
    assert!(audit.entries.iter().all(|e| e.actor == Some(sup.id)));
}
