//! The outbound sender: hands pending SMS deliveries to Twilio's REST Messages API, retries with
//! exponential backoff, and reports every step to the agent through the engine (one
//! `MessageDelivery` input per step, so the delivery state is durable and in the agent's log).
//!
//! Twilio answers 2xx with the message's SID (sent); 429, 5xx and transport errors are retried;
//! any other 4xx (a bad number, an unverified sender…) fails at once, since retrying cannot help.

use super::{Channels, TwilioConfig};
use crate::engine::Engine;
use herald_core::{DeliveryState, Input, Message, MessageId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one attempt came to.
#[derive(Debug)]
enum Outcome {
    Sent(Option<String>),
    Retry(String),
    Fail(String),
}

async fn send(channels: &Channels, cfg: &TwilioConfig, m: &Message) -> Outcome {
    let Some(d) = &m.delivery else { return Outcome::Fail("no delivery".into()) };
    let url = format!("{}/2010-04-01/Accounts/{}/Messages.json", cfg.api_base.trim_end_matches('/'), cfg.account_sid);
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("To", &d.to)
        .append_pair("From", &d.from)
        .append_pair("Body", &m.body)
        .finish();
    let res = channels
        .http
        .post(&url)
        .basic_auth(&cfg.account_sid, Some(&cfg.auth_token))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await;
    let res = match res {
        Ok(r) => r,
        Err(e) => return Outcome::Retry(format!("cannot reach Twilio: {e}")),
    };
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap_or(serde_json::Value::Null);
    let said = body.get("message").and_then(|v| v.as_str()).unwrap_or("").to_string();
    if status.is_success() {
        Outcome::Sent(body.get("sid").and_then(|v| v.as_str()).map(str::to_string))
    } else if status.as_u16() == 429 || status.is_server_error() {
        Outcome::Retry(format!("Twilio answered {status} {said}").trim().to_string())
    } else {
        Outcome::Fail(format!("Twilio refused it ({status}): {said}").trim().to_string())
    }
}

/// Sends pending deliveries until `shutdown` resolves.
pub async fn run(engine: Arc<Engine>, channels: Arc<Channels>, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    let policy = channels.config.retry;
    let mut not_before: HashMap<MessageId, Instant> = HashMap::new();
    loop {
        let pending = match engine.store().pending_deliveries().await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "cannot read pending deliveries");
                Vec::new()
            }
        };
        not_before.retain(|id, _| pending.iter().any(|m| m.id == *id));
        let mut next_wake: Option<Instant> = None;
        for mut m in pending {
            if let Some(at) = not_before.get(&m.id) {
                if *at > Instant::now() {
                    next_wake = Some(next_wake.map_or(*at, |w| w.min(*at)));
                    continue;
                }
            }
            let outcome = match &channels.config.twilio {
                Some(cfg) => send(&channels, cfg, &m).await,
                None => Outcome::Fail("the Twilio channel is not configured".into()),
            };
            let Some(d) = m.delivery.as_mut() else { continue };
            d.attempts += 1;
            match outcome {
                Outcome::Sent(sid) => {
                    d.state = DeliveryState::Sent;
                    d.provider_id = sid;
                    d.error = None;
                }
                Outcome::Retry(why) if d.attempts < policy.max_attempts => {
                    d.error = Some(why);
                    let at = Instant::now() + policy.delay(d.attempts);
                    not_before.insert(m.id, at);
                    next_wake = Some(next_wake.map_or(at, |w| w.min(at)));
                }
                Outcome::Retry(why) | Outcome::Fail(why) => {
                    d.state = DeliveryState::Failed;
                    d.error = Some(why);
                }
            }
            tracing::info!(message = %m.id, state = ?d.state, attempts = d.attempts, error = ?d.error, "SMS delivery");
            if let Err(e) = engine.apply(Input::MessageDelivery(m.clone())).await {
                tracing::error!(message = %m.id, error = %e, "cannot record a delivery step");
            }
        }
        let wait = next_wake.map_or(Duration::from_secs(3600), |w| w.saturating_duration_since(Instant::now()));
        tokio::select! {
            () = &mut shutdown => return,
            () = channels.outbox.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}
