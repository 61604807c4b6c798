//! R25 end to end: a chat that everyone rejected is not stranded. It comes back to the agent
//! after the re-offer cool-down (once their presence allows work, R29), and supervisors see it
//! waiting meanwhile, live.

use herald_e2e::*;
use herald_protocol::*;

async fn presence_becomes(sub: &mut herald_client::Subscription, base: BasePresence) {
    next_where(sub, |e| matches!(e, AgentEvent::PresenceChanged { presence, .. } if presence.base == base).then_some(())).await;
}

async fn queue_count(sub: &mut herald_client::Subscription, queue: QueueId) -> u32 {
    next_where(sub, |e| match e {
        AgentEvent::QueueChanged { queue: q, waiting } if *q == queue => Some(*waiting),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn r25_a_rejected_chat_is_offered_again_to_the_only_agent() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let (a, sup) = (&team.agents[0], &team.supervisor);
    ws.template(Scenario::Chat, |t| t.reject_allowed = true).await;
    ws.settings(|s| {
        s.agent_reject = true;
        s.reoffer_after_secs = 1;
    })
    .await;
    let mut sa = a.subscribe().await;
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let first = next_offer(&mut sa).await;
    assert_eq!(first.work_item, item.id);
    a.client.reject(first.id).await.unwrap();
    presence_becomes(&mut sa, BasePresence::BusyDnd).await; // R28
    // Do Not Disturb: it waits (R29), and the supervisor sees it; an agent may not look.
    let waiting = sup.client.waiting(team.queue).await.unwrap();
    assert_eq!(waiting.iter().map(|w| w.work_item).collect::<Vec<_>>(), vec![item.id]);
    assert_eq!(waiting[0].customer.name, "Ada");
    assert_eq!(a.client.waiting(team.queue).await.unwrap_err().status(), Some(403));
    // The agent is back: the same chat comes to them again.
    a.client.set_presence(Presence { base: BasePresence::Available, custom: None }).await.unwrap();
    let again = next_offer(&mut sa).await;
    assert_eq!((again.work_item, again.agent), (item.id, a.id));
    assert_ne!(again.id, first.id);
    a.client.accept(again.id).await.unwrap();
    assert!(sup.client.waiting(team.queue).await.unwrap().is_empty());
}

#[tokio::test]
async fn r25_supervisors_watch_waiting_work_and_the_cool_down_is_a_setting() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let (a, sup) = (&team.agents[0], &team.supervisor);
    ws.template(Scenario::Chat, |t| t.reject_allowed = true).await;
    ws.settings(|s| s.reoffer_after_secs = 600).await;
    let mut sa = a.subscribe().await;
    let mut ssup = sup.subscribe().await;
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let first = next_offer(&mut sa).await;
    a.client.reject(first.id).await.unwrap();
    assert_eq!(queue_count(&mut ssup, team.queue).await, 1, "the live view hears it wait");
    let waiting = sup.client.waiting(team.queue).await.unwrap();
    assert_eq!(waiting.len(), 1);
    let w = &waiting[0];
    assert_eq!((w.work_item, w.scenario, w.channel), (item.id, Scenario::Chat, Channel::Chat));
    assert_eq!(w.declined_by, vec![a.id]);
    assert!(w.queued_since >= w.created_at);
    assert_eq!(w.reoffer_at, Some(w.queued_since.plus_secs(600)));
    assert_eq!(ws.admin.waiting(team.queue).await.unwrap().len(), 1, "admins see it too");
    assert_eq!(sup.client.waiting(QueueId(999_999)).await.unwrap_err().status(), Some(404));
    // Available, but within the cool-down: nothing yet.
    assert!(a.client.me().await.unwrap().offers.is_empty());
    // A shorter cool-down applies to what already waits.
    ws.settings(|s| s.reoffer_after_secs = 1).await;
    let again = next_offer(&mut sa).await;
    assert_eq!((again.work_item, again.agent), (item.id, a.id));
    assert_eq!(queue_count(&mut ssup, team.queue).await, 0);
    assert!(sup.client.waiting(team.queue).await.unwrap().is_empty());
    let bad = ws.admin.put_settings(&Settings { reoffer_after_secs: 0, ..ws.admin.settings().await.unwrap() }).await.unwrap_err();
    assert_eq!(bad.status(), Some(400));
}
