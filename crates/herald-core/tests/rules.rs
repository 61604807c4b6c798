//! One test (or a few) per rule, against the router with a fake clock.

mod common;

use common::World;
use herald_core::*;
use std::collections::BTreeMap;

fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn every_scenario_notifies_an_agent() {
    // R1–R8
    for scenario in Scenario::ALL {
        let mut w = World::new(1);
        let item = w.request(scenario, "Ada");
        let created: Vec<_> = w
            .events_of(w.agents[0])
            .into_iter()
            .filter_map(|e| match e {
                AgentEvent::OfferCreated(o) => Some(o.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(created.len(), 1, "{scenario}");
        assert_eq!(created[0].work_item, item);
        assert_eq!(created[0].scenario, scenario);
        assert_eq!(created[0].customer.name, "Ada");
    }
}

#[test]
fn offer_shows_template_fields_with_customer_details() {
    // R9, R20, R23
    let mut w = World::new(1);
    w.template(Scenario::Chat, |t| {
        t.title = "Chat from {customerName}".into();
        t.fields = vec![
            TemplateField { label: "Email".into(), value: "{email}".into() },
            TemplateField { label: "Queue".into(), value: "{queueName} ({queueId})".into() },
            TemplateField { label: "Missing".into(), value: "{nothing}".into() },
        ];
    });
    let item = w.request_with(Scenario::Chat, "Ada", ctx(&[("email", "ada@example.org")]), None);
    let o = w.offer_for(item).unwrap();
    assert_eq!(o.title, "Chat from Ada");
    assert_eq!(o.fields.len(), 2, "empty fields are left out: {:?}", o.fields);
    assert_eq!(o.fields[0].value, "ada@example.org");
    assert_eq!(o.fields[1].value, format!("General ({})", w.queue));
}

#[test]
fn accept_opens_a_session_with_the_customer_context() {
    // R10, R12
    let mut w = World::new(1);
    let a = w.agents[0];
    let item = w.request_with(Scenario::Chat, "Ada", ctx(&[("topic", "billing")]), None);
    let s = w.accept(item);
    let session = w.router.session(s).unwrap();
    assert_eq!(session.state, SessionState::Open);
    assert_eq!(session.customer.name, "Ada");
    assert_eq!(session.context["topic"], "billing");
    assert_eq!(session.call, None, "chat sessions have no call controls");
    assert!(matches!(w.router.work_item(item).unwrap().state, WorkItemState::Assigned { session, agent } if session == s && agent == a));
    assert!(w.events_of(a).iter().any(|e| matches!(e, AgentEvent::OfferEnded { state: OfferState::Accepted, .. })));
    assert!(w.events_of(a).iter().any(|e| matches!(e, AgentEvent::SessionOpened(x) if x.id == s)));
    // Concurrent sessions side by side.
    let item2 = w.request(Scenario::Sms, "Bob");
    w.accept(item2);
    assert_eq!(w.router.sessions_of(a).len(), 2);
}

#[test]
fn work_waiting_for_an_agent_is_offered_when_they_accept_their_pending_offer() {
    // R33 (found on the real desktop): an agent has one offer at a time; a request that came
    // meanwhile waits in the queue and must be offered as soon as the agent answers.
    let mut w = World::new(1);
    let first = w.request(Scenario::Chat, "Ada");
    let waiting = w.request(Scenario::Chat, "Bob");
    assert!(w.offer_for(waiting).is_none(), "one offer at a time");
    assert!(matches!(w.router.work_item(waiting).unwrap().state, WorkItemState::Queued));
    w.accept(first);
    let o = w.offer_for(waiting).expect("offered once the agent accepted the first");
    assert_eq!(o.agent, w.agents[0]);
}

#[test]
fn accept_only_where_reject_not_allowed_and_reject_refused() {
    // R12, R18
    let mut w = World::new(1);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    assert_eq!(o.actions, vec![OfferAction::Accept]);
    assert_eq!(w.try_handle(Input::Reject { agent: o.agent, offer: o.id }), Err(CoreError::RejectNotAllowed(o.id)));
    assert_eq!(w.offer_for(item).unwrap().state, OfferState::Pending);
}

#[test]
fn timeout_applies_when_countdown_hidden() {
    // R14
    let mut w = World::new(2);
    w.template(Scenario::Chat, |t| {
        t.show_timeout = false;
        t.timeout_secs = TimeoutSecs::parse(90).unwrap();
    });
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    assert!(!o.show_timeout);
    assert_eq!(o.deadline, Some(w.now.plus_secs(90)));
    w.advance(89);
    assert_eq!(w.offer_for(item).unwrap().id, o.id);
    w.advance(1);
    assert_ne!(w.offer_for(item).map(|x| x.id), Some(o.id), "timed out at 90 s");
}

#[test]
fn popup_for_assignment_transfer_escalation_alert_otherwise() {
    // R17
    for s in Scenario::ALL {
        let t = Template::default_for(s);
        let popup = matches!(s, Scenario::WorkItem | Scenario::Transfer | Scenario::Escalation);
        assert_eq!(t.kind == NotificationKind::Popup, popup, "{s}");
    }
}

#[test]
fn auto_accept_opens_session_without_asking() {
    // R18
    let mut w = World::new(1);
    let a = w.agents[0];
    w.template(Scenario::Chat, |t| t.auto_accept = true);
    let item = w.request(Scenario::Chat, "Ada");
    assert!(w.offer_for(item).is_none());
    let sessions = w.router.sessions_of(a);
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].state, SessionState::Open);
    assert!(w.events_of(a).iter().any(|e| matches!(e, AgentEvent::OfferCreated(o) if o.state == OfferState::Accepted)));
}

#[test]
fn auto_assign_assigns_and_offers_open_item() {
    // R18
    let mut w = World::new(1);
    let a = w.agents[0];
    w.template(Scenario::WorkItem, |t| t.auto_assign = true);
    let item = w.request(Scenario::WorkItem, "Ada");
    let o = w.offer_for(item).unwrap();
    assert_eq!(o.actions, vec![OfferAction::OpenItem]);
    assert_eq!(w.router.sessions_of(a)[0].state, SessionState::Assigned);
    let s = w.accept(item);
    assert_eq!(w.router.session(s).unwrap().state, SessionState::Open);
}

#[test]
fn case_is_assigned_whatever_the_timeout() {
    // R19
    let mut w = World::new(2);
    w.settings(|s| s.missed_notifications = true);
    let item = w.request_with(Scenario::Case, "Ada", ctx(&[("caseId", "CAS-42"), ("caseTitle", "Broken router")]), None);
    let o = w.offer_for(item).unwrap();
    assert_eq!(o.actions, vec![OfferAction::OpenItem], "a case cannot be declined");
    assert_eq!(o.title, "Case assigned: CAS-42");
    assert_eq!(w.try_handle(Input::Reject { agent: o.agent, offer: o.id }), Err(CoreError::RejectNotAllowed(o.id)));
    w.advance(121);
    assert!(w.offer_for(item).is_none(), "the notification timed out");
    let state = &w.router.work_item(item).unwrap().state;
    assert!(matches!(state, WorkItemState::Assigned { agent, .. } if *agent == o.agent), "{state:?}");
    assert_eq!(w.presence(o.agent), BasePresence::Available, "no missed-notification penalty for a case");
    assert!(w.events_of(o.agent).iter().any(|e| matches!(e, AgentEvent::OfferEnded { state: OfferState::TimedOut, .. })));
    // The agent opens the assigned case later, without its notification.
    let WorkItemState::Assigned { session, .. } = *state else { unreachable!() };
    assert_eq!(w.router.session(session).unwrap().state, SessionState::Assigned);
    let other = w.agents.iter().copied().find(|a| *a != o.agent).unwrap();
    assert!(matches!(w.try_handle(Input::OpenSession { agent: other, session }), Err(CoreError::NotYours(_))));
    w.ok(Input::OpenSession { agent: o.agent, session });
    assert_eq!(w.router.session(session).unwrap().state, SessionState::Open);
    w.ok(Input::OpenSession { agent: o.agent, session });
    assert_eq!(w.router.session(session).unwrap().state, SessionState::Open, "opening an open session changes nothing");
}

#[test]
fn opening_an_assigned_case_accepts_its_pending_open_item_offer() {
    // R19
    let mut w = World::new(1);
    let item = w.request_with(Scenario::Case, "Ada", ctx(&[("caseId", "CAS-43")]), None);
    let o = w.offer_for(item).unwrap();
    let WorkItemState::Assigned { session, .. } = w.router.work_item(item).unwrap().state else { panic!("assigned") };
    w.ok(Input::OpenSession { agent: o.agent, session });
    assert!(w.offer_for(item).is_none(), "the notification is done");
    assert!(
        w.events_of(o.agent)
            .iter()
            .any(|e| matches!(e, AgentEvent::OfferEnded { offer, state: OfferState::Accepted, .. } if *offer == o.id))
    );
    assert_eq!(w.router.session(session).unwrap().state, SessionState::Open);
}

#[test]
fn voice_session_has_call_controls() {
    // R3, R21
    let mut w = World::new(1);
    let a = w.agents[0];
    let item = w.request_with(Scenario::Voice, "Ada", ctx(&[("botSummary", "Wants a refund")]), Some("+31 6 1234 5678"));
    let o = w.offer_for(item).unwrap();
    assert!(o.fields.iter().any(|f| f.value == "Wants a refund"), "the offer carries what the bot gathered");
    let s = w.accept(item);
    assert_eq!(w.router.session(s).unwrap().call, Some(CallState::Connected));
    w.ok(Input::CallControl { agent: a, session: s, action: CallAction::Hold });
    assert_eq!(w.router.session(s).unwrap().call, Some(CallState::OnHold));
    assert!(matches!(w.try_handle(Input::CallControl { agent: a, session: s, action: CallAction::Hold }), Err(CoreError::WrongState(_))));
    w.ok(Input::CallControl { agent: a, session: s, action: CallAction::Resume });
    w.ok(Input::CallControl { agent: a, session: s, action: CallAction::End });
    assert_eq!(w.router.session(s).unwrap().call, Some(CallState::Ended));
}

#[test]
fn sms_sender_matched_to_contact_by_mobile_phone() {
    // R22
    let mut w = World::new(1);
    let c = match w.ok(Input::UpsertContact(ContactSpec {
        id: None,
        name: "Ada Lovelace".into(),
        mobile_phone: Some(PhoneNumber::parse("+44 7700 900123").unwrap()),
    })) {
        Reply::Contact(c) => c,
        other => panic!("{other:?}"),
    };
    let item = w.request_with(Scenario::Sms, "", BTreeMap::new(), Some("0044-7700-900-123"));
    let cust = &w.router.work_item(item).unwrap().customer;
    assert_eq!(cust.contact, Some(c));
    assert_eq!(cust.name, "Ada Lovelace");
    let other = w.request_with(Scenario::Sms, "", BTreeMap::new(), Some("+44 7700 900999"));
    assert_eq!(w.router.work_item(other).unwrap().customer.contact, None);
    // A second contact may not claim the same mobile phone.
    let dup = w.try_handle(Input::UpsertContact(ContactSpec {
        id: None,
        name: "Someone".into(),
        mobile_phone: Some(PhoneNumber::parse("+447700900123").unwrap()),
    }));
    assert!(matches!(dup, Err(CoreError::Invalid(i)) if i.field == "mobile_phone"));
}

#[test]
fn missed_offer_sets_inactive_with_banner_only_when_enabled() {
    // R24
    let mut w = World::new(1);
    let a = w.agents[0];
    let item = w.request(Scenario::Chat, "Ada");
    w.ok(Input::Displayed { agent: a, offer: w.offer_for(item).unwrap().id });
    w.advance(120);
    assert_eq!(w.presence(a), BasePresence::Available, "missed notifications are off by default");
    assert_eq!(w.router.agent(a).unwrap().missed_count, 1);

    let mut w = World::new(1);
    let a = w.agents[0];
    w.settings(|s| s.missed_notifications = true);
    let item = w.request(Scenario::Chat, "Ada");
    w.ok(Input::Displayed { agent: a, offer: w.offer_for(item).unwrap().id });
    w.advance(120);
    assert_eq!(w.presence(a), BasePresence::Inactive);
    let banner = w.router.agent(a).unwrap().banner().expect("banner");
    assert_eq!(banner.reason, BlockReason::Missed);
    assert!(w.events_of(a).iter().any(|e| matches!(e, AgentEvent::BannerRaised(b) if b.reason == BlockReason::Missed)));
}

#[test]
fn timeout_reroutes_to_next_agent_not_back_at_once() {
    // R25 (back after the cool-down: tests/reoffer.rs)
    let mut w = World::new(2);
    let item = w.request(Scenario::Chat, "Ada");
    let first = w.offer_for(item).unwrap();
    w.ok(Input::Displayed { agent: first.agent, offer: first.id });
    w.advance(120);
    let second = w.offer_for(item).expect("rerouted");
    assert_ne!(second.agent, first.agent);
    w.ok(Input::Displayed { agent: second.agent, offer: second.id });
    w.advance(120);
    assert!(w.offer_for(item).is_none(), "nobody left who has not let it time out; the cool-down runs");
    assert_eq!(w.router.work_item(item).unwrap().state, WorkItemState::Queued, "back to the queue");
    // A new agent joining the queue gets it.
    let c = match w.ok(Input::UpsertAgent(AgentSpec { id: None, name: "Carol".into(), role: Role::Agent })) {
        Reply::Agent(c) => c,
        other => panic!("{other:?}"),
    };
    w.ok(Input::SetPresence { agent: c, presence: Presence::base(BasePresence::Available) });
    let mut members = w.agents.clone();
    members.push(c);
    let ws = w.workstream;
    let q = w.queue;
    w.ok(Input::UpsertQueue(QueueSpec { id: Some(q), name: "General".into(), workstream: ws, members }));
    assert_eq!(w.offer_for(item).unwrap().agent, c);
}

#[test]
fn unseen_offer_of_disconnected_agent_redirects_eight_minutes_after_timeout() {
    // R26
    let mut w = World::new(2);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    w.ok(Input::Disconnected { agent: o.agent });
    w.advance(120);
    let held = w.offer_for(item).expect("still with the first agent");
    assert_eq!(held.id, o.id);
    assert_eq!(held.hold_until, Some(o.deadline.unwrap().plus_secs(480)));
    assert_eq!(w.presence(o.agent), BasePresence::Offline, "marked unavailable after the grace");
    w.advance(479);
    assert_eq!(w.offer_for(item).unwrap().id, o.id);
    w.advance(1);
    let next = w.offer_for(item).expect("redirected");
    assert_ne!(next.agent, o.agent);
}

#[test]
fn unseen_offer_can_be_rerouted_at_once() {
    // R26 (setting)
    let mut w = World::new(2);
    w.settings(|s| s.reroute_unseen_immediately = true);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    w.ok(Input::Disconnected { agent: o.agent });
    w.advance(20);
    let next = w.offer_for(item).expect("rerouted when the agent was marked gone");
    assert_ne!(next.agent, o.agent);
}

#[test]
fn displayed_offer_times_out_normally_even_if_agent_leaves() {
    // R26 applies only to offers never shown
    let mut w = World::new(2);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    w.ok(Input::Displayed { agent: o.agent, offer: o.id });
    w.ok(Input::Disconnected { agent: o.agent });
    w.advance(120);
    assert_ne!(w.offer_for(item).unwrap().agent, o.agent);
}

#[test]
fn reconnect_restores_presence() {
    let mut w = World::new(1);
    let a = w.agents[0];
    w.ok(Input::Disconnected { agent: a });
    w.advance(19);
    assert_eq!(w.presence(a), BasePresence::Available, "within the grace");
    w.advance(1);
    assert_eq!(w.presence(a), BasePresence::Offline);
    assert!(w.router.agent(a).unwrap().banner().is_none(), "no banner for a disconnect");
    w.ok(Input::Connected { agent: a });
    assert_eq!(w.presence(a), BasePresence::Available);
}

#[test]
fn eleventh_item_with_ten_sessions_sets_dnd() {
    // R27
    let mut w = World::new(1);
    let a = w.agents[0];
    for i in 0..10 {
        let item = w.request(Scenario::Chat, &format!("C{i}"));
        w.accept(item);
    }
    assert_eq!(w.router.sessions_of(a).len(), 10);
    assert_eq!(w.presence(a), BasePresence::Available);
    let item = w.request(Scenario::Chat, "C10");
    assert!(w.offer_for(item).is_none());
    assert_eq!(w.presence(a), BasePresence::BusyDnd);
    assert_eq!(w.router.agent(a).unwrap().banner().unwrap().reason, BlockReason::MaxSessions);
    // R29: closing a session alone does not bring work; resetting the presence does.
    let s = w.router.sessions_of(a)[0].id;
    w.ok(Input::CloseSession { agent: a, session: s });
    assert!(w.offer_for(item).is_none());
    w.ok(Input::ResetPresence { agent: a, by: a });
    assert_eq!(w.presence(a), BasePresence::Available);
    assert_eq!(w.offer_for(item).unwrap().agent, a);
}

#[test]
fn reject_sets_dnd_only_when_enabled_and_routes_on() {
    // R28, R25
    let mut w = World::new(2);
    w.template(Scenario::Chat, |t| t.reject_allowed = true);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    assert_eq!(o.actions, vec![OfferAction::Accept, OfferAction::Reject]);
    w.ok(Input::Reject { agent: o.agent, offer: o.id });
    assert_eq!(w.presence(o.agent), BasePresence::Available, "agent reject is off by default");
    let next = w.offer_for(item).unwrap();
    assert_ne!(next.agent, o.agent);
    w.ok(Input::Reject { agent: next.agent, offer: next.id });
    assert!(w.offer_for(item).is_none(), "both rejected: not offered to them again before the cool-down");

    let mut w = World::new(2);
    w.template(Scenario::Chat, |t| t.reject_allowed = true);
    w.settings(|s| s.agent_reject = true);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    w.ok(Input::Reject { agent: o.agent, offer: o.id });
    assert_eq!(w.presence(o.agent), BasePresence::BusyDnd);
    assert_eq!(w.router.agent(o.agent).unwrap().banner().unwrap().reason, BlockReason::Rejected);
    assert_eq!(w.router.agent(o.agent).unwrap().rejected_count, 1);
}

#[test]
fn blocked_agent_gets_no_work_until_presence_allows_it() {
    // R29
    let mut w = World::new(1);
    let a = w.agents[0];
    w.settings(|s| s.missed_notifications = true);
    w.ok(Input::SetPresence { agent: a, presence: Presence::base(BasePresence::Busy) });
    let item = w.request(Scenario::Chat, "Ada");
    w.advance(120);
    assert_eq!(w.presence(a), BasePresence::Inactive);
    let item2 = w.request(Scenario::Chat, "Bob");
    assert!(w.offer_for(item2).is_none());
    // Responding to the banner resets to the last presence the system defined: Busy.
    w.ok(Input::ResetPresence { agent: a, by: a });
    assert_eq!(w.presence(a), BasePresence::Busy);
    assert!(w.router.agent(a).unwrap().banner().is_none());
    assert!(w.events_of(a).iter().any(|e| matches!(e, AgentEvent::BannerCleared)));
    assert_eq!(w.offer_for(item2).unwrap().agent, a, "Busy is allowed by this workstream");
    assert!(w.offer_for(item).is_none(), "the missed item is not re-offered to the same agent before the cool-down");
    // Choosing a presence also clears the banner.
    w.advance(120);
    assert_eq!(w.presence(a), BasePresence::Inactive);
    w.ok(Input::SetPresence { agent: a, presence: Presence::base(BasePresence::Away) });
    assert!(w.router.agent(a).unwrap().block.is_none());
}

#[test]
fn supervisor_resets_an_agent_and_agents_cannot() {
    // R30
    let mut w = World::new(2);
    let (a, b, sup) = (w.agents[0], w.agents[1], w.supervisor);
    w.template(Scenario::Chat, |t| t.reject_allowed = true);
    w.settings(|s| s.agent_reject = true);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    w.ok(Input::Reject { agent: o.agent, offer: o.id });
    let blocked = o.agent;
    let other = if blocked == a { b } else { a };
    assert_eq!(w.try_handle(Input::ResetPresence { agent: blocked, by: other }), Err(CoreError::NotSupervisor));
    assert_eq!(w.presence(blocked), BasePresence::BusyDnd);
    w.ok(Input::ResetPresence { agent: blocked, by: sup });
    assert_eq!(w.presence(blocked), BasePresence::Available);
    let row = w.router.team().into_iter().find(|r| r.id == blocked).unwrap();
    assert_eq!(row.rejected_count, 1);
    assert!(
        w.events_of(sup)
            .iter()
            .any(|e| matches!(e, AgentEvent::TeamAgentChanged(s) if s.id == blocked && s.presence.base == BasePresence::Available))
    );
    assert_eq!(w.ok(Input::ResetPresence { agent: blocked, by: sup }), Reply::Unchanged);
}

#[test]
fn custom_presences_map_onto_base_and_workstream_decides() {
    // R31
    let mut w = World::new(1);
    let a = w.agents[0];
    assert_eq!(BasePresence::ALL.len(), 6);
    w.settings(|s| s.custom_presences = vec![CustomPresence { name: "Lunch".into(), base: BasePresence::Away }]);
    w.ok(Input::SetPresence { agent: a, presence: Presence { base: BasePresence::Available, custom: Some("Lunch".into()) } });
    let p = &w.router.agent(a).unwrap().presence;
    assert_eq!((p.base, p.custom.as_deref()), (BasePresence::Away, Some("Lunch")), "base comes from the definition");
    let item = w.request(Scenario::Chat, "Ada");
    assert!(w.offer_for(item).is_none(), "Away is not allowed");
    let ws = w.workstream;
    w.ok(Input::UpsertWorkstream(WorkstreamSpec {
        id: Some(ws),
        name: "Messaging".into(),
        mode: RoutingMode::LeastBusy,
        allowed_presences: vec![BasePresence::Available, BasePresence::Away],
    }));
    assert_eq!(w.offer_for(item).unwrap().agent, a, "now the workstream allows Away");
    let bad = w.try_handle(Input::SetPresence { agent: a, presence: Presence { base: BasePresence::Away, custom: Some("Nap".into()) } });
    assert!(matches!(bad, Err(CoreError::Invalid(i)) if i.field == "presence.custom"));
}

#[test]
fn least_busy_prefers_fewest_sessions() {
    let mut w = World::new(2);
    let (a, b) = (w.agents[0], w.agents[1]);
    let i1 = w.request(Scenario::Chat, "1");
    assert_eq!(w.offer_for(i1).unwrap().agent, a);
    w.accept(i1);
    let i2 = w.request(Scenario::Chat, "2");
    assert_eq!(w.offer_for(i2).unwrap().agent, b);
    w.accept(i2);
    let i3 = w.request(Scenario::Chat, "3");
    assert_eq!(w.offer_for(i3).unwrap().agent, a, "tie on sessions: the one offered longest ago");
}

#[test]
fn round_robin_takes_turns() {
    let mut w = World::with_mode(3, RoutingMode::RoundRobin);
    let mut got = Vec::new();
    for i in 0..6 {
        let item = w.request(Scenario::Chat, &i.to_string());
        got.push(w.offer_for(item).unwrap().agent);
        w.accept(item);
    }
    let a = &w.agents;
    assert_eq!(got, vec![a[0], a[1], a[2], a[0], a[1], a[2]]);
}

#[test]
fn transfer_closes_source_and_offers_target() {
    // R6, R7
    let mut w = World::new(2);
    let (a, b) = (w.agents[0], w.agents[1]);
    let item = w.request(Scenario::Chat, "Ada");
    let s = w.accept(item);
    let owner = w.router.session(s).unwrap().agent;
    let target = if owner == a { b } else { a };
    let t = match w.ok(Input::Transfer { agent: owner, session: s, to_queue: None, to_agent: Some(target), kind: TransferKind::Transfer }) {
        Reply::WorkItem(t) => t,
        other => panic!("{other:?}"),
    };
    assert!(w.router.session(s).is_none(), "source session closed");
    let o = w.offer_for(t).unwrap();
    assert_eq!((o.agent, o.scenario), (target, Scenario::Transfer));
    assert_eq!(o.kind, NotificationKind::Popup);
    assert!(o.fields.iter().any(|f| f.value == w.router.agent(owner).unwrap().name));
    let s2 = w.accept(t);
    let e = match w.ok(Input::Transfer { agent: target, session: s2, to_queue: None, to_agent: Some(owner), kind: TransferKind::Escalate })
    {
        Reply::WorkItem(e) => e,
        other => panic!("{other:?}"),
    };
    assert!(w.router.session(s2).is_some(), "escalation keeps the source session");
    assert_eq!(w.offer_for(e).unwrap().scenario, Scenario::Escalation);
}

#[test]
fn a_transferred_chat_stays_a_chat_and_a_transferred_call_keeps_its_controls() {
    // R6, R7, R10, R21: the scenario says why it is offered; the channel what the session shows.
    let mut w = World::new(2);
    for (scenario, channel) in [(Scenario::Chat, Channel::Chat), (Scenario::Voice, Channel::Voice), (Scenario::Sms, Channel::Sms)] {
        let item = w.request(scenario, "Ada");
        let s = w.accept(item);
        let owner = w.router.session(s).unwrap().agent;
        let target = if owner == w.agents[0] { w.agents[1] } else { w.agents[0] };
        let kind = TransferKind::Transfer;
        let Reply::WorkItem(t) = w.ok(Input::Transfer { agent: owner, session: s, to_queue: None, to_agent: Some(target), kind }) else {
            panic!("a transfer replies its work item")
        };
        let o = w.offer_for(t).unwrap();
        assert_eq!((o.scenario, o.channel), (Scenario::Transfer, channel));
        let s2 = w.accept(t);
        let s2 = w.router.session(s2).unwrap().clone();
        assert_eq!(s2.channel, channel);
        assert_eq!(s2.call.is_some(), channel == Channel::Voice, "{channel:?}: call state only on a call");
        let Reply::WorkItem(e) =
            w.ok(Input::Transfer { agent: target, session: s2.id, to_queue: None, to_agent: Some(owner), kind: TransferKind::Escalate })
        else {
            panic!("an escalation replies its work item")
        };
        assert_eq!(w.offer_for(e).unwrap().channel, channel, "an escalation keeps the channel too");
        w.ok(Input::CloseWorkItem { item: e });
        w.ok(Input::CloseWorkItem { item: t });
    }
}

#[test]
fn withdrawn_when_customer_leaves() {
    let mut w = World::new(1);
    let a = w.agents[0];
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    w.ok(Input::CloseWorkItem { item });
    assert!(w.offer_for(item).is_none());
    assert!(
        w.events_of(a).iter().any(|e| matches!(e, AgentEvent::OfferEnded { offer, state: OfferState::Withdrawn, .. } if *offer == o.id))
    );
    assert_eq!(w.try_handle(Input::Accept { agent: a, offer: o.id }), Err(CoreError::UnknownOffer(o.id)));
}

#[test]
fn foreign_offer_is_refused() {
    let mut w = World::new(2);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    let other = if o.agent == w.agents[0] { w.agents[1] } else { w.agents[0] };
    assert!(matches!(w.try_handle(Input::Accept { agent: other, offer: o.id }), Err(CoreError::NotYours(_))));
    assert_eq!(w.offer_for(item).unwrap().state, OfferState::Pending);
}

#[test]
fn restore_rearms_deadlines_and_keeps_everything() {
    let mut w = World::new(2);
    let item = w.request(Scenario::Chat, "Ada");
    let o = w.offer_for(item).unwrap();
    w.ok(Input::Displayed { agent: o.agent, offer: o.id });
    let snap = Snapshot {
        settings: w.router.settings().clone(),
        templates: w.router.templates().cloned().collect(),
        workstreams: w.router.workstreams().cloned().collect(),
        queues: w.router.queues().cloned().collect(),
        contacts: w.router.contacts().cloned().collect(),
        agents: w.router.agents().cloned().collect(),
        work_items: w.router.work_items().cloned().collect(),
        offers: w.router.offers().cloned().collect(),
        sessions: w.router.sessions().cloned().collect(),
        max_id: 1000,
    };
    let later = w.now.plus_secs(500);
    let mut r = Router::restore(later, snap);
    r.check_invariants().unwrap();
    assert_eq!(r.next_deadline(), o.deadline, "the pending offer's deadline is armed");
    let applied = r.handle(later, Input::Tick).unwrap();
    assert!(applied.events.iter().any(|(a, e)| *a == o.agent && matches!(e, AgentEvent::OfferEnded { state: OfferState::TimedOut, .. })));
    let next = r.offers().find(|x| x.work_item == item).unwrap();
    assert_ne!(next.agent, o.agent);
    assert!(next.id.0 > 1000, "ids continue after the highest stored");
}

fn messages_of(w: &World, agent: AgentId) -> Vec<Message> {
    w.events_of(agent)
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::MessageAdded(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn say(w: &mut World, item: WorkItemId, body: &str) -> Result<Reply, CoreError> {
    w.try_handle(Input::CustomerMessage {
        conversation: item,
        message: NewMessage { author: Author::Customer, author_name: None, body: body.into(), external_id: None },
    })
}

#[test]
fn messages_reach_the_agent_holding_the_session_in_order() {
    // R10: chat and SMS sessions exchange messages; the agent hears only once they hold it.
    let mut w = World::new(1);
    let a = w.agents[0];
    let item = w.request(Scenario::Chat, "Ada");
    say(&mut w, item, "hello?").unwrap();
    assert!(messages_of(&w, a).is_empty(), "offered, not held: nothing in the agent's log yet");
    let s = w.accept(item);
    say(&mut w, item, "  anyone there?  ").unwrap();
    w.ok(Input::AgentMessage { agent: a, session: s, body: "Hi Ada".into(), delivery: None });
    let got = messages_of(&w, a);
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].author, got[0].author_name.as_str(), got[0].body.as_str()), (Author::Customer, "Ada", "anyone there?"));
    assert_eq!((got[1].author, got[1].author_name.as_str()), (Author::Agent, "Agent 0"));
    assert!(got[0].id < got[1].id, "ids order the transcript");
    let stored = w.store.keys().filter(|(k, _)| k == "message").count();
    assert_eq!(stored, 3, "every message is saved, also the one before accept");
}

#[test]
fn only_the_sessions_agent_writes_and_only_while_it_is_open() {
    let mut w = World::new(2);
    let (a, b) = (w.agents[0], w.agents[1]);
    let item = w.request(Scenario::Chat, "Ada");
    let holder = w.router.offers().find(|o| o.work_item == item).unwrap().agent;
    let other = if holder == a { b } else { a };
    let s = w.accept(item);
    let send = |agent| Input::AgentMessage { agent, session: s, body: "hi".into(), delivery: None };
    assert!(matches!(w.try_handle(send(other)), Err(CoreError::NotYours(_))));
    assert!(matches!(
        w.try_handle(Input::AgentMessage { agent: holder, session: s, body: "   ".into(), delivery: None }),
        Err(CoreError::Invalid(i)) if i.field == "body"
    ));
    w.ok(Input::CloseSession { agent: holder, session: s });
    assert!(matches!(w.try_handle(send(holder)), Err(CoreError::UnknownSession(_))));
    assert!(matches!(say(&mut w, item, "still there?"), Err(CoreError::UnknownWorkItem(_))), "closed conversation");
}

#[test]
fn a_request_can_bring_its_transcript() {
    // R8: a bot hands over with what was said.
    let mut w = World::new(1);
    let a = w.agents[0];
    w.template(Scenario::BotEscalation, |t| {
        t.auto_accept = true;
        t.reject_allowed = false;
    });
    let reply = w.ok(Input::Request(NewWorkItem {
        scenario: Scenario::BotEscalation,
        channel: None,
        queue: w.queue,
        customer_name: "Ada".into(),
        phone: None,
        context: BTreeMap::new(),
        target_agent: None,
        messages: vec![
            NewMessage { author: Author::Customer, author_name: None, body: "I want a refund".into(), external_id: None },
            NewMessage {
                author: Author::Bot,
                author_name: Some("Refund bot".into()),
                body: "Let me get a human".into(),
                external_id: None,
            },
        ],
    }));
    assert!(matches!(reply, Reply::WorkItem(_)));
    let got = messages_of(&w, a);
    assert_eq!(
        got.iter().map(|m| (m.author, m.author_name.as_str())).collect::<Vec<_>>(),
        [(Author::Customer, "Ada"), (Author::Bot, "Refund bot")]
    );
}

#[test]
fn delivery_updates_reach_the_holder() {
    let mut w = World::new(1);
    let a = w.agents[0];
    let item = w.request_with(Scenario::Sms, "", BTreeMap::new(), Some("+31612345678"));
    let s = w.accept(item);
    let delivery = Delivery {
        state: DeliveryState::Pending,
        attempts: 0,
        channel: Channel::Sms,
        to: "+31612345678".into(),
        from: "+3197000".into(),
        provider_id: None,
        error: None,
    };
    w.ok(Input::AgentMessage { agent: a, session: s, body: "Hi".into(), delivery: Some(delivery) });
    let mut m = messages_of(&w, a).pop().unwrap();
    m.delivery.as_mut().unwrap().state = DeliveryState::Failed;
    w.ok(Input::MessageDelivery(m.clone()));
    assert!(w.events_of(a).iter().any(|e| matches!(e, AgentEvent::MessageUpdated(x) if *x == m)));
}

#[test]
fn a_transferred_conversation_keeps_its_messages_and_its_customer() {
    // R6, R7, R10: the conversation carries on with the next agent; a consult hears it too.
    let mut w = World::new(2);
    let item = w.request(Scenario::Chat, "Ada");
    let first = w.offer_for(item).unwrap().agent;
    let second = if first == w.agents[0] { w.agents[1] } else { w.agents[0] };
    let s1 = w.accept(item);
    say(&mut w, item, "hello").unwrap();
    // R7: consult — both hold it, both hear the customer.
    let consult =
        match w.ok(Input::Transfer { agent: first, session: s1, to_queue: None, to_agent: Some(second), kind: TransferKind::Escalate }) {
            Reply::WorkItem(id) => id,
            other => panic!("{other:?}"),
        };
    assert_eq!(w.router.work_item(consult).unwrap().conversation_id(), item);
    let s2 = w.accept(consult);
    assert_eq!(w.router.session(s2).unwrap().conversation_id(), item, "the session says which transcript it shows");
    say(&mut w, item, "are you both there?").unwrap();
    for a in [first, second] {
        assert!(messages_of(&w, a).iter().any(|m| m.body == "are you both there?"), "{a}");
    }
    w.ok(Input::CloseSession { agent: second, session: s2 });
    // R6: a transfer closes the first session; the customer talks on with the next agent.
    match w.ok(Input::Transfer { agent: first, session: s1, to_queue: None, to_agent: Some(second), kind: TransferKind::Transfer }) {
        Reply::WorkItem(next) => {
            w.accept(next);
        }
        other => panic!("{other:?}"),
    }
    say(&mut w, item, "still me").unwrap();
    let got = messages_of(&w, second);
    assert_eq!(got.last().map(|m| (m.work_item, m.body.as_str())), Some((item, "still me")));
}
