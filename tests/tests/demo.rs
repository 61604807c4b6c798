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
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{}", ws.port)).await.unwrap();
    let config = herald_workspace::Config {
        database_url: format!("sqlite://{}", ws.dir.path().join("workspace.db").display()),
        admin_token: Some(ADMIN_TOKEN.into()),
        demo: Some(DemoConfig { colleagues: 1, per_minute: 1.0, ..Default::default() }),
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
