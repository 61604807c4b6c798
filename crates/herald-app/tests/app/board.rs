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

/// Why was it missed? The agent dismisses the toast, nobody answers, and the app shows the
/// offer's timeline from the workspace: offered, shown, the toast closed, timed out.
#[tokio::test]
async fn a_missed_offer_s_timeline_shows_what_the_toast_went_through() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    ws.template(Scenario::Chat, |t| t.timeout_secs = TimeoutSecs::parse(1).unwrap()).await;
    ws.settings(|s| s.missed_notifications = true).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Always).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let key = toast_count(&r.toasts, 1).await.shown[0].key;
    r.toasts.click(UserAction::Dismissed(key));
    let s = r.host.wait("the miss", |s| s.missed_offer == Some(OfferId(key)) && s.me.as_ref().is_some_and(|m| m.banner.is_some())).await;
    assert_eq!(s.me.unwrap().banner.unwrap().reason, BlockReason::Missed);
    r.app.command(Command::ShowTimeline { offer: OfferId(key) }).await.unwrap();
    let s = r.host.wait("the timeline", |s| s.timeline.is_some()).await;
    let kinds: Vec<TimelineKind> = s.timeline.unwrap().steps.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, vec![TimelineKind::Offered, TimelineKind::Shown, TimelineKind::ToastDismissed, TimelineKind::TimedOut]);
}
