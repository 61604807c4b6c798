//! The demo the README's run command shows: a seeded team, live traffic, busy colleagues.

use herald_e2e::*;
use herald_protocol::*;
use herald_workspace::demo::DemoConfig;

#[tokio::test]
async fn demo_seeds_a_team_and_sends_traffic_to_the_person() {
    let ws = TestWorkspace::start_with(|c| c.demo = Some(DemoConfig { colleagues: 2, per_minute: 600.0, ..Default::default() })).await;
    let demo = ws.demo().expect("demo seeded").clone();
    let me = ws.client(&demo.me_token);
    let mut sub = me.subscribe(0, Default::default());
    // Traffic reaches the person's agent.
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.agent, demo.me);
    assert!(!offer.customer.name.is_empty());
    // The simulated colleagues take work and the supervisor sees the team.
    let sup = ws.client(&demo.supervisor_token);
    let busy = within(async {
        loop {
            let team = sup.team().await.unwrap();
            if team.iter().any(|r| demo.colleagues.contains(&r.id) && r.open_sessions > 0) {
                return team;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(busy.iter().filter(|r| r.role == Role::Agent).count(), 3);
}

#[tokio::test]
async fn demo_restarts_with_the_same_team_and_fresh_tokens() {
    let mut ws = TestWorkspace::start_with(|c| c.demo = Some(DemoConfig { colleagues: 1, per_minute: 1.0, ..Default::default() })).await;
    let first = ws.demo().unwrap().clone();
    ws.kill().await;
    ws.release_port();
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{}", ws.port)).await.unwrap();
    let config = herald_workspace::Config {
        database_url: ws.database_url().into(),
        admin_token: Some(ADMIN_TOKEN.into()),
        demo: Some(DemoConfig { colleagues: 1, per_minute: 1.0, ..Default::default() }),
        limits: Default::default(),
        retention: Default::default(),
        metrics_token: None,
    };
    let running = herald_workspace::start(config, listener).await.unwrap();
    let second = running.demo.clone().unwrap();
    assert_eq!((second.me, second.queue, &second.colleagues), (first.me, first.queue, &first.colleagues), "same team");
    assert_ne!(second.me_token, first.me_token);
    let me = ws.client(&second.me_token).me().await.unwrap();
    assert_eq!(me.agent.id, first.me);
    assert_eq!(ws.admin.queues().await.unwrap().len(), 1, "not seeded twice");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn r10_demo_customers_say_something_and_answer_the_person() {
    let ws = TestWorkspace::start_with(|c| c.demo = Some(DemoConfig { colleagues: 1, per_minute: 120.0, ..Default::default() })).await;
    let demo = ws.demo().expect("demo seeded").clone();
    let me = ws.client(&demo.me_token);
    let mut sub = me.subscribe(0, Default::default());
    let offer = loop {
        let o = next_offer(&mut sub).await;
        let talks = matches!(o.scenario, Scenario::Chat | Scenario::Sms | Scenario::Voice);
        if talks && o.state == OfferState::Pending && o.actions.contains(&OfferAction::Accept) {
            break o;
        }
        // Anything else is answered at once: a pending offer the person leaves alone would
        // hold them (and its deadline is longer than this test).
        if o.state == OfferState::Pending {
            // (An offer may end meanwhile — a customer leaves: then there is nothing to answer.)
            if o.actions.contains(&OfferAction::Reject) {
                if me.reject(o.id).await.is_ok() {
                    me.reset_my_presence().await.unwrap();
                }
            } else if let Ok(s) = me.accept(o.id).await {
                let _ = me.close_session(s.id).await;
            }
        }
    };
    let session = me.accept(offer.id).await.unwrap();
    let t = me.transcript(session.id).await.unwrap();
    assert!(t.messages.iter().any(|m| m.author == Author::Customer), "the customer said something: {:?}", t.messages);
    me.send_message(session.id, "Hello! How can I help?").await.unwrap();
    let answer = next_where(&mut sub, |e| match e {
        AgentEvent::MessageAdded(m) if m.author == Author::Customer && m.work_item == session.conversation_id() => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!(answer.body, "Thanks! It is order 4711.");
}
