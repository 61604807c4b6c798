//! kill -9 and restart: offers re-armed, nothing lost, nothing doubled.

use herald_client::SubscribeOptions;
use herald_e2e::*;
use herald_protocol::*;
use std::time::Duration;

fn quick() -> SubscribeOptions {
    SubscribeOptions { initial_backoff: Duration::from_millis(50), max_backoff: Duration::from_millis(500), ..SubscribeOptions::default() }
}

#[tokio::test]
async fn kill_9_and_restart_loses_nothing_and_doubles_nothing() {
    let mut ws = TestWorkspace::spawn_process().await;
    let team = ws.team(2).await;
    let (a, b) = (&team.agents[0], &team.agents[1]);
    ws.template(Scenario::Chat, |t| t.timeout_secs = TimeoutSecs::parse(2).unwrap()).await;
    ws.template(Scenario::Sms, |t| t.timeout_secs = TimeoutSecs::parse(300).unwrap()).await;
    let mut sa = a.subscribe_with(quick()).await;
    let mut sb = b.subscribe_with(quick()).await;

    // A has an open session; B has a pending offer with a long deadline.
    ws.request(team.queue, Scenario::Sms, "Session customer").await;
    let o1 = next_offer(&mut sa).await;
    let session = a.client.accept(o1.id).await.unwrap();
    ws.request(team.queue, Scenario::Sms, "Waiting customer").await;
    let o2 = next_offer(&mut sb).await;
    b.client.displayed(o2.id).await.unwrap();
    // Then a chat: B holds an offer, so A gets it; its 2 s deadline is re-armed after the crash.
    let chat = ws.request(team.queue, Scenario::Chat, "Queued customer").await;

    ws.kill().await; // SIGKILL: no shutdown path runs
    ws.restart().await;

    // Everything is where it was.
    let me_a = a.client.me().await.unwrap();
    assert_eq!(me_a.sessions.iter().map(|s| s.id).collect::<Vec<_>>(), [session.id]);
    let me_b = b.client.me().await.unwrap();
    assert_eq!(me_b.offers.iter().map(|o| (o.id, o.deadline)).collect::<Vec<_>>(), [(o2.id, o2.deadline)], "offer re-armed");
    b.client.accept(o2.id).await.unwrap();
    let chat_offer = next_where(&mut sa, |e| match e {
        AgentEvent::OfferCreated(o) if o.work_item == chat.id => Some(o.clone()),
        _ => None,
    })
    .await;
    // Its deadline fires (armed again from the store) and the item moves on.
    assert_eq!(next_offer_end(&mut sa).await, (chat_offer.id, OfferState::TimedOut));

    // The subscriptions saw every entry exactly once, in order: compare with the log itself.
    for (p, sub) in [(a, &mut sa), (b, &mut sb)] {
        let log = p.client.poll(0, Duration::ZERO).await.unwrap();
        assert_eq!(log.events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=log.last_seq).collect::<Vec<_>>(), "contiguous log");
        while sub.last_seq() < log.last_seq {
            within(sub.next()).await.unwrap();
        }
        assert_eq!(sub.last_seq(), log.last_seq, "caught up, nothing beyond the log");
    }
    ws.stop().await;
}

#[tokio::test]
async fn subscription_delivers_each_entry_once_across_a_crash() {
    let mut ws = TestWorkspace::spawn_process().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    ws.template(Scenario::Chat, |t| t.auto_accept = true).await;
    let mut sub = a.client.subscribe(0, quick());
    let mut seqs = Vec::new();
    for round in 0..3 {
        for i in 0..5 {
            ws.request(team.queue, Scenario::Chat, &format!("r{round} c{i}")).await;
        }
        let target = a.client.me().await.unwrap().last_seq;
        while sub.last_seq() < target {
            let e = within(sub.next()).await.unwrap();
            seqs.push(e.seq);
        }
        ws.kill().await;
        ws.restart().await;
    }
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "in order, no gaps, no repeats");
    let log = a.client.poll(0, Duration::ZERO).await.unwrap();
    assert_eq!(log.last_seq, seqs.len() as u64);
    ws.stop().await;
}
