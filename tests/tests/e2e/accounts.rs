//! People sign in with an email and a password (the organisation issue, item 1): an admin
//! invites, the invite's one-time code sets the password, sign-in gives a revocable token;
//! failed sign-ins are slowed and then refused; a reset or a disabled account ends the person's
//! sessions and streams at once.

use herald_client::{Client, Transport};
use herald_e2e::*;
use herald_protocol::*;
use herald_workspace::store::Store;
use std::time::{Duration, Instant};

const GOOD: &str = "correct horse battery";

/// An agent invited as `email` who has set the password [`GOOD`].
async fn invited(ws: &TestWorkspace, name: &str, email: &str) -> (AgentId, SignedIn) {
    let agent = ws.admin.create_agent(name, Role::Agent).await.unwrap();
    let invite = ws.admin.invite(agent.id, email).await.unwrap();
    let signed = ws.anonymous().set_password(&invite.code, GOOD).await.unwrap();
    (agent.id, signed)
}

use herald_e2e::api_error as api;

#[tokio::test]
async fn an_invited_person_sets_a_password_and_signs_in_with_their_email() {
    let ws = TestWorkspace::start().await;
    let agent = ws.admin.create_agent("Ada", Role::Agent).await.unwrap();
    let invite = ws.admin.invite(agent.id, "  Ada@Example.COM ").await.unwrap();
    assert_eq!((invite.email.as_str(), invite.path.as_str()), ("ada@example.com", "/v1/auth/set-password"));
    let anon = ws.anonymous();
    let (status, e) = api(anon.set_password(&invite.code, "short").await.unwrap_err());
    assert_eq!((status, e.field.as_deref()), (400, Some("password")), "{}", e.message);
    assert!(e.message.contains("at least 10"), "{}", e.message);
    let set = anon.set_password(&invite.code, GOOD).await.unwrap();
    assert_eq!((set.agent, set.role), (agent.id, Role::Agent));
    let (status, e) = api(anon.set_password(&invite.code, GOOD).await.unwrap_err());
    assert_eq!(status, 404, "an invite works once: {}", e.message);

    let signed = anon.sign_in("ADA@example.com", GOOD).await.unwrap();
    assert_eq!((signed.agent, signed.name.as_str()), (agent.id, "Ada"));
    let me = anon.with_token(&signed.token).me().await.unwrap();
    assert_eq!(me.agent.id, agent.id);
    let account = ws.admin.account(agent.id).await.unwrap();
    assert_eq!((account.has_password, account.disabled), (true, false));

    for (email, password) in [("ada@example.com", "wrong password!"), ("nobody@example.com", GOOD)] {
        let (status, e) = api(anon.sign_in(email, password).await.unwrap_err());
        assert_eq!((status, e.code, e.message.as_str()), (401, ErrorCode::Unauthenticated, "wrong email or password"), "{email}");
    }
    let (status, e) = api(anon.sign_in("not an email", GOOD).await.unwrap_err());
    assert_eq!((status, e.field.as_deref()), (400, Some("email")));

    // Signing out ends that token only.
    anon.with_token(&signed.token).sign_out().await.unwrap();
    assert_eq!(api(anon.with_token(&signed.token).me().await.unwrap_err()).0, 401);
    assert_eq!(anon.with_token(&set.token).me().await.unwrap().agent.id, agent.id);

    // Only an admin invites; one email is one person.
    let other = ws.admin.create_agent("Bob", Role::Agent).await.unwrap();
    assert_eq!(api(anon.with_token(&set.token).invite(other.id, "bob@example.com").await.unwrap_err()).0, 403);
    let (status, e) = api(ws.admin.invite(other.id, "ada@example.com").await.unwrap_err());
    assert_eq!(status, 409, "{}", e.message);
}

#[tokio::test]
async fn an_expired_or_replaced_invite_does_not_set_a_password() {
    let ws = TestWorkspace::start().await;
    let agent = ws.admin.create_agent("Cy", Role::Agent).await.unwrap();
    let first = ws.admin.invite(agent.id, "cy@example.com").await.unwrap();
    let second = ws.admin.invite(agent.id, "cy@example.com").await.unwrap();
    assert_eq!(api(ws.anonymous().set_password(&first.code, GOOD).await.unwrap_err()).0, 404, "only the newest link works");
    // An invite whose time ran out (written as the store keeps it, already expired).
    let store = Store::open(ws.database_url()).await.unwrap();
    let code = "hrld_expired-invite-code";
    store.insert_invite(agent.id, &herald_workspace::auth::hash_token(code), 1_000, 2_000).await.unwrap();
    assert_eq!(api(ws.anonymous().set_password(code, GOOD).await.unwrap_err()).0, 404);
    assert_eq!(api(ws.anonymous().set_password(&second.code, GOOD).await.unwrap_err()).0, 404, "the expired one replaced it");
}

#[tokio::test]
async fn failed_sign_ins_are_slowed_then_refused_for_the_account_with_retry_after() {
    let ws = TestWorkspace::start().await;
    invited(&ws, "Dee", "dee@example.com").await;
    invited(&ws, "Eve", "eve@example.com").await;
    let anon = ws.anonymous();
    for _ in 0..3 {
        assert_eq!(api(anon.sign_in("dee@example.com", "wrong password!").await.unwrap_err()).0, 401);
    }
    let t = Instant::now();
    assert_eq!(api(anon.sign_in("dee@example.com", "wrong password!").await.unwrap_err()).0, 401);
    assert!(t.elapsed() >= Duration::from_secs(1), "the fourth failure is slowed");
    for _ in 4..10 {
        assert_eq!(api(anon.sign_in("dee@example.com", "wrong password!").await.unwrap_err()).0, 401);
    }
    let (status, e) = api(anon.sign_in("dee@example.com", GOOD).await.unwrap_err());
    assert_eq!((status, e.code), (429, ErrorCode::RateLimited), "refused even with the right password: {}", e.message);
    assert!(e.message.contains("for this account") && e.message.contains("min"), "{}", e.message);
    let res = reqwest::Client::new()
        .post(format!("{}/v1/auth/sign-in", ws.url))
        .json(&SignInRequest { email: "dee@example.com".into(), password: GOOD.into() })
        .send()
        .await
        .unwrap();
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    assert_eq!(anon.sign_in("eve@example.com", GOOD).await.unwrap().name, "Eve", "another account is not locked out");
}

#[tokio::test]
async fn a_person_changes_their_password_and_the_old_one_stops_working() {
    let ws = TestWorkspace::start().await;
    let (_, signed) = invited(&ws, "Fay", "fay@example.com").await;
    let me = ws.anonymous().with_token(&signed.token);
    let (status, e) = api(me.change_password("not the password", "a brand new secret").await.unwrap_err());
    assert_eq!((status, e.field.as_deref()), (400, Some("current")));
    let (status, e) = api(me.change_password(GOOD, "short").await.unwrap_err());
    assert_eq!((status, e.field.as_deref()), (400, Some("new")));
    me.change_password(GOOD, "a brand new secret").await.unwrap();
    assert_eq!(api(ws.anonymous().sign_in("fay@example.com", GOOD).await.unwrap_err()).0, 401);
    ws.anonymous().sign_in("fay@example.com", "a brand new secret").await.unwrap();
}

/// The agent's subscription through a token from sign-in; waits until it streams.
async fn streaming(ws: &TestWorkspace, token: &str) -> herald_client::Subscription {
    let mut sub = Client::new(&ws.url, Some(token)).unwrap().subscribe(0, Default::default());
    within(sub.wait_for_transport(Transport::Streaming)).await;
    sub
}

#[tokio::test]
async fn disabling_an_account_ends_its_streams_at_once_and_refuses_sign_in_until_enabled() {
    let ws = TestWorkspace::start().await;
    let (agent, signed) = invited(&ws, "Gus", "gus@example.com").await;
    let mut sub = streaming(&ws, &signed.token).await;
    let account = ws.admin.disable_account(agent).await.unwrap();
    assert!(account.disabled);
    within(sub.wait_for_transport(Transport::Unauthorized)).await;
    assert_eq!(api(ws.anonymous().with_token(&signed.token).me().await.unwrap_err()).0, 401);
    let (status, e) = api(ws.anonymous().sign_in("gus@example.com", GOOD).await.unwrap_err());
    assert_eq!(status, 403, "{}", e.message);
    assert!(e.message.contains("disabled"), "{}", e.message);
    assert!(!ws.admin.enable_account(agent).await.unwrap().disabled);
    ws.anonymous().sign_in("gus@example.com", GOOD).await.unwrap();
}

#[tokio::test]
async fn an_admin_reset_signs_the_person_out_everywhere_and_only_the_new_code_sets_a_password() {
    let ws = TestWorkspace::start().await;
    let (agent, signed) = invited(&ws, "Hal", "hal@example.com").await;
    let mut sub = streaming(&ws, &signed.token).await;
    let reset = ws.admin.reset_password(agent).await.unwrap();
    within(sub.wait_for_transport(Transport::Unauthorized)).await;
    assert_eq!(api(ws.anonymous().sign_in("hal@example.com", GOOD).await.unwrap_err()).0, 401, "the old password is gone");
    assert!(!ws.admin.account(agent).await.unwrap().has_password);
    let again = ws.anonymous().set_password(&reset.code, "another good secret").await.unwrap();
    assert_eq!(again.agent, agent);
    ws.anonymous().sign_in("hal@example.com", "another good secret").await.unwrap();
}

/// The audit log says who did what, newest first, in pages, filtered by action — and never
/// carries a password.
#[tokio::test]
async fn the_audit_log_records_sign_ins_failures_and_admin_actions_in_pages() {
    let ws = TestWorkspace::start().await;
    let (agent, signed) = invited(&ws, "Ida", "ida@example.com").await;
    let admin_id = ws.admin.me().await.unwrap().agent.id;
    assert_eq!(api(ws.anonymous().sign_in("ida@example.com", "not her password").await.unwrap_err()).0, 401);
    ws.anonymous().sign_in("ida@example.com", GOOD).await.unwrap();
    ws.template(Scenario::Chat, |t| t.timeout_secs = TimeoutSecs::parse(45).unwrap()).await;
    ws.admin.disable_account(agent).await.unwrap();
    ws.anonymous().with_token(&signed.token).me().await.unwrap_err();
    let team = ws.team(1).await; // a workstream and a queue, made by the admin
    let bot = ws.admin.create_integration("Support bot").await.unwrap();
    ws.admin.revoke_integration(bot.integration.id).await.unwrap();

    let page = ws.admin.audit(None, 500, None).await.unwrap();
    let actions: Vec<&str> = page.entries.iter().rev().map(|e| e.action.as_str()).collect();
    let want = [
        "agent_created",
        "invited",
        "password_set",
        "sign_in_failed",
        "sign_in",
        "template_changed",
        "account_disabled",
        "workstream_created",
        "queue_created",
        "integration_created",
        "integration_revoked",
    ];
    let mut at = 0;
    for w in want {
        at += actions[at..].iter().position(|a| *a == w).unwrap_or_else(|| panic!("{w} missing after position {at} in {actions:?}")) + 1;
    }
    let failed = page.entries.iter().find(|e| e.action == "sign_in_failed").unwrap();
    assert_eq!((failed.actor, failed.target.as_deref(), failed.client.as_deref()), (None, Some("ida@example.com"), Some("127.0.0.1")));
    let disabled = page.entries.iter().find(|e| e.action == "account_disabled").unwrap();
    assert_eq!((disabled.actor, disabled.target.clone()), (Some(admin_id), Some(agent.to_string())));
    let text = serde_json::to_string(&page).unwrap();
    assert!(!text.contains(GOOD) && !text.contains("not her password"), "no password in the log");

    // Pages: newest first, `next` leads on without overlap; a filter keeps one action.
    let first = ws.admin.audit(None, 2, None).await.unwrap();
    let second = ws.admin.audit(first.next, 2, None).await.unwrap();
    assert_eq!(first.entries.len(), 2);
    assert!(first.entries[0].id > first.entries[1].id && first.entries[1].id > second.entries[0].id);
    let only = ws.admin.audit(None, 50, Some("sign_in")).await.unwrap();
    assert!(!only.entries.is_empty() && only.entries.iter().all(|e| e.action == "sign_in"));
    assert_eq!(api(ws.anonymous().with_token(&team.agents[0].token).audit(None, 5, None).await.unwrap_err()).0, 403);
}
