//! A fake clock and a small team around a router, for the rule tests.
#![allow(dead_code)]

use herald_core::*;
use std::collections::BTreeMap;

pub struct World {
    pub router: Router,
    pub now: Timestamp,
    pub queue: QueueId,
    pub workstream: WorkstreamId,
    pub agents: Vec<AgentId>,
    pub supervisor: AgentId,
    /// Every event, in order, per agent.
    pub log: Vec<(AgentId, AgentEvent)>,
    /// What a store would hold: the last saved state of every entity, by kind and key.
    pub store: std::collections::BTreeMap<(String, String), Saved>,
}

impl World {
    /// `n` agents, all Available and connected, in one least-busy queue.
    pub fn new(n: usize) -> Self {
        Self::with_mode(n, RoutingMode::LeastBusy)
    }

    pub fn with_mode(n: usize, mode: RoutingMode) -> Self {
        let mut w = World {
            router: Router::new(),
            now: Timestamp(1_000_000),
            queue: QueueId(0),
            workstream: WorkstreamId(0),
            agents: Vec::new(),
            supervisor: AgentId(0),
            log: Vec::new(),
            store: std::collections::BTreeMap::new(),
        };
        for i in 0..n {
            let id = match w.ok(Input::UpsertAgent(AgentSpec { id: None, name: format!("Agent {i}"), role: Role::Agent })) {
                Reply::Agent(id) => id,
                other => panic!("{other:?}"),
            };
            w.agents.push(id);
        }
        w.supervisor = match w.ok(Input::UpsertAgent(AgentSpec { id: None, name: "Sue".into(), role: Role::Supervisor })) {
            Reply::Agent(id) => id,
            other => panic!("{other:?}"),
        };
        w.workstream = match w.ok(Input::UpsertWorkstream(WorkstreamSpec {
            id: None,
            name: "Messaging".into(),
            mode,
            allowed_presences: vec![BasePresence::Available, BasePresence::Busy],
        })) {
            Reply::Workstream(id) => id,
            other => panic!("{other:?}"),
        };
        w.queue = match w.ok(Input::UpsertQueue(QueueSpec {
            id: None,
            name: "General".into(),
            workstream: w.workstream,
            members: w.agents.clone(),
        })) {
            Reply::Queue(id) => id,
            other => panic!("{other:?}"),
        };
        for a in w.agents.clone() {
            w.ok(Input::Connected { agent: a });
            w.ok(Input::SetPresence { agent: a, presence: Presence::base(BasePresence::Available) });
        }
        w.log.clear();
        w
    }

    pub fn try_handle(&mut self, input: Input) -> Result<Reply, CoreError> {
        let applied = self.router.handle(self.now, input)?;
        self.log.extend(applied.events);
        for s in applied.saves {
            self.store.insert(store_key(&s), s);
        }
        self.router.check_invariants().expect("invariants");
        Ok(applied.reply.expect("reply"))
    }

    pub fn ok(&mut self, input: Input) -> Reply {
        self.try_handle(input).expect("input accepted")
    }

    /// Moves the fake clock and fires every deadline on the way.
    pub fn advance(&mut self, secs: u64) {
        let target = self.now.plus_secs(secs);
        while let Some(d) = self.router.next_deadline() {
            if d > target {
                break;
            }
            self.now = d.max(self.now);
            self.ok(Input::Tick);
        }
        self.now = target;
        self.ok(Input::Tick);
    }

    pub fn settings(&mut self, f: impl FnOnce(&mut Settings)) {
        let mut s = self.router.settings().clone();
        f(&mut s);
        self.ok(Input::PutSettings(s));
    }

    pub fn template(&mut self, scenario: Scenario, f: impl FnOnce(&mut Template)) {
        let mut t = self.router.templates().find(|t| t.scenario == scenario).cloned().unwrap();
        f(&mut t);
        self.ok(Input::PutTemplate(t));
    }

    pub fn request(&mut self, scenario: Scenario, name: &str) -> WorkItemId {
        self.request_with(scenario, name, BTreeMap::new(), None)
    }

    pub fn request_with(&mut self, scenario: Scenario, name: &str, context: BTreeMap<String, String>, phone: Option<&str>) -> WorkItemId {
        match self.ok(Input::Request(NewWorkItem {
            scenario,
            channel: None,
            queue: self.queue,
            customer_name: name.into(),
            phone: phone.map(|p| PhoneNumber::parse(p).unwrap()),
            context,
            target_agent: None,
            messages: Vec::new(),
        })) {
            Reply::WorkItem(id) => id,
            other => panic!("{other:?}"),
        }
    }

    /// The pending offer for this item, if any.
    pub fn offer_for(&self, item: WorkItemId) -> Option<Offer> {
        self.router.offers().find(|o| o.work_item == item).cloned()
    }

    pub fn presence(&self, agent: AgentId) -> BasePresence {
        self.router.agent(agent).unwrap().presence.base
    }

    pub fn events_of(&self, agent: AgentId) -> Vec<&AgentEvent> {
        self.log.iter().filter(|(a, _)| *a == agent).map(|(_, e)| e).collect()
    }

    pub fn accept(&mut self, item: WorkItemId) -> SessionId {
        let o = self.offer_for(item).expect("pending offer");
        match self.ok(Input::Accept { agent: o.agent, offer: o.id }) {
            Reply::Session(s) => s,
            other => panic!("{other:?}"),
        }
    }
}

/// How the workspace's store keys a saved entity.
pub fn store_key(s: &Saved) -> (String, String) {
    let (k, id) = match s {
        Saved::Agent(a) => ("agent", a.id.0.to_string()),
        Saved::WorkItem(w) => ("work_item", w.id.0.to_string()),
        Saved::Offer(o) => ("offer", o.id.0.to_string()),
        Saved::Session(x) => ("session", x.id.0.to_string()),
        Saved::Template(t) => ("template", t.scenario.to_string()),
        Saved::Settings(_) => ("settings", String::new()),
        Saved::Workstream(w) => ("workstream", w.id.0.to_string()),
        Saved::Queue(q) => ("queue", q.id.0.to_string()),
        Saved::Contact(c) => ("contact", c.id.0.to_string()),
        Saved::Message(m) => ("message", m.id.0.to_string()),
    };
    (k.to_string(), id)
}

impl World {
    /// The snapshot a restart would load from `store` (live entities only, as the store does).
    pub fn snapshot_from_store(&self) -> Snapshot {
        let mut snap = Snapshot::default();
        for s in self.store.values() {
            match s.clone() {
                Saved::Agent(a) => snap.agents.push(a),
                Saved::WorkItem(w) if !matches!(w.state, WorkItemState::Closed { .. }) => snap.work_items.push(w),
                Saved::Offer(o) if o.state == OfferState::Pending => snap.offers.push(o),
                Saved::Session(x) if x.state != SessionState::Closed => snap.sessions.push(x),
                Saved::Template(t) => snap.templates.push(t),
                Saved::Settings(x) => snap.settings = x,
                Saved::Workstream(w) => snap.workstreams.push(w),
                Saved::Queue(q) => snap.queues.push(q),
                Saved::Contact(c) => snap.contacts.push(c),
                // Messages are not router state: the store keeps them for transcripts.
                Saved::WorkItem(_) | Saved::Offer(_) | Saved::Session(_) | Saved::Message(_) => {}
            }
        }
        snap.max_id = self
            .store
            .keys()
            .filter(|(k, _)| k != "template" && k != "settings")
            .filter_map(|(_, id)| id.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        snap
    }
}
