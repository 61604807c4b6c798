//! Why was this offer missed? (the never-miss issue, item 4): each offer keeps a timeline —
//! offered, shown, what the agent's app reported, expired, and to whom the item went next. The
//! agent reads their own; a supervisor anyone's; nobody else.

use herald_e2e::*;
use herald_protocol::*;

use herald_e2e::api_error as api;

#[tokio::test]
async fn a_missed_offer_s_timeline_says_what_happened_and_who_got_it_next() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let (a, b, sup) = (&team.agents[0], &team.agents[1], &team.supervisor);
    ws.template(Scenario::Chat, |t| t.timeout_secs = TimeoutSecs::parse(1).unwrap()).await;
    b.client.set_presence(Presence { base: BasePresence::Away, custom: None }).await.unwrap();
    let mut mine = a.subscribe().await;
    let mut theirs = b.subscribe().await;
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let offer = next_offer(&mut mine).await;
    a.client.displayed(offer.id).await.unwrap();
    a.client.note(offer.id, NoteKind::ToastDismissed, "closed by the person").await.unwrap();
    let (status, e) = api(a.client.note(offer.id, NoteKind::SoundPlayed, &"x".repeat(201)).await.unwrap_err());
    assert_eq!((status, e.field.as_deref()), (400, Some("detail")));
    assert_eq!(api(sup.client.note(offer.id, NoteKind::ToastClicked, "").await.unwrap_err()).0, 403, "only the agent reports");

    // Nobody answers: it times out (1 s) and goes to Bea once she is back.
    b.client.set_presence(Presence { base: BasePresence::Available, custom: None }).await.unwrap();
    let ended = next_offer_end(&mut mine).await;
    assert_eq!(ended, (offer.id, OfferState::TimedOut));
    let next = next_offer(&mut theirs).await;
    assert_eq!(next.work_item, item.id);

    let t = a.client.timeline(offer.id).await.unwrap();
    assert_eq!(t.offer.id, offer.id);
    let kinds: Vec<TimelineKind> = t.steps.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        vec![TimelineKind::Offered, TimelineKind::Shown, TimelineKind::ToastDismissed, TimelineKind::TimedOut, TimelineKind::OfferedNext]
    );
    assert!(t.steps.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    let dismissed = &t.steps[2];
    assert_eq!((dismissed.agent, dismissed.detail.as_str()), (Some(a.id), "closed by the person"));
    assert_eq!(t.steps[4].agent, Some(b.id), "it went on to Bea");

    assert_eq!(sup.client.timeline(offer.id).await.unwrap(), t, "a supervisor sees anyone's");
    assert_eq!(api(b.client.timeline(offer.id).await.unwrap_err()).0, 403, "not another agent's");
    assert_eq!(api(a.client.timeline(OfferId(999_999)).await.unwrap_err()).0, 404);
    // Bea's offer is still pending: its timeline so far.
    let pending = b.client.timeline(next.id).await.unwrap();
    assert_eq!(pending.steps.iter().map(|s| s.kind).collect::<Vec<_>>(), vec![TimelineKind::Offered]);
}
