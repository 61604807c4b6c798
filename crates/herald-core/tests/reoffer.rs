//! R25 without stranding: an item everyone rejected or let time out comes back to them after the
//! re-offer cool-down, within the presence rules (R29) and the session maximum (R27); supervisors
//! see what waits. (Apart from `rules.rs`, which is long enough.)

mod common;

use common::World;
use herald_core::*;

fn offers_of(w: &World, agent: AgentId, item: WorkItemId) -> Vec<Offer> {
    w.events_of(agent)
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::OfferCreated(o) if o.work_item == item => Some(o.clone()),
            _ => None,
        })
        .collect()
}

fn waiting(w: &World) -> Vec<WorkItemId> {
    w.router.waiting(w.queue).expect("known queue").into_iter().map(|i| i.id).collect()
}

#[test]
fn a_missed_item_comes_back_to_the_only_agent_after_the_cool_down() {
    // R25: one agent, missed notifications off: the agent stays Available and gets it again.
    let mut w = World::new(1);
    let a = w.agents[0];
    assert_eq!(w.router.settings().reoffer_after_secs, 30, "the default cool-down");
    let item = w.request(Scenario::Chat, "Ada");
    let first = w.offer_for(item).unwrap();
    w.advance(120);
    assert!(w.offer_for(item).is_none(), "timed out; nobody else to route it to");
    assert_eq!(w.presence(a), BasePresence::Available);
    let queued = w.router.work_item(item).unwrap();
    assert_eq!((queued.state.clone(), queued.queued_since), (WorkItemState::Queued, Some(w.now)));
    assert_eq!(w.router.reoffer_at(item), Some(w.now.plus_secs(30)));
    w.advance(29);
    assert!(w.offer_for(item).is_none(), "not within the cool-down");
    w.advance(1);
    let again = w.offer_for(item).expect("offered again after the cool-down");
    assert_eq!(again.agent, a);
    assert_ne!(again.id, first.id);
    assert_eq!(offers_of(&w, a, item).len(), 2);
    assert_eq!(w.router.work_item(item).unwrap().queued_since, None, "offered, not waiting");
    assert_eq!(w.router.reoffer_at(item), None);
}

#[test]
fn a_missed_item_waits_for_the_inactive_agent_to_be_back() {
    // R25, R24, R29: the cool-down does not override the presence the system set.
    let mut w = World::new(1);
    let a = w.agents[0];
    w.settings(|s| s.missed_notifications = true);
    let item = w.request(Scenario::Chat, "Ada");
    w.ok(Input::Displayed { agent: a, offer: w.offer_for(item).unwrap().id });
    w.advance(120);
    assert_eq!(w.presence(a), BasePresence::Inactive);
    w.advance(30);
    assert!(w.offer_for(item).is_none(), "Inactive: no work (R29)");
    assert!(w.router.work_item(item).unwrap().excluded.is_empty(), "the exclusion was lifted");
    assert_eq!(w.router.reoffer_at(item), None, "nothing more to wait for but the agent");
    w.ok(Input::ResetPresence { agent: a, by: a });
    assert_eq!(w.offer_for(item).expect("offered once the agent is back").agent, a);
}

#[test]
fn a_rejected_item_comes_back_after_the_cool_down_once_the_agent_is_available() {
    // R25, R28, R29: the issue's case — Available again 20 s after a reject, the chat follows
    // when the cool-down is over.
    let mut w = World::new(1);
    let a = w.agents[0];
    w.template(Scenario::Chat, |t| t.reject_allowed = true);
    w.settings(|s| s.agent_reject = true);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    w.ok(Input::Reject { agent: a, offer: o.id });
    assert_eq!(w.presence(a), BasePresence::BusyDnd);
    w.advance(20);
    w.ok(Input::SetPresence { agent: a, presence: Presence::base(BasePresence::Available) });
    assert!(w.offer_for(item).is_none(), "within the cool-down");
    w.advance(10);
    let again = w.offer_for(item).expect("offered again");
    assert_eq!(again.agent, a);
    assert_eq!(again.actions, vec![OfferAction::Accept, OfferAction::Reject]);
    // Still Do Not Disturb when the cool-down ends: it waits for the agent (R29).
    let item2 = w.request(Scenario::Chat, "Bob");
    w.ok(Input::Accept { agent: a, offer: again.id });
    let o2 = w.offer_for(item2).unwrap();
    w.ok(Input::Reject { agent: a, offer: o2.id });
    w.advance(60);
    assert!(w.offer_for(item2).is_none());
    w.ok(Input::ResetPresence { agent: a, by: a });
    assert_eq!(w.offer_for(item2).unwrap().agent, a);
}

#[test]
fn another_eligible_agent_gets_a_declined_item_first_without_a_cool_down() {
    // R25: routed on to the next eligible agent at once; the decliner waits behind them.
    let mut w = World::new(2);
    let (a, b) = (w.agents[0], w.agents[1]);
    w.template(Scenario::Chat, |t| t.reject_allowed = true);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    assert_eq!(o.agent, a);
    w.ok(Input::Reject { agent: a, offer: o.id });
    assert_eq!(w.offer_for(item).unwrap().agent, b, "no cool-down when someone else can take it");
    assert_eq!(w.router.reoffer_at(item), None);

    // B is busy with an offer when A declines; B answers within the cool-down and gets it.
    let mut w = World::new(2);
    let (a, b) = (w.agents[0], w.agents[1]);
    w.template(Scenario::Chat, |t| t.reject_allowed = true);
    let first = w.request(Scenario::Chat, "Ada");
    let item = w.request(Scenario::Chat, "Bob");
    assert_eq!((w.offer_for(first).unwrap().agent, w.offer_for(item).unwrap().agent), (a, b));
    w.ok(Input::Reject { agent: b, offer: w.offer_for(item).unwrap().id });
    assert_eq!(waiting(&w), vec![item], "A holds an offer, B declined");
    w.advance(10);
    w.accept(first);
    assert_eq!(w.offer_for(item).unwrap().agent, a, "A took it before the cool-down");
    w.advance(60);
    assert_eq!(offers_of(&w, b, item).len(), 1, "B was not asked again");
}

#[test]
fn the_cool_down_respects_the_session_maximum() {
    // R25, R27: an agent at the maximum is passed over; the item comes when a session closes.
    let mut w = World::new(1);
    let a = w.agents[0];
    w.template(Scenario::Chat, |t| t.reject_allowed = true);
    w.settings(|s| s.max_sessions = 2);
    let item = w.request(Scenario::Chat, "Ada");
    w.ok(Input::Reject { agent: a, offer: w.offer_for(item).unwrap().id });
    let s1 = w.request(Scenario::Chat, "Bob");
    w.accept(s1);
    let s2 = w.request(Scenario::Chat, "Cy");
    w.accept(s2);
    w.advance(30);
    assert!(w.offer_for(item).is_none(), "at the maximum");
    assert_eq!(w.presence(a), BasePresence::Available, "a waiting item does not send anyone to DND (R27)");
    let session = w.router.sessions_of(a)[0].id;
    w.ok(Input::CloseSession { agent: a, session });
    assert_eq!(w.offer_for(item).unwrap().agent, a);
}

#[test]
fn the_agent_who_handed_an_item_on_is_never_offered_it_back() {
    // R25, R6: the decliner gets it again after the cool-down, the transferring agent never.
    let mut w = World::new(2);
    let (a, b) = (w.agents[0], w.agents[1]);
    w.template(Scenario::Transfer, |t| t.reject_allowed = true);
    let item = w.request(Scenario::Chat, "Ada");
    let session = w.accept(item);
    assert_eq!(w.router.session(session).unwrap().agent, a);
    let moved = match w.ok(Input::Transfer { agent: a, session, to_queue: None, to_agent: None, kind: TransferKind::Transfer }) {
        Reply::WorkItem(id) => id,
        other => panic!("{other:?}"),
    };
    assert_eq!(w.router.work_item(moved).unwrap().from_agent, Some(a));
    let o = w.offer_for(moved).unwrap();
    assert_eq!(o.agent, b);
    w.ok(Input::Reject { agent: b, offer: o.id });
    assert!(w.offer_for(moved).is_none());
    w.advance(30);
    assert_eq!(w.offer_for(moved).expect("back to the decliner").agent, b);
    w.ok(Input::Reject { agent: b, offer: w.offer_for(moved).unwrap().id });
    w.advance(600);
    assert!(offers_of(&w, a, moved).is_empty(), "never to the agent who transferred it");
}

#[test]
fn supervisors_see_what_waits_oldest_first_and_hear_the_count() {
    // R25, R30: the waiting list and its count, live.
    let mut w = World::new(1);
    let (a, sup) = (w.agents[0], w.supervisor);
    w.ok(Input::SetPresence { agent: a, presence: Presence::base(BasePresence::Away) });
    let first = w.request(Scenario::Chat, "Ada");
    let t0 = w.now;
    w.advance(5);
    let second = w.request(Scenario::Sms, "Bob");
    assert_eq!(waiting(&w), vec![first, second]);
    let items = w.router.waiting(w.queue).unwrap();
    assert_eq!((items[0].queued_since, items[0].created_at), (Some(t0), t0));
    assert!(w.router.waiting(QueueId(999_999)).is_none(), "unknown queue");
    w.ok(Input::SetPresence { agent: a, presence: Presence::base(BasePresence::Available) });
    assert_eq!(waiting(&w), vec![second], "the oldest went first");
    w.ok(Input::CloseWorkItem { item: second });
    assert!(waiting(&w).is_empty());
    let counts: Vec<u32> = w
        .events_of(sup)
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::QueueChanged { queue, waiting } if *queue == w.queue => Some(*waiting),
            _ => None,
        })
        .collect();
    assert_eq!(counts, vec![1, 2, 1, 0]);
    assert!(!w.events_of(a).iter().any(|e| matches!(e, AgentEvent::QueueChanged { .. })), "supervisors only");
    // Routing a waiting item again without taking it off the list tells nobody.
    w.request(Scenario::Chat, "Cy");
    assert_eq!(waiting(&w).len(), 1, "A still holds the offer of the first");
    let before = w.log.len();
    w.ok(Input::SetPresence { agent: a, presence: Presence::base(BasePresence::Busy) });
    assert!(!w.log[before..].iter().any(|(_, e)| matches!(e, AgentEvent::QueueChanged { .. })), "{:?}", &w.log[before..]);
}

#[test]
fn a_restart_keeps_the_cool_down() {
    // R25: the re-offer is re-armed from what was saved.
    let mut w = World::new(1);
    let a = w.agents[0];
    w.template(Scenario::Chat, |t| t.reject_allowed = true);
    let item = w.request(Scenario::Chat, "Ada");
    w.ok(Input::Reject { agent: a, offer: w.offer_for(item).unwrap().id });
    let due = w.router.reoffer_at(item).unwrap();
    w.advance(10);
    w.router = Router::restore(w.now, w.snapshot_from_store());
    w.ok(Input::Connected { agent: a });
    assert_eq!(w.router.reoffer_at(item), Some(due));
    w.advance(19);
    assert!(w.offer_for(item).is_none());
    w.advance(1);
    assert_eq!(w.offer_for(item).unwrap().agent, a);
}

#[test]
fn the_cool_down_is_a_setting_within_range() {
    // R25
    let mut s = Settings::default();
    for bad in [0, 86_401] {
        s.reoffer_after_secs = bad;
        assert_eq!(s.validate().unwrap_err().field, "reoffer_after_secs");
    }
    s.reoffer_after_secs = 1;
    assert!(s.validate().is_ok());
    let stored: Settings = serde_json::from_str(r#"{"max_sessions":10}"#).unwrap();
    assert_eq!(stored.reoffer_after_secs, 30, "settings stored before it existed still load");
    let stored: WorkItem = serde_json::from_str(
        r#"{"id":1,"scenario":"chat","queue":2,"customer":{"name":"Ada"},"context":{},"created_at":5,"state":{"state":"queued"}}"#,
    )
    .unwrap();
    assert_eq!((stored.from_agent, stored.queued_since), (None, None));
}
