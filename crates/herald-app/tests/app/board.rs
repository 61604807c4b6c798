//! A supervisor's queue board in the app, against a real workspace: who waits shows up live,
//! and sending the customer to a chosen agent reaches that agent; the board follows.

use super::*;

#[tokio::test]
async fn a_supervisor_sees_who_waits_live_and_sends_them_to_an_agent() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    a.client.set_presence(Presence { base: BasePresence::Away, custom: None }).await.unwrap();
    let mut mine = a.subscribe().await;
    let sup = rig(&ws, &team.supervisor.token, NotificationMode::Off).await;
    let empty = sup.host.wait("the board", |s| s.board.iter().any(|q| q.line.queue == team.queue)).await;
    assert_eq!(empty.board.iter().find(|q| q.line.queue == team.queue).unwrap().line.waiting, 0);

    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let s = sup
        .host
        .wait("the customer waits on the board", |s| {
            s.board.iter().any(|q| q.line.queue == team.queue && q.waiting.iter().any(|w| w.work_item == item.id))
        })
        .await;
    let line = &s.board.iter().find(|q| q.line.queue == team.queue).unwrap().line;
    assert_eq!((line.waiting, line.offers_out), (1, 0));

    let refused = sup.app.command(Command::Direct { item: WorkItemId(999_999), agent: a.id, how: Direction::Offer }).await.unwrap_err();
    assert_eq!(refused.code, Some(ErrorCode::NotFound), "{refused:?}");
    sup.app.command(Command::Direct { item: item.id, agent: a.id, how: Direction::Offer }).await.unwrap();
    let offer = herald_e2e::next_offer(&mut mine).await;
    assert_eq!(offer.work_item, item.id);
    sup.host
        .wait("the board follows", |s| {
            s.board.iter().any(|q| q.line.queue == team.queue && q.line.waiting == 0 && q.line.offers_out == 1 && q.waiting.is_empty())
        })
        .await;
}
