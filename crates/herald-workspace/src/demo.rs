//! Demo traffic: a team (an agent for the person at the keyboard, simulated colleagues and a
//! supervisor), a workstream and queue, a few contacts, and a stream of mixed customer requests.
//! Simulated colleagues accept most offers after a moment, let some time out, and close their
//! sessions after a while, so the queue moves the way a real one does. Chats, SMS and calls come
//! with what the customer (or the voice bot) said, and simulated customers answer the demo agent's
//! messages a couple of seconds later.

use crate::auth::Tokens;
use crate::engine::{Engine, now};
use herald_core::{
    AgentEvent, AgentId, AgentSpec, Author, BasePresence, ContactSpec, Input, NewMessage, NewWorkItem, OfferAction, PhoneNumber, Presence,
    QueueId, QueueSpec, Reply, Role, RoutingMode, Scenario, WorkItemId, WorkstreamSpec,
};
use rand::Rng;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How much demo there is.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    /// Simulated colleagues besides the person's own agent.
    pub colleagues: usize,
    /// Customer requests per minute.
    pub per_minute: f64,
    /// Switches the customer traffic on and off while running (the colleagues keep working).
    pub traffic: DemoSwitch,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { colleagues: 3, per_minute: 6.0, traffic: DemoSwitch::new(true) }
    }
}

/// A shared on/off switch for demo traffic (the desktop's Settings toggle it).
#[derive(Clone, Debug)]
pub struct DemoSwitch(Arc<std::sync::atomic::AtomicBool>);

impl DemoSwitch {
    pub fn new(on: bool) -> Self {
        Self(Arc::new(std::sync::atomic::AtomicBool::new(on)))
    }

    pub fn set(&self, on: bool) {
        self.0.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_on(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// What `seed` created or found.
#[derive(Clone, Debug)]
pub struct Seeded {
    pub queue: QueueId,
    /// The agent a person signs in as (not simulated).
    pub me: AgentId,
    pub me_token: String,
    pub supervisor: AgentId,
    pub supervisor_token: String,
    pub colleagues: Vec<AgentId>,
}

const NAMES: [&str; 12] = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Margaret Hamilton",
    "Ken Thompson",
    "Frances Allen",
    "John McCarthy",
    "Radia Perlman",
    "Leslie Lamport",
];

async fn agent(engine: &Engine, name: &str, role: Role) -> anyhow::Result<AgentId> {
    match engine.apply(Input::UpsertAgent(AgentSpec { id: None, name: name.into(), role })).await? {
        Reply::Agent(id) => Ok(id),
        other => anyhow::bail!("unexpected reply {other:?}"),
    }
}

/// Creates the demo team once (an existing "Demo" workstream is reused).
pub async fn seed(engine: &Engine, tokens: &Tokens, cfg: &DemoConfig) -> anyhow::Result<Seeded> {
    let existing = engine
        .read(|r, _| {
            let q = r.queues().find(|q| q.name == "Demo support")?;
            let me = *q.members.first()?;
            let sup = r.agents().find(|a| a.role == Role::Supervisor && a.name == "Sam Supervisor")?.id;
            Some((q.id, me, sup, q.members[1..].to_vec()))
        })
        .await;
    if let Some((queue, me, supervisor, colleagues)) = existing {
        tracing::info!(%queue, "demo team already seeded; issuing fresh tokens");
        let (me_token, supervisor_token) = demo_tokens(engine, tokens, me, supervisor).await?;
        return Ok(Seeded { queue, me, me_token, supervisor, supervisor_token, colleagues });
    }
    let me = agent(engine, "You (demo agent)", Role::Agent).await?;
    let supervisor = agent(engine, "Sam Supervisor", Role::Supervisor).await?;
    let mut colleagues = Vec::new();
    for i in 0..cfg.colleagues {
        colleagues.push(agent(engine, &format!("Colleague {}", i + 1), Role::Agent).await?);
    }
    let ws = match engine
        .apply(Input::UpsertWorkstream(WorkstreamSpec {
            id: None,
            name: "Demo messaging".into(),
            mode: RoutingMode::LeastBusy,
            allowed_presences: vec![BasePresence::Available, BasePresence::Busy],
        }))
        .await?
    {
        Reply::Workstream(id) => id,
        other => anyhow::bail!("unexpected reply {other:?}"),
    };
    let mut members = vec![me];
    members.extend(&colleagues);
    let queue = match engine.apply(Input::UpsertQueue(QueueSpec { id: None, name: "Demo support".into(), workstream: ws, members })).await?
    {
        Reply::Queue(id) => id,
        other => anyhow::bail!("unexpected reply {other:?}"),
    };
    for (i, name) in NAMES.iter().take(4).enumerate() {
        let phone = PhoneNumber::parse(&format!("+3161234500{i}"))?;
        engine.apply(Input::UpsertContact(ContactSpec { id: None, name: (*name).into(), mobile_phone: Some(phone) })).await?;
    }
    for s in [Scenario::Chat, Scenario::Sms, Scenario::Voice, Scenario::BotEscalation] {
        let mut t = herald_core::Template::default_for(s);
        t.reject_allowed = true;
        t.timeout_secs = herald_core::TimeoutSecs::parse(60)?;
        engine.apply(Input::PutTemplate(t)).await?;
    }
    for a in std::iter::once(me).chain(colleagues.iter().copied()) {
        engine.apply(Input::SetPresence { agent: a, presence: Presence::base(BasePresence::Available) }).await?;
    }
    let (me_token, supervisor_token) = demo_tokens(engine, tokens, me, supervisor).await?;
    Ok(Seeded { queue, me, me_token, supervisor, supervisor_token, colleagues })
}

async fn demo_tokens(engine: &Engine, tokens: &Tokens, me: AgentId, supervisor: AgentId) -> anyhow::Result<(String, String)> {
    let (_, me_token) = tokens.issue(engine.store(), me, now().0).await?;
    let (_, supervisor_token) = tokens.issue(engine.store(), supervisor, now().0).await?;
    tracing::info!(%me, token = %me_token, "demo agent token (Authorization: Bearer …)");
    tracing::info!(%supervisor, token = %supervisor_token, "demo supervisor token");
    Ok((me_token, supervisor_token))
}

/// One random customer request.
pub fn random_request(rng: &mut impl Rng, queue: QueueId) -> NewWorkItem {
    let scenario = match rng.random_range(0..10) {
        0..=3 => Scenario::Chat,
        4..=5 => Scenario::Sms,
        6..=7 => Scenario::Voice,
        8 => Scenario::Case,
        _ => Scenario::WorkItem,
    };
    let who = rng.random_range(0..NAMES.len());
    let mut context = BTreeMap::new();
    let mut phone = None;
    let mut name = NAMES[who].to_string();
    let mut messages = Vec::new();
    let said = |author: Author, body: &str| NewMessage { author, author_name: None, body: body.into(), external_id: None };
    match scenario {
        Scenario::Chat => {
            let topic = ["Billing", "Delivery", "Returns", "Login"][who % 4];
            context.insert("email".into(), format!("{}@example.org", name.split(' ').next().unwrap_or("x").to_lowercase()));
            context.insert("topic".into(), topic.into());
            messages.push(said(Author::Customer, &format!("Hi, I have a question about {}.", topic.to_lowercase())));
        }
        Scenario::Sms | Scenario::Voice => {
            // The first four are contacts: their name comes from the contact record (R22).
            phone = PhoneNumber::parse(&format!("+3161234500{}", who % 8)).ok();
            if who % 8 < 4 {
                name.clear();
            }
            context.insert("message".into(), "Hi, where is my order?".into());
            context.insert("botSummary".into(), "Order status question; order #4711".into());
            if scenario == Scenario::Voice {
                messages.push(said(Author::Bot, "Thanks for calling. In a few words, what is your call about?"));
                messages.push(said(Author::Customer, "Where is my order? It is order 4711."));
            } else {
                messages.push(said(Author::Customer, "Hi, where is my order?"));
            }
        }
        Scenario::Case => {
            context.insert("caseId".into(), format!("CAS-{:05}", rng.random_range(0..100_000)));
            context.insert("caseTitle".into(), "Refund not received".into());
        }
        _ => {}
    }
    NewWorkItem { scenario, channel: None, queue, customer_name: name, phone, context, target_agent: None, messages }
}

/// What simulated customers answer, in turn.
const ANSWERS: [&str; 4] = [
    "Thanks! It is order 4711.",
    "I ordered it two weeks ago and it still says \"processing\".",
    "OK, that helps.",
    "Great, thank you. Have a nice day!",
];

/// Generates traffic and plays the colleagues until `shutdown`.
pub async fn run(engine: Arc<Engine>, seeded: Seeded, cfg: DemoConfig, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    for a in &seeded.colleagues {
        // Simulated colleagues are always connected.
        let _ = engine.apply(Input::Connected { agent: *a }).await;
    }
    let every = Duration::from_secs_f64(60.0 / cfg.per_minute.max(0.1));
    let mut traffic = tokio::time::interval(every);
    let mut play = tokio::time::interval(Duration::from_millis(500));
    // The demo agent's log: simulated customers answer what the person writes.
    let mut mine = engine.hub().subscribe(seeded.me);
    let mut answers: Vec<(tokio::time::Instant, WorkItemId, usize)> = Vec::new();
    let mut said: std::collections::HashMap<WorkItemId, usize> = std::collections::HashMap::new();
    tracing::info!(per_minute = cfg.per_minute, colleagues = cfg.colleagues, traffic = cfg.traffic.is_on(), "demo team running");
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            e = mine.recv() => match e {
                Ok(crate::realtime::Live::Entry(e)) => {
                    if let AgentEvent::MessageAdded(m) = &e.event {
                        if m.author == Author::Agent {
                            let n = said.entry(m.work_item).or_insert(0);
                            if *n < ANSWERS.len() {
                                let wait = Duration::from_millis(rand::rng().random_range(1_500..4_000));
                                answers.push((tokio::time::Instant::now() + wait, m.work_item, *n));
                                *n += 1;
                            }
                        }
                    }
                }
                // Only this instance's commits reach the demo (it runs where the engine does).
                Ok(crate::realtime::Live::Committed(_)) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => mine = engine.hub().subscribe(seeded.me),
            },
            _ = traffic.tick() => {
                if !cfg.traffic.is_on() {
                    continue;
                }
                let req = random_request(&mut rand::rng(), seeded.queue);
                if let Err(e) = engine.apply(Input::Request(req)).await {
                    tracing::warn!(error = %e, "demo request refused");
                }
            }
            _ = play.tick() => {
                play_colleagues(&engine, &seeded.colleagues).await;
                let now = tokio::time::Instant::now();
                let (due, later): (Vec<_>, Vec<_>) = answers.drain(..).partition(|(at, _, _)| *at <= now);
                answers = later;
                for (_, conversation, n) in due {
                    let message = NewMessage { author: Author::Customer, author_name: None, body: ANSWERS[n].into(), external_id: None };
                    // The conversation may have ended meanwhile; then nobody answers.
                    let _ = engine.apply(Input::CustomerMessage { conversation, message }).await;
                }
            }
        }
    }
}

async fn play_colleagues(engine: &Engine, colleagues: &[AgentId]) {
    let t = now();
    let todo = engine
        .read(|r, _| {
            let mut inputs = Vec::new();
            for a in colleagues {
                for o in r.offers_of(*a) {
                    let age = t.0.saturating_sub(o.created_at.0);
                    if age > 1_500 + (o.id.0 % 4) * 1_000 {
                        // One in six is left to time out; the rest are accepted.
                        if o.id.0 % 6 != 0 || o.actions.contains(&OfferAction::OpenItem) {
                            inputs.push(Input::Accept { agent: *a, offer: o.id });
                        }
                    } else if o.displayed_at.is_none() {
                        inputs.push(Input::Displayed { agent: *a, offer: o.id });
                    }
                }
                for s in r.sessions_of(*a) {
                    let age = t.0.saturating_sub(s.created_at.0);
                    if age > 20_000 + (s.id.0 % 5) * 5_000 {
                        inputs.push(Input::CloseSession { agent: *a, session: s.id });
                    }
                }
                let blocked = r.agent(*a).is_some_and(|x| x.block.is_some());
                if blocked {
                    inputs.push(Input::ResetPresence { agent: *a, by: *a });
                }
            }
            inputs
        })
        .await;
    for input in todo {
        // Colleagues are not instant: each action waits for a later round one time in ten.
        if rand::rng().random_bool(0.9) {
            let _ = engine.apply(input).await;
        }
    }
}
