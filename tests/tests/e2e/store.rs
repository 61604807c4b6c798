//! The store on whichever database the suite runs on (SQLite, or PostgreSQL with
//! `HERALD_TEST_DATABASE=postgres`): group commit's multi-row statements (split into chunks, the
//! last version of an entity winning), concurrent inputs acknowledged only once durable, and the
//! event log's pruning.

use herald_core::{AgentEvent, AgentId, BasePresence, Contact, ContactId, Input, Presence, PresenceReason, Reply, Saved, Timestamp};
use herald_protocol::EventEnvelope;
use herald_workspace::engine::Engine;
use herald_workspace::store::Store;

fn presence_event(agent: u64, seq: u64, at: u64) -> EventEnvelope {
    let presence = Presence { base: if seq % 2 == 0 { BasePresence::Busy } else { BasePresence::Available }, custom: None };
    EventEnvelope {
        seq,
        agent: AgentId(agent),
        at: Timestamp(at),
        event: AgentEvent::PresenceChanged { presence, reason: PresenceReason::Agent },
    }
}

fn contact(id: u64, name: &str) -> Saved {
    Saved::Contact(Contact { id: ContactId(id), name: name.into(), mobile_phone: None })
}

/// One group commit larger than a statement's rows (2,000): every event is written, each entity
/// once in its last version; then pruning takes an old prefix and the numbers go on.
#[tokio::test]
async fn a_large_group_commit_and_pruning() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _server) = herald_e2e::new_database(dir.path());
    let store = Store::open(&url).await.unwrap();
    let first: Vec<EventEnvelope> = (1..=2_500).map(|s| presence_event(1, s, s)).collect();
    let second: Vec<EventEnvelope> = (1..=2_100).map(|s| presence_event(2, s, 10_000 + s)).collect();
    let saves_a = [contact(7, "Ada"), contact(8, "Bob")];
    let saves_b = [contact(7, "Ada Lovelace")];
    store.commit_many(&[(&saves_a, &first, &[]), (&saves_b, &second, &[])]).await.unwrap();

    let (snap, seqs) = store.load().await.unwrap();
    let mut names: Vec<(u64, String)> = snap.contacts.iter().map(|c| (c.id.0, c.name.clone())).collect();
    names.sort();
    assert_eq!(names, [(7, "Ada Lovelace".to_string()), (8, "Bob".to_string())], "the later version wins");
    assert_eq!(snap.max_id, 8);
    assert_eq!((seqs.get(&AgentId(1)), seqs.get(&AgentId(2))), (Some(&2_500), Some(&2_100)));
    let log = store.events_after(AgentId(1), 0, 10_000).await.unwrap();
    assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=2_500).collect::<Vec<_>>());
    assert_eq!(log[41], first[41], "stored as written");

    // Agent 1's entries before 2,000 are old; agent 2's are all recent.
    assert_eq!(store.prune_events(2_000, 100).await.unwrap(), 1_999);
    assert_eq!(store.log_bounds(AgentId(1)).await.unwrap(), Some((2_000, 2_500)));
    assert_eq!(store.log_bounds(AgentId(2)).await.unwrap(), Some((1, 2_100)));
    assert_eq!(store.prune_events(u64::MAX / 2, 1).await.unwrap(), 500 + 2_099, "all but the newest of each");
    assert_eq!(store.log_bounds(AgentId(1)).await.unwrap(), Some((2_500, 2_500)));
    assert_eq!(store.load().await.unwrap().1.get(&AgentId(1)), Some(&2_500), "numbers go on from the last");
    assert_eq!(store.log_bounds(AgentId(9)).await.unwrap(), None);
}

/// Many inputs in flight at once are all acknowledged, a fresh engine loaded from the store sees
/// what was acknowledged, and each agent's event numbers run from 1 without a gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_inputs_are_all_acknowledged_durable_and_gap_free() {
    use herald_core::{AgentSpec, Role};
    let dir = tempfile::tempdir().unwrap();
    let (url, _server) = herald_e2e::new_database(dir.path());
    let store = Store::open(&url).await.unwrap();
    let engine = Engine::load(store.clone()).await.unwrap();
    let mut agents = Vec::new();
    for i in 0..8 {
        match engine.apply(Input::UpsertAgent(AgentSpec { id: None, name: format!("A{i}"), role: Role::Agent })).await.unwrap() {
            Reply::Agent(id) => agents.push(id),
            other => panic!("{other:?}"),
        }
    }
    let mut tasks = Vec::new();
    for round in 0..50 {
        for &agent in &agents {
            let engine = engine.clone();
            let base = if round % 2 == 0 { BasePresence::Busy } else { BasePresence::Available };
            tasks.push(tokio::spawn(
                async move { engine.apply(Input::SetPresence { agent, presence: Presence { base, custom: None } }).await },
            ));
        }
    }
    for t in tasks {
        t.await.unwrap().expect("every input is acknowledged");
    }
    let state = |e: std::sync::Arc<Engine>, agents: Vec<AgentId>| async move {
        e.read(move |r, seqs| (agents.iter().map(|a| r.agent(*a).map(|x| x.presence.clone())).collect::<Vec<_>>(), seqs.clone())).await
    };
    let (presences, seqs) = state(engine.clone(), agents.clone()).await;
    let (again, seqs_again) = state(Engine::load(store.clone()).await.unwrap(), agents.clone()).await;
    assert_eq!((presences, &seqs), (again, &seqs_again), "what was acknowledged is what the store holds");
    for a in &agents {
        let log = store.events_after(*a, 0, 10_000).await.unwrap();
        assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=log.len() as u64).collect::<Vec<_>>(), "{a}: gap-free");
        assert_eq!(log.last().map(|e| e.seq), seqs.get(a).copied());
    }
}
