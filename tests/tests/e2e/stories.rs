//! One story per server-side requirement, against the real workspace through herald-client.

use herald_e2e::*;
use herald_protocol::*;
use std::collections::BTreeMap;

fn conv(queue: QueueId, scenario: Scenario, name: &str, context: &[(&str, &str)], phone: Option<&str>) -> NewConversation {
    NewConversation {
        scenario,
        channel: None,
        queue,
        customer_name: name.into(),
        phone: phone.map(str::to_string),
        context: context.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        target_agent: None,
    }
}

#[tokio::test]
async fn r01_r08_every_scenario_reaches_an_agent() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    ws.template(Scenario::Chat, |t| t.auto_accept = true).await;
    for scenario in [Scenario::Chat, Scenario::Sms, Scenario::Voice, Scenario::Case, Scenario::WorkItem, Scenario::BotEscalation] {
        let ctx: &[(&str, &str)] = if scenario == Scenario::Case { &[("caseId", "CAS-1")] } else { &[] };
        let item = ws.admin.new_conversation(&conv(team.queue, scenario, "Ada", ctx, None)).await.unwrap();
        let offer = next_offer(&mut sub).await;
        assert_eq!((offer.work_item, offer.scenario), (item.id, scenario));
        if offer.state == OfferState::Pending && offer.actions.contains(&OfferAction::Accept) {
            a.client.accept(offer.id).await.unwrap();
        }
    }
    // R6/R7 need a session to transfer from and another agent to receive.
    let b = ws.person("Bob", Role::Agent).await;
    ws.admin
        .update_queue(team.queue, &QueueInput { name: "Support".into(), workstream: team.workstream, members: vec![a.id, b.id] })
        .await
        .unwrap();
    b.client.set_presence(Presence { base: BasePresence::Available, custom: None }).await.unwrap();
    let mut bsub = b.subscribe().await;
    let session = a.client.me().await.unwrap().sessions.into_iter().find(|s| s.scenario == Scenario::Chat).unwrap();
    a.client.transfer(session.id, &TransferRequest { to_queue: None, to_agent: Some(b.id), escalate: true }).await.unwrap();
    let esc = next_offer(&mut bsub).await;
    assert_eq!(esc.scenario, Scenario::Escalation);
    b.client.accept(esc.id).await.unwrap();
    a.client.transfer(session.id, &TransferRequest { to_queue: None, to_agent: Some(b.id), escalate: false }).await.unwrap();
    let tr = next_offer(&mut bsub).await;
    assert_eq!(tr.scenario, Scenario::Transfer);
    assert_eq!(tr.kind, NotificationKind::Popup, "R17: transfers are popups");
    assert!(!a.client.me().await.unwrap().sessions.iter().any(|s| s.id == session.id), "R6: the source session closed");
}

#[tokio::test]
async fn r09_r20_r23_offer_carries_template_fields() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let mut sub = team.agents[0].subscribe().await;
    ws.template(Scenario::Chat, |t| {
        t.title = "Chat from {customerName}".into();
        t.fields = vec![
            TemplateField { label: "Email".into(), value: "{email}".into() },
            TemplateField { label: "Topic".into(), value: "{topic}".into() },
        ];
        t.timeout_secs = TimeoutSecs::parse(300).unwrap();
    })
    .await;
    ws.admin
        .new_conversation(&conv(team.queue, Scenario::Chat, "Ada", &[("email", "ada@example.org"), ("topic", "Billing")], None))
        .await
        .unwrap();
    let o = next_offer(&mut sub).await;
    assert_eq!(o.title, "Chat from Ada");
    assert_eq!(o.fields.iter().map(|f| f.value.as_str()).collect::<Vec<_>>(), ["ada@example.org", "Billing"]);
    let d = o.deadline.unwrap().0 - o.created_at.0;
    assert_eq!(d, 300_000);
}

#[tokio::test]
async fn r10_r12_accept_opens_session_with_customer_context() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    ws.admin.new_conversation(&conv(team.queue, Scenario::Chat, "Ada", &[("topic", "Returns")], None)).await.unwrap();
    let o = next_offer(&mut sub).await;
    let s = a.client.accept(o.id).await.unwrap();
    assert_eq!((s.state, s.customer.name.as_str()), (SessionState::Open, "Ada"));
    assert_eq!(s.context["topic"], "Returns");
    let opened = next_where(&mut sub, |e| match e {
        AgentEvent::SessionOpened(x) => Some(x.id),
        _ => None,
    })
    .await;
    assert_eq!(opened, s.id);
    let me = a.client.me().await.unwrap();
    assert_eq!(me.sessions.len(), 1);
    assert!(me.offers.is_empty());
    assert_eq!(me.agent.open_sessions, 1);
}

#[tokio::test]
async fn r14_r25_timeout_applies_without_countdown_and_reroutes() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let (a, b) = (&team.agents[0], &team.agents[1]);
    let (mut sa, mut sb) = (a.subscribe().await, b.subscribe().await);
    ws.template(Scenario::Chat, |t| {
        t.show_timeout = false;
        t.timeout_secs = TimeoutSecs::parse(1).unwrap();
    })
    .await;
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let first = next_offer(&mut sa).await;
    assert!(!first.show_timeout);
    a.client.displayed(first.id).await.unwrap();
    assert_eq!(next_offer_end(&mut sa).await, (first.id, OfferState::TimedOut));
    let second = next_offer(&mut sb).await;
    assert_eq!(second.work_item, item.id, "R25: routed on to the next agent");
    b.client.displayed(second.id).await.unwrap();
    assert_eq!(next_offer_end(&mut sb).await, (second.id, OfferState::TimedOut));
    // Both let it time out: back in the queue, never re-offered to them.
    let err = a.client.accept(first.id).await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(409), Some(ErrorCode::OfferNotPending)), "stale accept");
    let me = a.client.me().await.unwrap();
    assert!(me.offers.is_empty());
}

#[tokio::test]
async fn r18_auto_accept_and_auto_assign() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    ws.template(Scenario::Chat, |t| t.auto_accept = true).await;
    ws.template(Scenario::WorkItem, |t| t.auto_assign = true).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let o = next_offer(&mut sub).await;
    assert_eq!(o.state, OfferState::Accepted, "accepted without asking");
    ws.request(team.queue, Scenario::WorkItem, "Bob").await;
    let w = next_offer(&mut sub).await;
    assert_eq!(w.actions, vec![OfferAction::OpenItem]);
    let me = a.client.me().await.unwrap();
    let states: Vec<_> = me.sessions.iter().map(|s| (s.scenario, s.state)).collect();
    assert_eq!(states, [(Scenario::Chat, SessionState::Open), (Scenario::WorkItem, SessionState::Assigned)]);
    let refused = a.client.reject(w.id).await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::RejectNotAllowed));
}

#[tokio::test]
async fn r19_case_assigned_whatever_the_timeout() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    ws.template(Scenario::Case, |t| t.timeout_secs = TimeoutSecs::parse(1).unwrap()).await;
    ws.settings(|s| s.missed_notifications = true).await;
    let item = ws
        .admin
        .new_conversation(&conv(team.queue, Scenario::Case, "Ada", &[("caseId", "CAS-7"), ("caseTitle", "Refund")], None))
        .await
        .unwrap();
    let o = next_offer(&mut sub).await;
    assert_eq!(o.actions, vec![OfferAction::OpenItem]);
    assert_eq!(next_offer_end(&mut sub).await, (o.id, OfferState::TimedOut));
    let me = a.client.me().await.unwrap();
    assert_eq!(me.sessions.iter().map(|s| s.work_item).collect::<Vec<_>>(), [item.id], "still assigned");
    assert_eq!(me.agent.presence.base, BasePresence::Available, "not counted as missed");
    // The agent opens it later, from the session itself.
    let opened = a.client.open_session(me.sessions[0].id).await.unwrap();
    assert_eq!(opened.state, SessionState::Open);
    let other = ws.person("Other", Role::Agent).await;
    let err = other.client.open_session(me.sessions[0].id).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    // A case without its id is refused, naming the field.
    let err = ws.admin.new_conversation(&conv(team.queue, Scenario::Case, "Ada", &[], None)).await.unwrap_err();
    assert!(matches!(err, herald_client::ClientError::Api { status: 400, ref error } if error.field.as_deref() == Some("context.caseId")));
}

#[tokio::test]
async fn r03_r21_voice_after_bot_has_call_controls() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    ws.admin
        .new_conversation(&conv(team.queue, Scenario::Voice, "Ada", &[("botSummary", "Lost card")], Some("+31 6 1111 2222")))
        .await
        .unwrap();
    let o = next_offer(&mut sub).await;
    assert!(o.fields.iter().any(|f| f.value == "Lost card"), "R3: what the bot gathered");
    let s = a.client.accept(o.id).await.unwrap();
    assert_eq!(s.call, Some(CallState::Connected));
    assert_eq!(a.client.call_control(s.id, CallAction::Hold).await.unwrap().call, Some(CallState::OnHold));
    let err = a.client.call_control(s.id, CallAction::Hold).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::WrongState));
    assert_eq!(a.client.call_control(s.id, CallAction::Resume).await.unwrap().call, Some(CallState::Connected));
    assert_eq!(a.client.call_control(s.id, CallAction::End).await.unwrap().call, Some(CallState::Ended));
    a.client.close_session(s.id).await.unwrap();
    let again = a.client.close_session(s.id).await.unwrap_err();
    assert_eq!((again.status(), again.code()), (Some(409), Some(ErrorCode::WrongState)));
}

#[tokio::test]
async fn r22_sms_linked_to_contact_by_mobile_phone() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let mut sub = team.agents[0].subscribe().await;
    let c =
        ws.admin.create_contact(&ContactInput { name: "Ada Lovelace".into(), mobile_phone: Some("+44 7700 900123".into()) }).await.unwrap();
    assert_eq!(c.mobile_phone.as_ref().unwrap().as_str(), "+447700900123");
    ws.admin.new_conversation(&conv(team.queue, Scenario::Sms, "", &[], Some("0044 7700-900-123"))).await.unwrap();
    let o = next_offer(&mut sub).await;
    assert_eq!((o.customer.contact, o.customer.name.as_str()), (Some(c.id), "Ada Lovelace"));
    let bad = ws.admin.new_conversation(&conv(team.queue, Scenario::Sms, "", &[], Some("07700 900123"))).await.unwrap_err();
    assert!(matches!(bad, herald_client::ClientError::Api { status: 400, ref error } if error.field.as_deref() == Some("phone")));
}

#[tokio::test]
async fn r24_missed_offer_sets_inactive_with_banner() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    ws.settings(|s| s.missed_notifications = true).await;
    ws.template(Scenario::Chat, |t| t.timeout_secs = TimeoutSecs::parse(1).unwrap()).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let o = next_offer(&mut sub).await;
    a.client.displayed(o.id).await.unwrap();
    let banner = next_where(&mut sub, |e| match e {
        AgentEvent::BannerRaised(b) => Some(b.clone()),
        _ => None,
    })
    .await;
    assert_eq!(banner.reason, BlockReason::Missed);
    let me = a.client.me().await.unwrap();
    assert_eq!(me.agent.presence.base, BasePresence::Inactive);
    assert_eq!(me.agent.banner.map(|b| b.reason), Some(BlockReason::Missed));
    assert_eq!(me.agent.missed_count, 1);
}

#[tokio::test]
async fn r26_unseen_offer_redirected_after_timeout_plus_delay() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let (a, b) = (&team.agents[0], &team.agents[1]);
    ws.settings(|s| {
        s.disconnect_grace_secs = 1;
        s.unseen_redirect_secs = 2;
    })
    .await;
    ws.template(Scenario::Chat, |t| t.timeout_secs = TimeoutSecs::parse(1).unwrap()).await;
    let mut sb = b.subscribe().await;
    // Agent A's app is not running: the offer is never displayed.
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let held = a.client.me().await.unwrap().offers;
    assert_eq!(held.len(), 1, "assigned to A for now");
    let o = next_offer(&mut sb).await;
    assert_eq!(o.work_item, item.id);
    let redirected_after = o.created_at.0 - held[0].created_at.0;
    assert!(redirected_after >= 3_000, "redirected {redirected_after} ms after the offer; expected timeout 1 s + 2 s");
    let ended = ws.admin.agents().await.unwrap().into_iter().find(|x| x.id == a.id).unwrap();
    assert_eq!(ended.missed_count, 1);
}

#[tokio::test]
async fn r27_eleventh_item_with_ten_sessions_sets_dnd() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    for i in 0..10 {
        ws.request(team.queue, Scenario::Chat, &format!("C{i}")).await;
        let o = next_offer(&mut sub).await;
        a.client.accept(o.id).await.unwrap();
    }
    ws.request(team.queue, Scenario::Chat, "C10").await;
    let banner = next_where(&mut sub, |e| match e {
        AgentEvent::BannerRaised(b) => Some(b.reason),
        _ => None,
    })
    .await;
    assert_eq!(banner, BlockReason::MaxSessions);
    let me = a.client.me().await.unwrap();
    assert_eq!((me.agent.presence.base, me.sessions.len()), (BasePresence::BusyDnd, 10));
}

#[tokio::test]
async fn r28_r29_reject_sets_dnd_and_reset_restores_last_presence() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let (a, b) = (&team.agents[0], &team.agents[1]);
    let (mut sa, mut sb) = (a.subscribe().await, b.subscribe().await);
    ws.settings(|s| s.agent_reject = true).await;
    ws.template(Scenario::Chat, |t| t.reject_allowed = true).await;
    a.client.set_presence(Presence { base: BasePresence::Busy, custom: None }).await.unwrap();
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let o = next_offer(&mut sa).await;
    a.client.reject(o.id).await.unwrap();
    assert_eq!(next_presence(&mut sa).await.base, BasePresence::BusyDnd);
    assert_eq!(next_offer(&mut sb).await.work_item, item.id, "rerouted");
    // R29: no work while DND, whatever arrives.
    let item2 = ws.request(team.queue, Scenario::Chat, "Bob").await;
    assert!(a.client.me().await.unwrap().offers.is_empty());
    let me = a.client.reset_my_presence().await.unwrap();
    assert_eq!(me.presence.base, BasePresence::Busy, "back to the last presence the system defined");
    assert!(me.banner.is_none());
    assert_eq!(next_offer(&mut sa).await.work_item, item2.id, "Busy allows work in this workstream");
}

#[tokio::test]
async fn r30_supervisor_resets_presence_agent_cannot() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let (a, b) = (&team.agents[0], &team.agents[1]);
    let mut sa = a.subscribe().await;
    let mut ssup = team.supervisor.subscribe().await;
    ws.settings(|s| s.agent_reject = true).await;
    ws.template(Scenario::Chat, |t| t.reject_allowed = true).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let o = next_offer(&mut sa).await;
    a.client.reject(o.id).await.unwrap();
    let team_view = team.supervisor.client.team().await.unwrap();
    let row = team_view.iter().find(|r| r.id == a.id).unwrap();
    assert_eq!((row.presence.base, row.rejected_count), (BasePresence::BusyDnd, 1));
    let denied = b.client.reset_presence_of(a.id).await.unwrap_err();
    assert_eq!(denied.status(), Some(403));
    let after = team.supervisor.client.reset_presence_of(a.id).await.unwrap();
    assert_eq!(after.presence.base, BasePresence::Available);
    // The supervisor's live team view hears of it.
    let seen = next_where(&mut ssup, |e| match e {
        AgentEvent::TeamAgentChanged(s) if s.id == a.id && s.presence.base == BasePresence::Available && s.rejected_count == 1 => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(seen, ());
}

#[tokio::test]
async fn r31_custom_presence_maps_onto_base() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    ws.settings(|s| s.custom_presences = vec![CustomPresence { name: "Lunch".into(), base: BasePresence::Away }]).await;
    let me = a.client.set_presence(Presence { base: BasePresence::Available, custom: Some("Lunch".into()) }).await.unwrap();
    assert_eq!((me.presence.base, me.presence.custom.as_deref()), (BasePresence::Away, Some("Lunch")));
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    assert!(a.client.me().await.unwrap().offers.is_empty(), "Away does not get work");
    ws.admin
        .update_workstream(
            team.workstream,
            &WorkstreamInput {
                name: "Messaging".into(),
                mode: RoutingMode::LeastBusy,
                allowed_presences: vec![BasePresence::Available, BasePresence::Away],
            },
        )
        .await
        .unwrap();
    assert_eq!(a.client.me().await.unwrap().offers[0].work_item, item.id, "the workstream now allows Away");
    let err = a.client.set_presence(Presence { base: BasePresence::Away, custom: Some("Nap".into()) }).await.unwrap_err();
    assert!(matches!(err, herald_client::ClientError::Api { status: 400, ref error } if error.field.as_deref() == Some("presence.custom")));
}

#[tokio::test]
async fn offers_of_others_unknown_and_withdrawn() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let (a, b) = (&team.agents[0], &team.agents[1]);
    let mut sa = a.subscribe().await;
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let o = next_offer(&mut sa).await;
    assert_eq!(b.client.accept(o.id).await.unwrap_err().status(), Some(403), "someone else's offer");
    assert_eq!(a.client.accept(OfferId(999_999)).await.unwrap_err().status(), Some(404));
    ws.admin.close_conversation(item.id).await.unwrap();
    assert_eq!(next_offer_end(&mut sa).await, (o.id, OfferState::Withdrawn));
    let stale = a.client.accept(o.id).await.unwrap_err();
    assert_eq!((stale.status(), stale.code()), (Some(409), Some(ErrorCode::OfferNotPending)));
    assert!(stale.to_string().contains("withdrawn"), "{stale}");
    assert_eq!(b.client.accept(o.id).await.unwrap_err().status(), Some(403), "an ended offer is still not yours");
}

#[tokio::test]
async fn malformed_input_is_400_naming_the_field_and_changes_nothing() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let before = ws.admin.templates().await.unwrap();
    let cases = [
        (
            "PUT",
            "/v1/admin/templates/chat",
            r#"{"scenario":"chat","title":"x","fields":[],"timeout_secs":900,"kind":"alert","desktop_mode":"always"}"#,
            "timeout_secs",
        ),
        (
            "PUT",
            "/v1/admin/templates/chat",
            r#"{"scenario":"chat","title":"x","fields":[],"reject_allowed":true,"auto_accept":true,"kind":"alert","desktop_mode":"always"}"#,
            "reject_allowed",
        ),
        (
            "PUT",
            "/v1/admin/templates/chat",
            r#"{"scenario":"chat","title":"x","fields":[], "kind":"sideways","desktop_mode":"always"}"#,
            "kind",
        ),
        ("POST", "/v1/conversations", r#"{"scenario":"chat"}"#, "queue"),
        ("POST", "/v1/conversations", r#"{"scenario":"fax","queue":1}"#, "scenario"),
        ("POST", "/v1/conversations", "{not json", "body"),
        ("POST", "/v1/conversations", "", "body"),
        ("PUT", "/v1/admin/settings", r#"{"max_sessions":0}"#, "max_sessions"),
        ("POST", "/v1/admin/queues", r#"{"name":"Q","workstream":1,"members":["x"]}"#, "members[0]"),
    ];
    for (method, path, body, field) in cases {
        let (status, text) = ws.admin.raw(method.parse().unwrap(), path, Some(body)).await.unwrap();
        assert_eq!(status, 400, "{method} {path} {body}: {text}");
        let err: ApiError = serde_json::from_str(&text).unwrap();
        assert_eq!((err.code, err.field.as_deref()), (ErrorCode::InvalidInput, Some(field)), "{body}: {text}");
    }
    assert_eq!(ws.admin.templates().await.unwrap(), before, "nothing half-written");
    let (status, text) = team.agents[0].client.raw("POST".parse().unwrap(), "/v1/offers/abc/accept", None).await.unwrap();
    assert_eq!(status, 400, "{text}");
    let (status, _) = ws.admin.raw("GET".parse().unwrap(), "/v1/nowhere", None).await.unwrap();
    assert_eq!(status, 404);
    let err =
        ws.admin.create_queue(&QueueInput { name: "Q".into(), workstream: WorkstreamId(424_242), members: vec![] }).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn least_busy_spreads_work_and_round_robin_takes_turns() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(3).await;
    let mut subs = Vec::new();
    for a in &team.agents {
        subs.push(a.subscribe().await);
    }
    let mut got = Vec::new();
    for i in 0..3 {
        ws.request(team.queue, Scenario::Chat, &i.to_string()).await;
        let me: Vec<_> = futures_util::future::join_all(team.agents.iter().map(|a| a.client.me())).await;
        let (idx, offer) =
            me.iter().enumerate().find_map(|(i, m)| m.as_ref().unwrap().offers.first().map(|o| (i, o.id))).expect("someone got it");
        team.agents[idx].client.accept(offer).await.unwrap();
        got.push(idx);
    }
    got.sort_unstable();
    assert_eq!(got, [0, 1, 2], "least busy: one each");
}

#[tokio::test]
async fn openapi_documents_every_endpoint() {
    let ws = TestWorkspace::start().await;
    let doc = ws.anonymous().openapi().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/v1/me",
        "/v1/offers/{id}/accept",
        "/v1/events",
        "/v1/events/poll",
        "/v1/team",
        "/v1/conversations",
        "/v1/admin/templates/{scenario}",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    assert!(doc["components"]["schemas"]["Offer"].is_object());
    assert_eq!(ws.anonymous().health().await.unwrap().status, "ok");
}
