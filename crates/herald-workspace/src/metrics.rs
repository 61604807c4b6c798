//! `GET /metrics` in the Prometheus text format (prometheus-client): offers by scenario and
//! outcome, offer-to-decision time, HTTP requests by route and status, store commit time — all
//! counted as they happen — and, read from the router when scraped, connected agents, agents by
//! presence and items waiting per queue. The endpoint needs its own bearer token
//! (`--metrics-token`); without one it is off (404).

use herald_core::{AgentEvent, OfferId, OfferState, Router, Scenario};
use herald_protocol::EventEnvelope;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScenarioLabel {
    scenario: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OfferLabels {
    scenario: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PresenceLabel {
    presence: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabel {
    queue: String,
}

/// Every metric of the workspace; one per engine.
pub struct Metrics {
    registry: Registry,
    offers_created: Family<ScenarioLabel, Counter>,
    offers_ended: Family<OfferLabels, Counter>,
    decision: Family<ScenarioLabel, Histogram>,
    http: Family<HttpLabels, Counter>,
    commit: Histogram,
    connected: Gauge,
    presence: Family<PresenceLabel, Gauge>,
    waiting: Family<QueueLabel, Gauge>,
    /// Pending offers: scenario and when offered (ms), to time the decision.
    pending: Mutex<HashMap<OfferId, (Scenario, u64)>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn name<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("herald");
        let offers_created = Family::<ScenarioLabel, Counter>::default();
        let offers_ended = Family::<OfferLabels, Counter>::default();
        let decision = Family::<ScenarioLabel, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.25, 2.0, 12)));
        let http = Family::<HttpLabels, Counter>::default();
        let commit = Histogram::new(exponential_buckets(0.000_1, 2.0, 16));
        let (connected, presence, waiting) = (Gauge::default(), Family::default(), Family::default());
        registry.register("offers_created", "Offers made to agents, by scenario", offers_created.clone());
        registry.register(
            "offers_ended",
            "Offers ended, by scenario and outcome (accepted, rejected, timed_out, withdrawn)",
            offers_ended.clone(),
        );
        registry.register("offer_decision_seconds", "From an offer to its end (accept, reject, timeout, withdrawal)", decision.clone());
        registry.register("http_requests", "HTTP requests answered, by route, method and status", http.clone());
        registry.register("store_commit_seconds", "One group commit: every change waiting, in one transaction", commit.clone());
        registry.register("agents_connected", "Agents with an event stream or a poll open", connected.clone());
        registry.register("agents_by_presence", "Agents by base presence", presence.clone());
        registry.register("queue_waiting_items", "Work items waiting for an agent, by queue", waiting.clone());
        Self { registry, offers_created, offers_ended, decision, http, commit, connected, presence, waiting, pending: Mutex::default() }
    }
}

impl Metrics {
    /// Counts what committed events say about offers.
    pub fn events(&self, events: &[EventEnvelope]) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        for e in events {
            match &e.event {
                AgentEvent::OfferCreated(o) if pending.insert(o.id, (o.scenario, e.at.0)).is_none() => {
                    self.offers_created.get_or_create(&ScenarioLabel { scenario: name(o.scenario) }).inc();
                }
                AgentEvent::OfferEnded { offer, state, .. } if *state != OfferState::Pending => {
                    if let Some((scenario, at)) = pending.remove(offer) {
                        let scenario = name(scenario);
                        self.offers_ended.get_or_create(&OfferLabels { scenario: scenario.clone(), outcome: name(state) }).inc();
                        let secs = e.at.0.saturating_sub(at) as f64 / 1000.0;
                        self.decision.get_or_create(&ScenarioLabel { scenario }).observe(secs);
                    }
                }
                _ => {}
            }
        }
    }

    pub fn commit_took(&self, d: Duration) {
        self.commit.observe(d.as_secs_f64());
    }

    pub fn http(&self, method: &str, route: &str, status: u16) {
        self.http.get_or_create(&HttpLabels { method: method.into(), route: route.into(), status: status.to_string() }).inc();
    }

    /// The text exposition, with the gauges read from `router` now.
    pub fn render(&self, router: &Router) -> String {
        let team = router.team();
        self.connected.set(team.iter().filter(|a| a.connected).count() as i64);
        self.presence.clear();
        for a in &team {
            self.presence.get_or_create(&PresenceLabel { presence: name(a.presence.base) }).inc();
        }
        self.waiting.clear();
        for q in router.queues() {
            let n = router.waiting(q.id).map_or(0, |w| w.len());
            self.waiting.get_or_create(&QueueLabel { queue: q.name.clone() }).set(n as i64);
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String does not fail");
        out
    }
}
