//! Writing state changes: several changes (the engine's group commit) go into one transaction
//! with a few multi-row statements — each entity and message once, in its last version, and
//! every event — rather than one statement per row.

use super::{Extra, Store, StoreError, json_of, key_of, on};
use herald_core::{DeliveryState, Saved};
use herald_protocol::EventEnvelope;
use sqlx::QueryBuilder;
use std::collections::HashMap;

/// One change's rows: the entities, the events and the edge's own rows ([`Extra`]).
pub type ChangeRows<'a> = (&'a [Saved], &'a [EventEnvelope], &'a [Extra]);

/// Rows per statement (SQLite allows 32,766 parameters, PostgreSQL 65,535; the widest row here
/// has 6).
const ROWS: usize = 2_000;

impl Store {
    /// Writes several state changes, in order, in one transaction: all of them or none. A fenced
    /// store ([`Store::fenced`]) writes nothing once its epoch is superseded.
    pub async fn commit_many(&self, changes: &[ChangeRows<'_>]) -> Result<(), StoreError> {
        if changes.iter().all(|(s, e, x)| s.is_empty() && e.is_empty() && x.is_empty()) {
            return Ok(());
        }
        // The last version of each entity and message (later changes win, as they would one by
        // one).
        let mut entities: Vec<(&'static str, String, bool, String)> = Vec::new();
        let mut entity_at: HashMap<(&'static str, String), usize> = HashMap::new();
        let mut messages: Vec<&Saved> = Vec::new();
        let mut message_at: HashMap<u64, usize> = HashMap::new();
        for s in changes.iter().flat_map(|c| c.0) {
            if let Saved::Message(m) = s {
                match message_at.get(&m.id.0) {
                    Some(&i) => messages[i] = s,
                    None => {
                        message_at.insert(m.id.0, messages.len());
                        messages.push(s);
                    }
                }
                continue;
            }
            let Some((kind, key, live)) = key_of(s) else { continue };
            let row = (kind, key.clone(), live, json_of(s));
            match entity_at.get(&(kind, key.clone())) {
                Some(&i) => entities[i] = row,
                None => {
                    entity_at.insert((kind, key), entities.len());
                    entities.push(row);
                }
            }
        }
        let events: Vec<&EventEnvelope> = changes.iter().flat_map(|c| c.1).collect();
        // Each offer's work item and agent, for its timeline (the first save of an offer
        // writes it; later ones change nothing there).
        let mut offers: Vec<&herald_core::Offer> = Vec::new();
        let mut offer_ids = std::collections::HashSet::new();
        for s in changes.iter().flat_map(|c| c.0) {
            if let Saved::Offer(o) = s
                && offer_ids.insert(o.id)
            {
                offers.push(o);
            }
        }

        on!(commits self, p => {
            let mut tx = p.begin().await?;
            if let Some(epoch) = self.fence {
                // The fencing token, first: this row lock also orders this commit against a new
                // leader's epoch bump, so no commit of an old leader lands after it.
                let now = crate::engine::now().0 as i64;
                let held = sqlx::query("UPDATE cluster_lease SET renewed = $1 WHERE id = 1 AND epoch = $2")
                    .bind(now)
                    .bind(epoch as i64)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if held == 0 {
                    return Err(StoreError::Fenced(epoch));
                }
            }
            for x in changes.iter().flat_map(|c| c.2) {
                match x {
                    Extra::Webchat { item, widget, token_hash, at_ms } => {
                        sqlx::query("INSERT INTO webchat_conversations (work_item, widget, token_hash, created_at) VALUES ($1, $2, $3, $4)")
                            .bind(item.0 as i64)
                            .bind(widget)
                            .bind(token_hash)
                            .bind(*at_ms as i64)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            // SQLite runs the statements below as one query: one trip to the connection's
            // thread instead of one per statement (each trip is a thread wake-up on both sides,
            // most of an offer's latency at low load). PostgreSQL takes one statement with
            // parameters per query.
            // A query is kept prepared only when all its statements have one row: the texts of
            // multi-row statements vary with the row count and would churn the statement cache
            // (on PostgreSQL, each eviction is one more round trip).
            let one_query = !self.is_postgres();
            let mut q = QueryBuilder::new("");
            let mut statements = 0usize;
            let mut single = true;
            macro_rules! statement {
                ($sql:expr, $rows:expr) => {{
                    if statements > 0 {
                        if one_query {
                            q.push("; ");
                        } else {
                            q.build().persistent(single).execute(&mut *tx).await?;
                            q.reset();
                            single = true;
                        }
                    }
                    statements += 1;
                    single &= $rows == 1;
                    q.push($sql);
                }};
            }
            for chunk in messages.chunks(ROWS) {
                statement!("INSERT INTO messages (id, work_item, at, external_id, delivery_state, json) ", chunk.len());
                q.push_values(chunk, |mut b, s| {
                    let Saved::Message(m) = s else { unreachable!("only messages here") };
                    let state = m.delivery.as_ref().map(|d| match d.state {
                        DeliveryState::Pending => "pending",
                        DeliveryState::Sent => "sent",
                        DeliveryState::Failed => "failed",
                    });
                    b.push_bind(m.id.0 as i64)
                        .push_bind(m.work_item.0 as i64)
                        .push_bind(m.at.0 as i64)
                        .push_bind(m.external_id.clone())
                        .push_bind(state)
                        .push_bind(json_of(s));
                });
                q.push(" ON CONFLICT (id) DO UPDATE SET delivery_state = excluded.delivery_state, json = excluded.json");
            }
            for chunk in entities.chunks(ROWS) {
                statement!("INSERT INTO entities (kind, key, live, json) ", chunk.len());
                q.push_values(chunk, |mut b, (kind, key, live, json)| {
                    b.push_bind(*kind).push_bind(key.as_str()).push_bind(*live).push_bind(json.as_str());
                });
                q.push(" ON CONFLICT (kind, key) DO UPDATE SET live = excluded.live, json = excluded.json");
            }
            for chunk in offers.chunks(ROWS) {
                statement!("INSERT INTO offer_index (offer_id, work_item, agent_id, created_at) ", chunk.len());
                q.push_values(chunk, |mut b, o| {
                    b.push_bind(o.id.0 as i64).push_bind(o.work_item.0 as i64).push_bind(o.agent.0 as i64).push_bind(o.created_at.0 as i64);
                });
                q.push(" ON CONFLICT (offer_id) DO NOTHING");
            }
            for chunk in events.chunks(ROWS) {
                statement!("INSERT INTO events (agent_id, seq, at, json) ", chunk.len());
                q.push_values(chunk, |mut b, e| {
                    b.push_bind(e.agent.0 as i64)
                        .push_bind(e.seq as i64)
                        .push_bind(e.at.0 as i64)
                        .push_bind(serde_json::to_string(&e.event).expect("events always serialise"));
                });
            }
            if statements > 0 {
                q.build().persistent(single).execute(&mut *tx).await?;
            }
            if self.is_postgres() {
                // Delivered when (and only if) this transaction commits: other instances' streams
                // wake and read the entries from the table.
                for payload in super::cluster::event_payloads(events.iter().map(|e| (e.agent, e.seq))) {
                    sqlx::query("SELECT pg_notify($1, $2)").bind(super::cluster::EVENTS_CHANNEL).bind(payload).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
