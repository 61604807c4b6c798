//! Random interleavings of requests, accepts, rejects, disconnects and clock ticks.

mod common;

use common::World;
use herald_core::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
enum Op {
    Request(u8),
    Accept(u8),
    Reject(u8),
    Displayed(u8),
    Close(u8),
    Open(u8),
    Leave(u8),
    Connect(u8),
    Disconnect(u8),
    Presence(u8, u8),
    Reset(u8),
    /// A supervisor sends item (i) to agent (a), assigned when the flag says so.
    Direct(u8, u8, bool),
    Advance(u16),
    /// The workspace restarts from what was saved.
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u8>().prop_map(Op::Request),
        3 => any::<u8>().prop_map(Op::Accept),
        2 => any::<u8>().prop_map(Op::Reject),
        2 => any::<u8>().prop_map(Op::Displayed),
        2 => any::<u8>().prop_map(Op::Close),
        1 => any::<u8>().prop_map(Op::Open),
        1 => any::<u8>().prop_map(Op::Leave),
        1 => any::<u8>().prop_map(Op::Connect),
        1 => any::<u8>().prop_map(Op::Disconnect),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, p)| Op::Presence(a, p)),
        1 => any::<u8>().prop_map(Op::Reset),
        1 => (any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(i, a, assign)| Op::Direct(i, a, assign)),
        3 => (0u16..700).prop_map(Op::Advance),
        1 => Just(Op::Restart),
    ]
}

fn pick<T: Copy>(v: &[T], i: u8) -> Option<T> {
    if v.is_empty() { None } else { Some(v[i as usize % v.len()]) }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn routing_never_double_assigns_and_offers_end_once(
        ops in proptest::collection::vec(op(), 1..120),
        missed in any::<bool>(),
        reject in any::<bool>(),
        immediate in any::<bool>(),
        round_robin in any::<bool>(),
        max_sessions in 1u32..4,
    ) {
        let mode = if round_robin { RoutingMode::RoundRobin } else { RoutingMode::LeastBusy };
        let mut w = World::with_mode(3, mode);
        w.settings(|s| {
            s.missed_notifications = missed;
            s.agent_reject = reject;
            s.reroute_unseen_immediately = immediate;
            s.max_sessions = max_sessions;
        });
        w.template(Scenario::Chat, |t| t.reject_allowed = true);
        w.template(Scenario::WorkItem, |t| t.auto_assign = true);
        w.template(Scenario::Sms, |t| t.auto_accept = true);
        let scenarios = [Scenario::Chat, Scenario::Sms, Scenario::Case, Scenario::WorkItem, Scenario::Voice];
        let presences = BasePresence::ALL;
        let agents = w.agents.clone();
        let sup = w.supervisor;
        for op in ops {
            let offers: Vec<Offer> = w.router.offers().cloned().collect();
            let sessions: Vec<(AgentId, SessionId)> = w.router.sessions().map(|s| (s.agent, s.id)).collect();
            let items: Vec<WorkItemId> = w.router.work_items().map(|i| i.id).collect();
            let _ = match op {
                Op::Request(s) => {
                    let scenario = scenarios[s as usize % scenarios.len()];
                    w.try_handle(Input::Request(NewWorkItem {
                        scenario, channel: None, queue: w.queue, customer_name: "C".into(), phone: None,
                        context: BTreeMap::new(), target_agent: None, messages: Vec::new(),
                    }))
                }
                Op::Accept(i) => match offers.get(i as usize % offers.len().max(1)) {
                    Some(o) => w.try_handle(Input::Accept { agent: o.agent, offer: o.id }),
                    None => continue,
                },
                Op::Reject(i) => match offers.get(i as usize % offers.len().max(1)) {
                    Some(o) => w.try_handle(Input::Reject { agent: o.agent, offer: o.id }),
                    None => continue,
                },
                Op::Displayed(i) => match offers.get(i as usize % offers.len().max(1)) {
                    Some(o) => w.try_handle(Input::Displayed { agent: o.agent, offer: o.id }),
                    None => continue,
                },
                Op::Close(i) => match pick(&sessions, i) {
                    Some((agent, session)) => w.try_handle(Input::CloseSession { agent, session }),
                    None => continue,
                },
                Op::Open(i) => match pick(&sessions, i) {
                    Some((agent, session)) => w.try_handle(Input::OpenSession { agent, session }),
                    None => continue,
                },
                Op::Leave(i) => match pick(&items, i) {
                    Some(item) => w.try_handle(Input::CloseWorkItem { item }),
                    None => continue,
                },
                Op::Connect(a) => w.try_handle(Input::Connected { agent: pick(&agents, a).unwrap() }),
                Op::Disconnect(a) => w.try_handle(Input::Disconnected { agent: pick(&agents, a).unwrap() }),
                Op::Presence(a, p) => w.try_handle(Input::SetPresence {
                    agent: pick(&agents, a).unwrap(),
                    presence: Presence::base(presences[p as usize % presences.len()]),
                }),
                Op::Reset(a) => w.try_handle(Input::ResetPresence { agent: pick(&agents, a).unwrap(), by: sup }),
                Op::Direct(i, a, assign) => match pick(&items, i) {
                    Some(item) => w.try_handle(Input::Direct {
                        item,
                        agent: pick(&agents, a).unwrap(),
                        by: sup,
                        how: if assign { Direction::Assign } else { Direction::Offer },
                    }),
                    None => continue,
                },
                Op::Advance(secs) => { w.advance(u64::from(secs)); Ok(Reply::Done) }
                Op::Restart => {
                    // What was saved must be exactly what is live: a missed save would be lost here.
                    let snap = w.snapshot_from_store();
                    fn same<'a, T: std::fmt::Debug + 'a>(live: impl Iterator<Item = &'a T>, saved: &[T]) -> (Vec<String>, Vec<String>) {
                        let mut a: Vec<String> = live.map(|x| format!("{x:?}")).collect();
                        let mut b: Vec<String> = saved.iter().map(|x| format!("{x:?}")).collect();
                        a.sort();
                        b.sort();
                        (a, b)
                    }
                    let (live, saved) = same(w.router.work_items(), &snap.work_items);
                    prop_assert_eq!(live, saved, "work items");
                    let (live, saved) = same(w.router.offers(), &snap.offers);
                    prop_assert_eq!(live, saved, "offers");
                    let (live, saved) = same(w.router.sessions(), &snap.sessions);
                    prop_assert_eq!(live, saved, "sessions");
                    let (live, saved) = same(w.router.agents(), &snap.agents);
                    prop_assert_eq!(live, saved, "agents");
                    prop_assert_eq!(w.router.settings(), &snap.settings);
                    w.router = Router::restore(w.now, snap);
                    w.router.check_invariants().map_err(TestCaseError::fail)?;
                    // Apps reconnect after a restart.
                    for a in &agents {
                        let _ = w.try_handle(Input::Connected { agent: *a });
                    }
                    Ok(Reply::Done)
                }
            };
            // Invariants are checked inside try_handle after every accepted input.
            for a in &agents {
                prop_assert!(w.router.sessions_of(*a).len() as u32 <= max_sessions);
            }
        }
        // Every offer ends in exactly one outcome; every item has at most one session ever.
        let mut created = BTreeSet::new();
        let mut ended = BTreeSet::new();
        let mut sessions_per_item: BTreeMap<WorkItemId, u32> = BTreeMap::new();
        for (agent, e) in &w.log {
            match e {
                AgentEvent::OfferCreated(o) => {
                    prop_assert_eq!(o.agent, *agent);
                    prop_assert!(created.insert(o.id));
                    if o.state != OfferState::Pending { prop_assert!(ended.insert(o.id)); }
                }
                AgentEvent::OfferEnded { offer, state, .. } => {
                    prop_assert!(created.contains(offer), "ended before created");
                    prop_assert!(*state != OfferState::Pending);
                    prop_assert!(ended.insert(*offer), "{} ended twice", offer);
                }
                AgentEvent::SessionOpened(s) => {
                    let n = sessions_per_item.entry(s.work_item).or_default();
                    *n += 1;
                    prop_assert_eq!(*n, 1, "{} assigned twice", s.work_item);
                }
                _ => {}
            }
        }
        let pending: BTreeSet<OfferId> = w.router.offers().map(|o| o.id).collect();
        prop_assert_eq!(&created - &ended, pending, "every offer not ended is still pending");
    }
}
