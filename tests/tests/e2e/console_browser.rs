//! The admin console (the organisation issue, item 3) in a real browser: headless Chromium drives
//! `/admin/` of a real workspace (tests/webchat/console.mjs); the API then shows that what the
//! admin did happened — the invited person signs in with the password they set through the link,
//! the template is saved, the audit log has it all, and the customer assigned on the live queue
//! board is the agent's session. Screenshots of each page go to
//! target/test-artifacts/console/.

use herald_e2e::*;
use herald_protocol::*;
use std::path::PathBuf;
use std::process::Stdio;

const ADMIN_PASSWORD: &str = "admin-password-1";
const GRACE_PASSWORD: &str = "grace-password-1";

#[tokio::test]
async fn an_admin_invites_a_person_who_sets_a_password_and_edits_a_template_in_the_console() {
    let tools = browser_tools();
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    // Agent 0 is Away: a customer waits until someone assigns her.
    team.agents[0].client.set_presence(Presence { base: BasePresence::Away, custom: None }).await.unwrap();
    // The seeded admin gets a password the way anyone does: an invite's code.
    let admin = ws.admin.me().await.unwrap().agent.id;
    let invite = ws.admin.invite(admin, "admin@example.com").await.unwrap();
    ws.anonymous().set_password(&invite.code, ADMIN_PASSWORD).await.unwrap();

    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifacts/console");
    let mut browser = tokio::process::Command::new("node")
        .arg("console.mjs")
        .current_dir(&tools)
        .env("HERALD_URL", &ws.url)
        .env("ADMIN_EMAIL", "admin@example.com")
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("PERSON_PASSWORD", GRACE_PASSWORD)
        .env("ARTIFACTS", &artifacts)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(browser.stdout.take().unwrap()));
    let mut said = Vec::new();
    // The whole flow: many pages, each step waiting for what the admin would see (a step that
    // never comes fails in the browser after 15 s; this bounds the whole).
    let mut item = None;
    let flow = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            println!("{line}");
            // The board is open and live: only now does the customer start waiting.
            if line == "console: board open" {
                item = Some(ws.request(team.queue, Scenario::Chat, "Ada Lovelace").await);
            }
            said.push(line);
        }
        browser.wait().await.unwrap()
    };
    let status = tokio::time::timeout(std::time::Duration::from_secs(180), flow).await.expect("the console flow ends");
    assert!(status.success(), "the console flow failed; it said {said:#?}");
    assert_eq!(said.last().map(String::as_str), Some("console: done"));

    // The customer the admin assigned on the board is Agent 0's session now (what the app shows).
    let item = item.expect("the board opened");
    let me = team.agents[0].client.me().await.unwrap();
    assert!(me.sessions.iter().any(|s| s.work_item == item.id), "{:#?}", me.sessions);
    // Grace signs in with the password she set through the link, as an agent.
    let grace = ws.anonymous().sign_in("grace@example.com", GRACE_PASSWORD).await.unwrap();
    assert_eq!((grace.name.as_str(), grace.role), ("Grace Hopper", Role::Agent));
    // The template is what the admin saved (the refused 501 s never reached it).
    let chat = ws.admin.templates().await.unwrap().into_iter().find(|t| t.scenario == Scenario::Chat).unwrap();
    assert_eq!(chat.title, "Chat with {customerName}");
    assert!(chat.reject_allowed);
    assert_eq!(chat.timeout_secs.secs(), 45);
    // The pages are the console's, with a policy that keeps them to the workspace.
    let res = reqwest::get(format!("{}/admin/", ws.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    let policy = res.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    assert!(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(res.text().await.unwrap().contains("admin console"));
    let missing = reqwest::get(format!("{}/admin/assets/nothing.js", ws.url)).await.unwrap();
    assert_eq!(missing.status(), 404);
}
