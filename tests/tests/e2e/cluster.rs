//! Several workspace instances on one PostgreSQL (issue 12): one leads, the others forward to
//! it, and when it dies another takes over — fenced, so an old leader can never write again.
//! These tests always run on PostgreSQL (a cluster needs it), started by the test itself.

use herald_core::{AgentSpec, Input, Role};
use herald_e2e::postgres::PgServer;
use herald_e2e::*;
use herald_protocol::*;
use herald_workspace::cluster::{Candidate, Instance, POLL};
use herald_workspace::engine::{Engine, EngineError};
use herald_workspace::store::{Store, StoreError};
use std::time::Duration;
use tokio::time::Instant;

fn agent(name: &str) -> Input {
    Input::UpsertAgent(AgentSpec { id: None, name: name.into(), role: Role::Agent })
}

/// The fencing token: while one instance holds the lock nobody else leads; when it loses it
/// (its lock connection is gone) the next leader's epoch is higher, and every write of the old
/// leader — which may not know yet — is refused, so it can never undo the new one's work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_lost_the_lead_can_no_longer_commit() {
    let pg = PgServer::shared();
    let url = pg.create_database();
    let store = Store::open(&url).await.unwrap();
    let a = Candidate::connect(&url, Instance::new("http://a.invalid")).await.unwrap().lead(POLL).await.unwrap();
    let old = Engine::load(store.fenced(a.epoch)).await.unwrap();
    old.apply(agent("Ada")).await.expect("the leader commits");
    let mut b = Candidate::connect(&url, Instance::new("http://b.invalid")).await.unwrap();
    assert_eq!(b.try_lead().await.unwrap(), None, "nobody else leads while the lock is held");
    let epoch = a.epoch;
    drop(a); // its lock connection closes: PostgreSQL frees the lock
    let b = within(b.lead(POLL)).await.unwrap();
    assert_eq!(b.epoch, epoch + 1, "the new lead has the next epoch");
    let mut superseded = old.superseded();
    let refused = old.apply(agent("Bob")).await;
    assert!(matches!(refused, Err(EngineError::Store(StoreError::Fenced(e))) if e == epoch), "{refused:?}");
    within(superseded.wait_for(|s| *s)).await.unwrap();
    let new = Engine::load(store.fenced(b.epoch)).await.unwrap();
    let names: Vec<String> = new.read(|r, _| r.agents().map(|a| a.name.clone()).collect()).await;
    assert_eq!(names, vec!["Ada".to_string()], "the fenced write left nothing behind");
    new.apply(agent("Cy")).await.expect("the new leader commits");
}

/// An instance as a slot a test can take it out of (to kill it).
type Node = Option<(tokio::process::Child, u16)>;

/// `n` instances on `db`, each started with `args`, and their URLs.
async fn cluster(db: &str, n: usize, args: &[&str]) -> (Vec<Node>, Vec<String>) {
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(Some(spawn_instance(db, "127.0.0.1:0", args).await));
    }
    let urls = nodes.iter().map(|n| format!("http://127.0.0.1:{}", n.as_ref().unwrap().1)).collect();
    (nodes, urls)
}

/// `/healthz` of the instance at `url`, if it answers.
async fn health(url: &str) -> Option<Health> {
    herald_client::Client::new(url, None).unwrap().health().await.ok()
}

/// Waits until exactly one of `urls` says it leads with an epoch above `after`; never sees two
/// leaders at once. Answers its index and epoch.
async fn leader(urls: &[String], after: u64) -> (usize, u64) {
    within(async {
        loop {
            let mut leaders = Vec::new();
            for (i, u) in urls.iter().enumerate() {
                if let Some(h) = health(u).await
                    && h.role == "leader"
                {
                    leaders.push((i, h.epoch.unwrap_or(0)));
                }
            }
            assert!(leaders.len() <= 1, "two instances lead at once: {leaders:?}");
            if let Some(&(i, e)) = leaders.first()
                && e > after
            {
                return (i, e);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// Kill -9 the leader of three with an offer in flight: another instance leads within 5 s, the
/// offer ends exactly once (accepted once, a second accept is a 409), the agent's stream — through
/// a follower — goes on without a gap or a repeat, and new work is routed by the new leader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_under_traffic_hands_over_within_five_seconds_losing_and_doubling_nothing() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    let (mut nodes, urls) = cluster(&db, 3, &[]).await;
    let (first, epoch) = leader(&urls, 0).await;
    // Clients know every instance and start with the followers: every call is forwarded.
    let mut order: Vec<String> = urls.iter().enumerate().filter(|(i, _)| *i != first).map(|(_, u)| u.clone()).collect();
    order.push(urls[first].clone());
    let ws = TestWorkspace::attach(&order.join(","), &db, Some(pg.clone()));
    let team = ws.team(1).await;
    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.work_item, item.id);

    let killed = Instant::now();
    let (mut child, _) = nodes[first].take().unwrap();
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let (second, epoch2) = leader(&urls, epoch).await;
    let took = killed.elapsed();
    assert_ne!(second, first);
    assert_eq!(epoch2, epoch + 1);
    assert!(took <= Duration::from_secs(5), "the lead changed hands in {took:?}");
    println!("failover: the new leader answered {} ms after kill -9", took.as_millis());

    // The offer in flight ends exactly once.
    let session = a.client.accept(offer.id).await.expect("the offer survived the failover");
    assert_eq!(session.work_item, item.id);
    let again = a.client.accept(offer.id).await.unwrap_err();
    assert_eq!(again.status(), Some(409), "{again}");
    let stolen = team.supervisor.client.accept(offer.id).await.unwrap_err();
    assert!(matches!(stolen.status(), Some(403 | 409)), "{stolen}");

    // The stream goes on: the acceptance arrives, with the entries numbered on from before.
    let mut last = sub.last_seq();
    let opened = within(async {
        loop {
            let e = sub.next().await.expect("the subscription goes on");
            assert_eq!(e.seq, last + 1, "no gap and no repeat across the failover");
            last = e.seq;
            if let AgentEvent::SessionOpened(s) = &e.event {
                return s.clone();
            }
        }
    })
    .await;
    assert_eq!(opened.id, session.id);

    // New work is routed by the new leader (the agent has room for more sessions).
    let next = ws.request(team.queue, Scenario::Chat, "Bea").await;
    let offer2 = next_offer(&mut sub).await;
    assert_eq!(offer2.work_item, next.id);
    assert!(offer2.id.0 > offer.id.0, "ids go on from the stored state");
}

/// `POST /webchat/default/conversations` from the local address `from` (a loopback alias), to
/// `url`.
async fn start_chat_from(url: &str, from: [u8; 4]) -> u16 {
    let http = reqwest::Client::builder().local_address(std::net::IpAddr::from(from)).build().unwrap();
    let res = http
        .post(format!("{url}/webchat/default/conversations"))
        .json(&serde_json::json!({ "name": "Ada", "answers": { "topic": "billing" } }))
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

/// The shipped nginx configuration in front of three instances, one URL for everyone: the API
/// and the event stream work through it, the leader's rate limits count the real client (not
/// nginx, not the follower that forwarded), and killing the leader costs the agent nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_behind_the_shipped_nginx_config_serve_one_url_and_survive_the_leader() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    let args = ["--trust-forwarded-for", "--chat-start-burst", "2", "--chat-start-every", "600"];
    let (mut nodes, urls) = cluster(&db, 3, &args).await;
    let ports: Vec<u16> = nodes.iter().map(|n| n.as_ref().unwrap().1).collect();
    let nginx = herald_e2e::nginx::Nginx::start(&ports).await;
    let (first, epoch) = leader(&urls, 0).await;
    let ws = TestWorkspace::attach(&nginx.url(), &db, Some(pg.clone()));
    let team = ws.team(1).await;

    let a = &team.agents[0];
    let mut sub = a.subscribe().await;
    let item = ws.request(team.queue, Scenario::Chat, "Bea").await;
    let offer = next_offer(&mut sub).await;
    assert_eq!(offer.work_item, item.id);
    let (mut child, _) = nodes[first].take().unwrap();
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    leader(&urls, epoch).await;
    let session = a.client.accept(offer.id).await.expect("accepted through nginx after the failover");
    let mut last = sub.last_seq();
    let opened = within(async {
        loop {
            let e = sub.next().await.expect("the stream through nginx goes on");
            assert_eq!(e.seq, last + 1, "no gap and no repeat");
            last = e.seq;
            if let AgentEvent::SessionOpened(s) = &e.event {
                return s.clone();
            }
        }
    })
    .await;
    assert_eq!(opened.id, session.id);

    // Two addresses behind one proxy: each has its own budget of two chat starts, wherever
    // nginx sent the request (round robin: followers forward, the new leader counts).
    for from in [[127, 0, 0, 2], [127, 0, 0, 3]] {
        let statuses = [start_chat_from(&nginx.url(), from).await, start_chat_from(&nginx.url(), from).await];
        assert_eq!(statuses, [201, 201], "from {from:?}");
    }
    assert_eq!(start_chat_from(&nginx.url(), [127, 0, 0, 2]).await, 429, "the third from one address is refused");
}

/// The work items the agents hold sessions for, in the order opened; `changed` ticks on each.
#[derive(Default)]
struct Held {
    items: std::sync::Mutex<Vec<WorkItemId>>,
    changed: tokio::sync::Notify,
}

/// An agent that accepts every offer it sees and checks its stream: each entry numbered one past
/// the last (no gap, no repeat), across failovers. Notes each session opened in `held`.
async fn accept_everything(person: Person, held: std::sync::Arc<Held>) {
    let mut sub = person.subscribe().await;
    let mut last = 0;
    loop {
        let e = sub.next().await.expect("the subscription goes on");
        assert_eq!(e.seq, last + 1, "{}: no gap and no repeat across failovers", person.id);
        last = e.seq;
        match &e.event {
            AgentEvent::OfferCreated(o) if o.agent == person.id => {
                // A failover may cut the answer off (no answer, or the follower's 502: the
                // leader died with the request in hand): the accept is tried again, and an offer
                // the first try did accept answers 409 — the session event says which.
                loop {
                    match person.client.accept(o.id).await {
                        Ok(_) => break,
                        Err(e) if e.status() == Some(409) => break,
                        Err(e) if e.status().is_none() || matches!(e.status(), Some(502 | 503)) => continue,
                        Err(e) => panic!("accepting {}: {e}", o.id),
                    }
                }
            }
            AgentEvent::SessionOpened(s) => {
                held.items.lock().unwrap().push(s.work_item);
                held.changed.notify_one();
            }
            _ => {}
        }
    }
}

/// The issue's acceptance test: three instances, conversations posted at ~10/s while the leader
/// is killed twice (each brought back as a follower). Every acknowledged conversation is offered
/// and assigned, no item twice (over both agents' sessions), and each agent's stream runs
/// without a gap or a repeat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_leaders_killed_during_traffic_lose_and_double_no_conversation() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    let (mut nodes, urls) = cluster(&db, 3, &[]).await;
    let (mut lead, mut epoch) = leader(&urls, 0).await;
    let ws = TestWorkspace::attach(&urls.join(","), &db, Some(pg.clone()));
    let team = ws.team(2).await;
    const ITEMS: usize = 16; // about 8 each (least busy): under the 10-session limit of R27
    let held = std::sync::Arc::new(Held::default());
    let agents: Vec<_> = team.agents.iter().cloned().map(|p| tokio::spawn(accept_everything(p, held.clone()))).collect();

    let (count, mut posted) = tokio::sync::watch::channel(0usize);
    let poster = {
        let (admin, queue) = (ws.admin.clone(), team.queue);
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..ITEMS {
                let conv = NewConversation {
                    scenario: Scenario::Chat,
                    channel: None,
                    queue,
                    customer_name: format!("Customer {i}"),
                    phone: None,
                    context: Default::default(),
                    target_agent: None,
                };
                // Until acknowledged: a POST whose answer a kill cut off may have been applied,
                // so the workspace may hold one more item than was acknowledged.
                loop {
                    match admin.new_conversation(&conv).await {
                        Ok(item) => break acknowledged.push(item.id),
                        Err(e) => eprintln!("conversation {i} not acknowledged, sending again: {e}"),
                    }
                }
                count.send_replace(acknowledged.len());
                tokio::time::sleep(Duration::from_millis(100)).await; // the traffic's pace: ~10/s
            }
            acknowledged
        })
    };
    for after in [4, 10] {
        // Kill the leader once this much traffic went through it.
        within(posted.wait_for(|n| *n >= after)).await.unwrap();
        let (mut child, port) = nodes[lead].take().unwrap();
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        let (next, e) = leader(&urls, epoch).await;
        nodes[lead] = Some(spawn_instance(&db, &format!("127.0.0.1:{port}"), &[]).await);
        (lead, epoch) = (next, e);
    }
    let acknowledged = within(poster).await.unwrap();
    assert_eq!(acknowledged.len(), ITEMS);
    let mut agents = agents;
    let covered = async {
        loop {
            let changed = held.changed.notified();
            let items = held.items.lock().unwrap().clone();
            if acknowledged.iter().all(|a| items.contains(a)) {
                return items;
            }
            changed.await;
        }
    };
    // An agent's task only ends by failing (a gap in its stream, a refused accept): say why.
    let items = within(async {
        tokio::select! {
            items = covered => items,
            (ended, _, _) = futures_util::future::select_all(agents.iter_mut()) => panic!("an agent stopped: {ended:?}"),
        }
    })
    .await;
    for a in agents {
        a.abort();
    }
    let unique: std::collections::BTreeSet<_> = items.iter().copied().collect();
    assert_eq!(unique.len(), items.len(), "an item was assigned twice: {items:?}");
    assert!(items.len() <= ITEMS + 2, "at most the two POSTs cut off by a kill made an extra item: {items:?}");
}

/// An event stream read as it comes, without the client's reconnects: when it ends, it ended.
struct RawStream {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = Option<String>> + Send>>,
    buf: String,
    last: Option<u64>,
}

impl RawStream {
    /// `GET /v1/events` at `url`, resuming after `after` (sent as `Last-Event-ID`).
    async fn open(url: &str, token: &str, after: u64) -> RawStream {
        let res = reqwest::Client::new()
            .get(format!("{url}/v1/events"))
            .bearer_auth(token)
            .header("last-event-id", after.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{url}");
        use futures_util::StreamExt;
        let body = res.bytes_stream().map(|c| c.ok().map(|b| String::from_utf8_lossy(&b).into_owned()));
        RawStream { body: Box::pin(body), buf: String::new(), last: None }
    }

    /// The next entry; `None` when the server ended the stream. Each entry's number is one past
    /// the one before.
    async fn next(&mut self) -> Option<EventEnvelope> {
        use futures_util::StreamExt;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) else { continue };
                if !block.lines().any(|l| l == "event: agent_event") {
                    continue;
                }
                let e: EventEnvelope = serde_json::from_str(data.trim()).unwrap();
                if let Some(last) = self.last {
                    assert_eq!(e.seq, last + 1, "no gap and no repeat");
                }
                self.last = Some(e.seq);
                return Some(e);
            }
            match self.body.next().await {
                Some(Some(chunk)) => self.buf.push_str(&chunk),
                Some(None) | None => return None,
            }
        }
    }

    async fn next_where<T>(&mut self, mut pick: impl FnMut(&AgentEvent) -> Option<T>) -> T {
        within(async {
            loop {
                let e = self.next().await.expect("the stream goes on");
                if let Some(t) = pick(&e.event) {
                    return t;
                }
            }
        })
        .await
    }
}

/// Item 3 of issue 12: a follower holds an agent's event stream itself, from the events table,
/// woken by the leader's notifications. The leader counts the agent as connected (R26), the
/// very same HTTP response goes on delivering after the leader is killed, `Last-Event-ID`
/// resumes on any other instance, and closing the stream disconnects the agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_holds_event_streams_itself_and_they_outlive_the_leader() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    let (mut nodes, urls) = cluster(&db, 3, &[]).await;
    let (first, epoch) = leader(&urls, 0).await;
    let f = (first + 1) % urls.len();
    let ws = TestWorkspace::attach(&urls[f], &db, Some(pg.clone()));
    let team = ws.team(1).await;
    let a = &team.agents[0];

    let mut raw = RawStream::open(&urls[f], &a.token, 0).await;
    connected(&ws, a.id, true).await; // R26: the leader counts a stream held by a follower
    let item = ws.request(team.queue, Scenario::Chat, "Ada").await;
    let offer = raw.next_where(|e| if let AgentEvent::OfferCreated(o) = e { Some(o.clone()) } else { None }).await;
    assert_eq!(offer.work_item, item.id);

    let (mut child, _) = nodes[first].take().unwrap();
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    leader(&urls, epoch).await;
    // The new leader hears who the follower holds streams for.
    connected(&ws, a.id, true).await;
    let session = within(async {
        loop {
            match a.client.accept(offer.id).await {
                Ok(s) => return s,
                Err(e) if matches!(e.status(), Some(502 | 503) | None) => continue,
                Err(e) => panic!("accepting after the failover: {e}"),
            }
        }
    })
    .await;
    // The same response, never reconnected: the session the new leader opened.
    let opened = raw.next_where(|e| if let AgentEvent::SessionOpened(s) = e { Some(s.clone()) } else { None }).await;
    assert_eq!(opened.id, session.id);
    let next = ws.request(team.queue, Scenario::Chat, "Bea").await;
    let offer2 = raw.next_where(|e| if let AgentEvent::OfferCreated(o) = e { Some(o.clone()) } else { None }).await;
    assert_eq!(offer2.work_item, next.id);

    // Last-Event-ID against another instance: the entries after it, in order.
    let last = raw.last.unwrap();
    let other = urls.iter().enumerate().find(|(i, _)| *i != first && *i != f).map(|(_, u)| u.clone()).unwrap();
    let mut again = RawStream::open(&other, &a.token, last - 2).await;
    assert_eq!(within(again.next()).await.unwrap().seq, last - 1);
    assert_eq!(within(again.next()).await.unwrap().seq, last);
    drop(again);

    drop(raw);
    connected(&ws, a.id, false).await; // the follower told the leader the stream closed
}

/// A revoked token's stream held by a follower ends at once, as on the leader; a follower that
/// dies with streams open has its agents counted as disconnected once the leader stops hearing
/// from it (R26's grace then runs as for any lost connection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_on_a_follower_end_with_their_token_and_with_the_follower() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    let (mut nodes, urls) = cluster(&db, 2, &[]).await;
    let (lead, _) = leader(&urls, 0).await;
    let f = 1 - lead;
    let ws = TestWorkspace::attach(&urls[lead], &db, Some(pg.clone()));
    let team = ws.team(2).await;

    let issued = ws.admin.issue_token(team.agents[0].id).await.unwrap();
    let mut revoked = RawStream::open(&urls[f], &issued.token, 0).await;
    connected(&ws, team.agents[0].id, true).await;
    ws.admin.revoke_token(issued.token_id).await.unwrap();
    within(async { while revoked.next().await.is_some() {} }).await;
    let refused = reqwest::Client::new().get(format!("{}/v1/events", urls[f])).bearer_auth(&issued.token).send().await.unwrap();
    assert_eq!(refused.status(), 401, "the follower knows the token is revoked");

    let b = &team.agents[1];
    let _held = RawStream::open(&urls[f], &b.token, 0).await;
    connected(&ws, b.id, true).await;
    let (mut child, _) = nodes[f].take().unwrap();
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    connected(&ws, b.id, false).await;
}
