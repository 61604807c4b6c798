//! The HTTP API (axum): routes, the shared state, and the OpenAPI document of every endpoint.

mod api;
pub mod error;
pub mod extract;

use crate::auth::Tokens;
use crate::channels::webchat;
use crate::engine::Engine;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub tokens: Arc<Tokens>,
    pub channels: Arc<crate::channels::Channels>,
    /// Flips to `true` when the server stops; open event streams end then.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Herald workspace API", description = "Routing, offers, presence and real-time events for Herald agent apps."),
    paths(
        api::healthz, api::me, api::set_presence, api::reset_my_presence, api::accept, api::reject, api::displayed,
        api::close_session, api::open_session, api::transcript, api::send_message, api::call_control, api::transfer, api::sign_out, api::events, api::poll, api::team,
        api::reset_agent_presence, api::new_conversation, api::close_conversation, api::list_agents,
        api::create_agent, api::update_agent, api::issue_token, api::revoke_token, api::list_templates,
        api::put_template, api::get_settings, api::put_settings, api::list_workstreams, api::create_workstream,
        api::update_workstream, api::list_queues, api::create_queue, api::update_queue, api::list_contacts,
        api::create_contact, api::update_contact, crate::channels::sms::inbound,
        crate::channels::bot::escalate, crate::channels::bot::relay, crate::channels::bot::read,
        crate::channels::bot::list, crate::channels::bot::create, crate::channels::bot::revoke,
        crate::channels::voice::incoming, crate::channels::voice::gathered, crate::channels::voice::status,
        crate::channels::webchat::page, crate::channels::webchat::embed, crate::channels::webchat::widget_json,
        crate::channels::webchat::start, crate::channels::webchat::poll, crate::channels::webchat::say,
        crate::channels::webchat::leave, crate::channels::webchat::list_widgets, crate::channels::webchat::put_widget,
    ),
    modifiers(&BearerAuth, &CommonErrors)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// Documents the errors every operation can answer with, in one place: 400 where there is input,
/// 401 and 403 where a token is needed, 404 where the path names an entity, 500 everywhere.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let err = |what: &str| -> RefOr<utoipa::openapi::Response> {
            ResponseBuilder::new()
                .description(what)
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ApiError"))).build())
                .build()
                .into()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_id = path.contains('{');
            for op in [&mut item.get, &mut item.put, &mut item.post, &mut item.delete].into_iter().flatten() {
                let r = &mut op.responses.responses;
                let has_input = op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                if has_input {
                    r.entry("400".into()).or_insert_with(|| err("invalid input; `field` names it"));
                }
                if op.security.is_some() {
                    r.entry("401".into()).or_insert_with(|| err("no token, or an unknown or revoked one"));
                    r.entry("403".into()).or_insert_with(|| err("the role does not allow this"));
                }
                if has_id {
                    r.entry("404".into()).or_insert_with(|| err("no such entity"));
                }
                r.entry("500".into()).or_insert_with(|| err("internal error; details in the workspace log"));
            }
        }
    }
}

/// The OpenAPI 3 document served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Every route of the workspace.
pub fn router(state: AppState) -> Router {
    let doc = openapi();
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/openapi.json", get(move || async move { Json(doc.clone()) }))
        .route("/v1/me", get(api::me))
        .route("/v1/me/presence", put(api::set_presence))
        .route("/v1/me/reset-presence", post(api::reset_my_presence))
        .route("/v1/offers/{id}/accept", post(api::accept))
        .route("/v1/offers/{id}/reject", post(api::reject))
        .route("/v1/offers/{id}/displayed", post(api::displayed))
        .route("/v1/sessions/{id}/close", post(api::close_session))
        .route("/v1/sessions/{id}/open", post(api::open_session))
        .route("/v1/sessions/{id}/messages", get(api::transcript).post(api::send_message))
        .route("/v1/sessions/{id}/call", post(api::call_control))
        .route("/v1/sessions/{id}/transfer", post(api::transfer))
        .route("/v1/auth/sign-out", post(api::sign_out))
        .route("/v1/events", get(api::events))
        .route("/v1/events/poll", get(api::poll))
        .route("/v1/team", get(api::team))
        .route("/v1/team/{agent}/reset-presence", post(api::reset_agent_presence))
        .route("/v1/conversations", post(api::new_conversation))
        .route("/v1/conversations/{id}/close", post(api::close_conversation))
        .route("/v1/admin/agents", get(api::list_agents).post(api::create_agent))
        .route("/v1/admin/agents/{id}", put(api::update_agent))
        .route("/v1/admin/agents/{id}/tokens", post(api::issue_token))
        .route("/v1/admin/tokens/{id}", delete(api::revoke_token))
        .route("/v1/admin/templates", get(api::list_templates))
        .route("/v1/admin/templates/{scenario}", put(api::put_template))
        .route("/v1/admin/settings", get(api::get_settings).put(api::put_settings))
        .route("/v1/admin/workstreams", get(api::list_workstreams).post(api::create_workstream))
        .route("/v1/admin/workstreams/{id}", put(api::update_workstream))
        .route("/v1/admin/queues", get(api::list_queues).post(api::create_queue))
        .route("/v1/admin/queues/{id}", put(api::update_queue))
        .route("/v1/admin/contacts", get(api::list_contacts).post(api::create_contact))
        .route("/v1/admin/contacts/{id}", put(api::update_contact))
        .route("/v1/admin/integrations", get(crate::channels::bot::list).post(crate::channels::bot::create))
        .route("/v1/admin/integrations/{id}", delete(crate::channels::bot::revoke))
        .route("/v1/bot/escalations", post(crate::channels::bot::escalate))
        .route("/v1/bot/conversations/{id}/messages", get(crate::channels::bot::read).post(crate::channels::bot::relay))
        .route("/v1/admin/widgets", get(webchat::list_widgets))
        .route("/v1/admin/widgets/{id}", put(webchat::put_widget))
        .route("/channels/twilio/sms", post(crate::channels::sms::inbound))
        .route("/channels/twilio/voice", post(crate::channels::voice::incoming))
        .route("/channels/twilio/voice/gathered", post(crate::channels::voice::gathered))
        .route("/channels/twilio/voice/status", post(crate::channels::voice::status))
        .route("/webchat/embed.js", get(webchat::embed))
        .route("/webchat/{widget}", get(webchat::page))
        .route("/webchat/{widget}/widget.json", get(webchat::widget_json))
        .route("/webchat/{widget}/conversations", post(webchat::start))
        .route("/webchat/conversations/{id}", get(webchat::poll))
        .route("/webchat/conversations/{id}/messages", post(webchat::say))
        .route("/webchat/conversations/{id}/leave", post(webchat::leave))
        .fallback(api::not_found)
        .with_state(state)
}
