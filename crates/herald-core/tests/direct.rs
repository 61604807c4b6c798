//! A supervisor sends a waiting item to a chosen agent (the queue board's rescue, R30): as an
//! offer or assigned, refused in words when it cannot be.

mod common;

use common::World;
use herald_core::*;

fn away(w: &mut World, agent: AgentId) {
    w.ok(Input::SetPresence { agent, presence: Presence::base(BasePresence::Away) });
}

fn direct(w: &mut World, item: WorkItemId, agent: AgentId, how: Direction) -> Result<Reply, CoreError> {
    let by = w.supervisor;
    w.try_handle(Input::Direct { item, agent, by, how })
}

fn waiting(w: &World) -> Vec<WorkItemId> {
    w.router.waiting(w.queue).expect("known queue").into_iter().map(|i| i.id).collect()
}

#[test]
fn a_supervisor_offers_a_waiting_item_to_a_chosen_agent_once() {
    let mut w = World::new(2);
    let (a, b) = (w.agents[0], w.agents[1]);
    away(&mut w, a);
    away(&mut w, b);
    let item = w.request(Scenario::Chat, "Ada");
    assert_eq!(waiting(&w), vec![item], "nobody may take it: it waits");

    let by_agent = w.try_handle(Input::Direct { item, agent: a, by: b, how: Direction::Offer });
    assert_eq!(by_agent, Err(CoreError::NotSupervisor));
    w.ok(Input::SetPresence { agent: b, presence: Presence::base(BasePresence::Offline) });
    assert_eq!(direct(&mut w, item, b, Direction::Offer), Err(CoreError::WrongState(WrongState::AgentOffline(b))));
    assert_eq!(waiting(&w), vec![item], "a refusal changes nothing");

    w.log.clear();
    assert_eq!(direct(&mut w, item, a, Direction::Offer), Ok(Reply::WorkItem(item)));
    let offer = w.offer_for(item).expect("offered to the chosen agent, though Away");
    assert_eq!(offer.agent, a);
    assert!(offer.actions.contains(&OfferAction::Accept), "an offer to answer: {:?}", offer.actions);
    assert!(waiting(&w).is_empty());
    let sup = w.supervisor;
    assert!(w.events_of(sup).iter().any(|e| matches!(e, AgentEvent::QueueChanged { waiting: 0, .. })), "the board hears it");
    assert_eq!(direct(&mut w, item, a, Direction::Offer), Err(CoreError::WrongState(WrongState::NotWaiting(item))));
    assert_eq!(direct(&mut w, WorkItemId(999_999), a, Direction::Offer), Err(CoreError::UnknownWorkItem(WorkItemId(999_999))));
}

#[test]
fn assigning_skips_the_offer_and_the_limits_still_hold() {
    let mut w = World::new(1);
    let a = w.agents[0];
    w.settings(|s| s.max_sessions = 2);
    let first = w.request(Scenario::Chat, "Ada");
    let pending = w.offer_for(first).unwrap();
    away(&mut w, a);
    let second = w.request(Scenario::Chat, "Bea");
    assert_eq!(waiting(&w), vec![second]);
    // One offer at a time; assigning does not need the agent's answer.
    assert_eq!(direct(&mut w, second, a, Direction::Offer), Err(CoreError::WrongState(WrongState::AgentHasOffer(a))));
    direct(&mut w, second, a, Direction::Assign).unwrap();
    let assigned = w.router.sessions().find(|s| s.work_item == second).expect("a session at once");
    assert_eq!(assigned.state, SessionState::Assigned);
    let created = w.events_of(a).into_iter().find_map(|e| match e {
        AgentEvent::OfferCreated(o) if o.work_item == second => Some(o.clone()),
        _ => None,
    });
    assert_eq!(created.unwrap().actions, vec![OfferAction::OpenItem], "the toast only opens the item");

    // R27: at the maximum, not even a supervisor adds one.
    w.ok(Input::Accept { agent: a, offer: pending.id });
    let third = w.request(Scenario::Chat, "Cy");
    assert_eq!(direct(&mut w, third, a, Direction::Assign), Err(CoreError::WrongState(WrongState::AgentFull(a))));
}

#[test]
fn an_agent_who_declined_the_item_can_still_be_chosen() {
    let mut w = World::new(1);
    let a = w.agents[0];
    let item = w.request(Scenario::Chat, "Ada");
    w.advance(120);
    assert_eq!(waiting(&w), vec![item], "missed: waits for the cool-down (R25)");
    assert!(w.router.work_item(item).unwrap().excluded.contains(&a));
    direct(&mut w, item, a, Direction::Offer).unwrap();
    assert_eq!(w.offer_for(item).unwrap().agent, a);
    assert_eq!(w.router.reoffer_at(item), None, "the cool-down timer is gone");
}
