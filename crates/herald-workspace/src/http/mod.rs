//! The HTTP API (axum): routes, the shared state, and the OpenAPI document of every endpoint.

mod accounts;
mod admin;
mod agent;
mod board;
mod console;
mod timeline;

pub use crate::edge::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::{delete, get, post, put};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Herald workspace API", description = "Routing, offers, presence and real-time events for Herald agent apps."),
    paths(
        agent::healthz,
        agent::me,
        agent::set_presence,
        agent::reset_my_presence,
        agent::accept,
        agent::reject,
        agent::displayed,
        agent::close_session,
        agent::open_session,
        agent::transcript,
        agent::send_message,
        agent::call_control,
        agent::transfer,
        agent::sign_out,
        agent::events,
        agent::poll,
        agent::team,
        agent::reset_agent_presence,
        agent::waiting,
        board::board,
        board::direct,
        timeline::timeline,
        timeline::add_note,
        agent::new_conversation,
        agent::close_conversation,
        admin::list_agents,
        admin::create_agent,
        admin::update_agent,
        admin::issue_token,
        admin::revoke_token,
        admin::list_templates,
        admin::put_template,
        admin::get_settings,
        admin::put_settings,
        admin::list_workstreams,
        admin::create_workstream,
        admin::update_workstream,
        admin::list_queues,
        admin::create_queue,
        admin::update_queue,
        admin::list_contacts,
        admin::create_contact,
        admin::update_contact,
        accounts::sign_in,
        accounts::set_password,
        accounts::change_password,
        accounts::get_account,
        accounts::invite,
        accounts::reset_password,
        accounts::disable,
        accounts::enable,
        admin::audit,
    )
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

/// The OpenAPI 3 document served at `/openapi.json`: the staff API and every channel's part.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::channels::openapi());
    // The modifiers document the common errors and the bearer scheme on the merged paths too.
    BearerAuth.modify(&mut doc);
    CommonErrors.modify(&mut doc);
    doc
}

/// Every route of the workspace.
pub fn router(state: AppState) -> Router {
    // Serialised once and shared: a handler is cloned per request, so capturing the document
    // itself deep-cloned megabytes on every request and held them for its life (an SSE stream
    // held its copy forever: ~2 MB per connected agent). `Bytes` clones by reference count.
    let doc = Bytes::from(serde_json::to_vec(&openapi()).expect("the OpenAPI document serialises"));
    Router::new()
        .route("/healthz", get(agent::healthz))
        .route("/metrics", get(agent::metrics))
        .route("/openapi.json", get(move || std::future::ready(([(header::CONTENT_TYPE, "application/json")], doc.clone()))))
        .route("/v1/me", get(agent::me))
        .route("/v1/me/presence", put(agent::set_presence))
        .route("/v1/me/reset-presence", post(agent::reset_my_presence))
        .route("/v1/offers/{id}/accept", post(agent::accept))
        .route("/v1/offers/{id}/reject", post(agent::reject))
        .route("/v1/offers/{id}/displayed", post(agent::displayed))
        .route("/v1/offers/{id}/timeline", get(timeline::timeline))
        .route("/v1/offers/{id}/notes", post(timeline::add_note))
        .route("/v1/sessions/{id}/close", post(agent::close_session))
        .route("/v1/sessions/{id}/open", post(agent::open_session))
        .route("/v1/sessions/{id}/messages", get(agent::transcript).post(agent::send_message))
        .route("/v1/sessions/{id}/call", post(agent::call_control))
        .route("/v1/sessions/{id}/transfer", post(agent::transfer))
        .route("/v1/auth/sign-out", post(agent::sign_out))
        .route("/v1/auth/sign-in", post(accounts::sign_in))
        .route("/v1/auth/set-password", post(accounts::set_password))
        .route("/v1/auth/password", post(accounts::change_password))
        .route("/v1/admin/agents/{id}/account", get(accounts::get_account))
        .route("/v1/admin/agents/{id}/invite", post(accounts::invite))
        .route("/v1/admin/agents/{id}/reset-password", post(accounts::reset_password))
        .route("/v1/admin/agents/{id}/disable", post(accounts::disable))
        .route("/v1/admin/agents/{id}/enable", post(accounts::enable))
        .route("/v1/admin/audit", get(admin::audit))
        .route("/v1/events", get(agent::events))
        .route("/v1/events/poll", get(agent::poll))
        .route("/v1/team", get(agent::team))
        .route("/v1/team/{agent}/reset-presence", post(agent::reset_agent_presence))
        .route("/v1/queues/{id}/waiting", get(agent::waiting))
        .route("/v1/queues/board", get(board::board))
        .route("/v1/work-items/{id}/direct", post(board::direct))
        .route("/v1/conversations", post(agent::new_conversation))
        .route("/v1/conversations/{id}/close", post(agent::close_conversation))
        .route("/v1/admin/agents", get(admin::list_agents).post(admin::create_agent))
        .route("/v1/admin/agents/{id}", put(admin::update_agent))
        .route("/v1/admin/agents/{id}/tokens", post(admin::issue_token))
        .route("/v1/admin/tokens/{id}", delete(admin::revoke_token))
        .route("/v1/admin/templates", get(admin::list_templates))
        .route("/v1/admin/templates/{scenario}", put(admin::put_template))
        .route("/v1/admin/settings", get(admin::get_settings).put(admin::put_settings))
        .route("/v1/admin/workstreams", get(admin::list_workstreams).post(admin::create_workstream))
        .route("/v1/admin/workstreams/{id}", put(admin::update_workstream))
        .route("/v1/admin/queues", get(admin::list_queues).post(admin::create_queue))
        .route("/v1/admin/queues/{id}", put(admin::update_queue))
        .route("/v1/admin/contacts", get(admin::list_contacts).post(admin::create_contact))
        .route("/v1/admin/contacts/{id}", put(admin::update_contact))
        .merge(crate::channels::routes())
        .merge(console::routes())
        .fallback(agent::not_found)
        .method_not_allowed_fallback(agent::method_not_allowed)
        .with_state(state)
}
