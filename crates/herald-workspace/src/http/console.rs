//! The admin console (the organisation issue, item 3) at `/admin/`: the pages built from `ui/`
//! (`admin.html` and its hashed assets in `ui/dist`), carried inside the binary. It is a client
//! of the same API as everything else — an admin signs in with an email and a password and the
//! page calls `/v1/...` with the bearer token — so nothing here decides anything.
//!
//! A binary built before `ui/dist` existed has no pages: `/admin/` then says how to build them
//! (503), and the API works as ever.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use rust_embed::Embed;

use crate::edge::AppState;

#[derive(Embed)]
#[folder = "../../ui/dist/"]
#[include = "admin.html"]
#[include = "assets/*"]
#[allow_missing = true]
struct Pages;

/// What the pages may load: only from the workspace itself, never framed by another site.
const POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::permanent("/admin/") }))
        .route("/admin/", get(|| async { file("admin.html", false) }))
        .route("/admin/assets/{name}", get(|Path(name): Path<String>| async move { file(&format!("assets/{name}"), true) }))
}

/// One built file; the assets' names carry their content's hash, so they may be cached forever.
fn file(path: &str, immutable: bool) -> Response {
    let Some(f) = Pages::get(path) else {
        if Pages::iter().next().is_none() {
            let why = "The admin console is not in this build of herald-workspace: build the UI first \
                       (`npm run build` in ui/), then the workspace.";
            return (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
        }
        return (StatusCode::NOT_FOUND, "No such file in the admin console.").into_response();
    };
    let mut res = f.data.into_owned().into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(f.metadata.mimetype()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let cache = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}
