//! R1, R10: customer web chat through the customer's own API (the page uses exactly this; the
//! browser story is in webchat_browser.rs).

use herald_e2e::*;
use herald_protocol::*;
use serde_json::{Value, json};

/// A customer's side of one chat, speaking plain HTTP like the page does.
struct Customer {
    http: reqwest::Client,
    base: String,
    chat: ChatStarted,
}

async fn start_chat(ws: &TestWorkspace, widget: &str, body: Value) -> Result<Customer, (u16, ApiError)> {
    let http = reqwest::Client::new();
    let res = http.post(format!("{}/webchat/{widget}/conversations", ws.url)).json(&body).send().await.unwrap();
    let status = res.status().as_u16();
    if status != 201 {
        return Err((status, res.json().await.unwrap()));
    }
    Ok(Customer { http, base: ws.url.clone(), chat: res.json().await.unwrap() })
}

impl Customer {
    async fn raw_view(&self, query: &str) -> Value {
        let url = format!("{}/webchat/conversations/{}?{query}", self.base, self.chat.conversation.0);
        let res = self.http.get(url).bearer_auth(&self.chat.token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// Long-polls until the state differs from `known` or a line after `after` arrives.
    async fn wait(&self, after: u64, known: ChatState) -> ChatView {
        let state = serde_json::to_value(known).unwrap();
        let v = within(self.raw_view(&format!("after={after}&state={}&wait=10", state.as_str().unwrap()))).await;
        serde_json::from_value(v).unwrap()
    }

    async fn say(&self, body: &str) -> (u16, Value) {
        let url = format!("{}/webchat/conversations/{}/messages", self.base, self.chat.conversation.0);
        let res = self.http.post(url).bearer_auth(&self.chat.token).json(&json!({ "body": body })).send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn r01_r10_a_customer_chats_with_the_agent_who_accepted() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let a = &team.agents[0];
    ws.template(Scenario::Chat, |t| {
        t.fields = vec![
            TemplateField { label: "Customer".into(), value: "{customerName}".into() },
            TemplateField { label: "Topic".into(), value: "{topic}".into() },
            TemplateField { label: "Email".into(), value: "{email}".into() },
        ]
    })
    .await;
    let mut sub = a.subscribe().await;

    let c =
        start_chat(&ws, "default", json!({ "name": "Ada", "answers": { "topic": "My bill", "email": "ada@example.org" } })).await.unwrap();
    assert!(c.chat.token.starts_with("hrldc_"));
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.scenario, Scenario::Chat);
    assert_eq!(
        offer.fields.iter().map(|f| f.value.as_str()).collect::<Vec<_>>(),
        ["Ada", "My bill", "ada@example.org"],
        "R9: pre-chat answers are placeholders"
    );
    let first = c.wait(0, ChatState::Connected).await;
    assert_eq!((first.state, first.agent_name.as_deref()), (ChatState::Waiting, None));

    let session = a.client.accept(offer.id).await.unwrap();
    assert_eq!(session.context.get("topic").map(String::as_str), Some("My bill"), "R10: the context on the session");
    let connected = c.wait(0, ChatState::Waiting).await;
    assert_eq!((connected.state, connected.agent_name.as_deref()), (ChatState::Connected, Some("Agent 0")));

    let (status, line) = c.say("Hi, I was charged twice").await;
    assert_eq!(status, 201);
    assert_eq!(line["from"], "you");
    let m = next_message(&mut sub).await;
    assert_eq!((m.author, m.author_name.as_str(), m.body.as_str()), (Author::Customer, "Ada", "Hi, I was charged twice"));
    let reply = a.client.send_message(session.id, "Sorry about that, Ada. Let me look.").await.unwrap();
    let v = c.wait(m.id.0, ChatState::Connected).await;
    assert_eq!(v.lines.len(), 1);
    assert_eq!((v.lines[0].id, v.lines[0].from, v.lines[0].name.as_str()), (reply.id, ChatParty::Agent, "Agent 0"));

    // Nothing about the agent but the display name reaches the customer.
    let raw = c.raw_view("after=0").await;
    let keys: Vec<&str> = raw.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["agent_name", "lines", "state"]);
    for l in raw["lines"].as_array().unwrap() {
        let keys: Vec<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["at", "body", "from", "id", "name"]);
    }

    // The customer leaves: the agent reads it, the session closes, the chat is over.
    let leave = c
        .http
        .post(format!("{}/webchat/conversations/{}/leave", c.base, c.chat.conversation.0))
        .bearer_auth(&c.chat.token)
        .send()
        .await
        .unwrap();
    assert_eq!(leave.status(), 204);
    let note = next_where(&mut sub, |e| match e {
        AgentEvent::MessageAdded(m) if m.author != Author::Agent => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!((note.author, note.body.as_str()), (Author::System, "Ada left the chat."));
    next_where(&mut sub, |e| matches!(e, AgentEvent::SessionClosed { session: s, .. } if *s == session.id).then_some(())).await;
    assert_eq!(c.wait(0, ChatState::Connected).await.state, ChatState::Ended);
    assert_eq!(c.say("hello?").await.0, 409);
    assert_eq!(a.client.transcript(session.id).await.unwrap().messages.len(), 3);
}

#[tokio::test]
async fn r01_the_customer_token_opens_one_conversation_only() {
    let ws = TestWorkspace::start().await;
    ws.team(1).await;
    let one = start_chat(&ws, "default", json!({ "name": "Ada", "answers": { "topic": "a" } })).await.unwrap();
    let two = start_chat(&ws, "default", json!({ "name": "Bob", "answers": { "topic": "b" } })).await.unwrap();
    let http = reqwest::Client::new();
    let url = |c: &Customer| format!("{}/webchat/conversations/{}", ws.url, c.chat.conversation.0);
    assert_eq!(http.get(url(&one)).send().await.unwrap().status(), 401, "no token");
    assert_eq!(http.get(url(&one)).bearer_auth("hrldc_guess").send().await.unwrap().status(), 401, "unknown token");
    assert_eq!(http.get(url(&one)).bearer_auth(&two.chat.token).send().await.unwrap().status(), 403, "another chat's token");
    assert_eq!(http.get(url(&one)).bearer_auth(ADMIN_TOKEN).send().await.unwrap().status(), 401, "staff tokens do not open chats");
    assert_eq!(http.get(url(&one)).bearer_auth(&one.chat.token).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn r01_pre_chat_answers_are_checked_and_widgets_are_configurable() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let err = |r: Result<Customer, (u16, ApiError)>| r.err().map(|(s, e)| (s, e.field));
    assert_eq!(err(start_chat(&ws, "default", json!({ "name": "Ada", "answers": {} })).await), Some((400, Some("answers.topic".into()))));
    assert_eq!(
        err(start_chat(&ws, "default", json!({ "name": " ", "answers": { "topic": "x" } })).await),
        Some((400, Some("name".into())))
    );
    assert_eq!(
        err(start_chat(&ws, "default", json!({ "name": "Ada", "answers": { "topic": "x", "ssn": "1" } })).await),
        Some((400, Some("answers.ssn".into())))
    );
    assert_eq!(err(start_chat(&ws, "default", json!({ "answers": {} })).await), Some((400, Some("name".into()))));
    assert_eq!(err(start_chat(&ws, "nope", json!({ "name": "Ada" })).await).map(|e| e.0), Some(404));

    let widget = json!({ "id": "sales", "title": "Talk to sales", "greeting": "Hi!", "queue": team.queue.0,
        "questions": [{ "key": "company", "label": "Company", "required": true }] });
    let (status, _) = ws.admin.raw(reqwest::Method::PUT, "/v1/admin/widgets/sales", Some(&widget.to_string())).await.unwrap();
    assert_eq!(status, 200);
    let bad = json!({ "id": "sales", "title": "x", "questions": [{ "key": "customerName", "label": "Name" }] });
    let (status, body) = ws.admin.raw(reqwest::Method::PUT, "/v1/admin/widgets/sales", Some(&bad.to_string())).await.unwrap();
    assert_eq!(status, 400);
    assert_eq!(serde_json::from_str::<ApiError>(&body).unwrap().field.as_deref(), Some("questions[0].key"));
    let public: Value = reqwest::get(format!("{}/webchat/sales/widget.json", ws.url)).await.unwrap().json().await.unwrap();
    assert_eq!(public["title"], "Talk to sales");
    assert!(public.get("queue").is_none(), "the page is not told internals");
    let mut sub = team.agents[0].subscribe().await;
    start_chat(&ws, "sales", json!({ "name": "Ada", "answers": { "company": "Analytical Engines Ltd" } })).await.unwrap();
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.customer.name, "Ada");
    let page = reqwest::get(format!("{}/webchat/sales", ws.url)).await.unwrap();
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}

#[tokio::test]
async fn r06_r10_after_a_transfer_the_customer_talks_on_with_the_next_agent() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(2).await;
    let mut s0 = team.agents[0].subscribe().await;
    let mut s1 = team.agents[1].subscribe().await;
    let c = start_chat(&ws, "default", json!({ "name": "Ada", "answers": { "topic": "Moving house" } })).await.unwrap();
    let (first, second, mut first_sub, mut second_sub, offer) = tokio::select! {
        o = next_offer(&mut s0) => (&team.agents[0], &team.agents[1], s0, s1, o),
        o = next_offer(&mut s1) => (&team.agents[1], &team.agents[0], s1, s0, o),
    };
    let session = first.client.accept(offer.id).await.unwrap();
    c.say("My new address is 12 Analytical Row").await;
    next_message(&mut first_sub).await;
    first.client.send_message(session.id, "I will pass you to our moving team.").await.unwrap();
    first.client.transfer(session.id, &TransferRequest { to_queue: None, to_agent: Some(second.id), escalate: false }).await.unwrap();

    let offer = next_offer(&mut second_sub).await;
    assert_eq!(offer.scenario, Scenario::Transfer);
    let waiting = c.wait(0, ChatState::Connected).await;
    assert_eq!(waiting.state, ChatState::Waiting, "between agents the customer waits");
    let next = second.client.accept(offer.id).await.unwrap();
    assert_eq!(next.conversation, Some(c.chat.conversation), "the app keys the transcript by it");
    let v = c.wait(0, ChatState::Waiting).await;
    assert_eq!(v.agent_name.as_deref(), Some(second_name(&team, second.id)));

    // The next agent reads what was said, and the customer talks on in the same chat.
    let t = second.client.transcript(next.id).await.unwrap();
    assert_eq!(
        t.messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["My new address is 12 Analytical Row", "I will pass you to our moving team."]
    );
    let (status, _) = c.say("Hello again").await;
    assert_eq!(status, 201);
    assert_eq!(next_message(&mut second_sub).await.body, "Hello again");
    let reply = second.client.send_message(next.id, "Hi Ada, moving team here.").await.unwrap();
    let last = t.messages.last().unwrap().id.0;
    let lines = c.raw_view(&format!("after={last}")).await;
    let names: Vec<&str> = lines["lines"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Ada", second_name(&team, second.id)]);
    assert_eq!(lines["lines"][1]["id"], reply.id.0);
}

fn second_name(team: &Team, id: AgentId) -> &'static str {
    if team.agents[0].id == id { "Agent 0" } else { "Agent 1" }
}
