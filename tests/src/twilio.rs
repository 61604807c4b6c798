//! Twilio from the outside: webhooks signed by Twilio's own Python SDK, and a fake Twilio REST
//! API that records what the workspace sends and answers from a script.
//!
//! The SDK lives in a virtualenv under `target/twilio-venv`, created on first use
//! (`python3 -m venv` + `pip install -r tests/twilio/requirements.txt`) under `flock`, so tests
//! running in parallel install it once. `HERALD_TWILIO_PYTHON` points at another interpreter
//! that has `twilio` installed.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/<test> → target
    exe.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"), PathBuf::from)
}

/// A Python interpreter with Twilio's SDK, installing it on first use.
pub fn sdk_python() -> PathBuf {
    if let Ok(p) = std::env::var("HERALD_TWILIO_PYTHON") {
        return PathBuf::from(p);
    }
    let target = target_dir();
    let venv = target.join("twilio-venv");
    let python = venv.join("bin/python");
    let ready = venv.join(".installed");
    if ready.exists() {
        return python;
    }
    let requirements = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("twilio/requirements.txt");
    let script = format!(
        "set -e; if [ ! -e '{ready}' ]; then python3 -m venv '{venv}'; '{venv}/bin/pip' install --quiet --disable-pip-version-check -r '{req}'; touch '{ready}'; fi",
        ready = ready.display(),
        venv = venv.display(),
        req = requirements.display()
    );
    let status = std::process::Command::new("flock")
        .arg(target.join("twilio-venv.lock"))
        .args(["sh", "-c", &script])
        .status()
        .expect("flock and sh are installed");
    assert!(status.success(), "installing Twilio's Python SDK into {} failed", venv.display());
    python
}

/// The `X-Twilio-Signature` Twilio's SDK computes for this request.
pub fn sdk_signature(token: &str, url: &str, params: &[(&str, &str)], algorithm: &str) -> String {
    use std::io::Write;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("twilio/sign.py");
    let mut child = std::process::Command::new(sdk_python())
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    let req = serde_json::json!({ "token": token, "url": url, "params": params, "algorithm": algorithm });
    child.stdin.take().unwrap().write_all(req.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "sign.py failed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// One request the fake Twilio API received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub account: String,
    pub authorization: Option<String>,
    pub form: Vec<(String, String)>,
}

impl Recorded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Debug)]
struct FakeState {
    /// Statuses to answer with, in order; 201 once they run out.
    script: Arc<Mutex<Vec<u16>>>,
    seen: watch::Sender<Vec<Recorded>>,
}

/// A fake `POST /2010-04-01/Accounts/{sid}/Messages.json`.
#[derive(Debug)]
pub struct FakeTwilio {
    pub base: String,
    seen: watch::Receiver<Vec<Recorded>>,
    _server: tokio::task::JoinHandle<()>,
}

impl FakeTwilio {
    /// Answers the first requests with `script`'s statuses, then 201 with a message SID.
    pub async fn start(script: Vec<u16>) -> Self {
        let (tx, rx) = watch::channel(Vec::new());
        let state = FakeState { script: Arc::new(Mutex::new(script)), seen: tx };
        let app = axum::Router::new().route("/2010-04-01/Accounts/{account}/Messages.json", post(messages)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { base, seen: rx, _server: server }
    }

    /// Waits until at least `n` requests arrived; returns them all.
    pub async fn wait_for(&mut self, n: usize) -> Vec<Recorded> {
        crate::within(self.seen.wait_for(|v| v.len() >= n)).await.unwrap().clone()
    }

    pub fn seen(&self) -> Vec<Recorded> {
        self.seen.borrow().clone()
    }
}

async fn messages(
    State(s): State<FakeState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, String) {
    let form = url::form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    let status = {
        let mut script = s.script.lock().unwrap();
        if script.is_empty() { 201 } else { script.remove(0) }
    };
    let n = s.seen.borrow().len();
    s.seen.send_modify(|v| v.push(Recorded { account, authorization, form }));
    let code = StatusCode::from_u16(status).unwrap();
    if code.is_success() {
        (code, serde_json::json!({ "sid": format!("SMfake{n:04}"), "status": "queued" }).to_string())
    } else {
        (code, serde_json::json!({ "code": 20000 + status, "message": format!("scripted {status}") }).to_string())
    }
}
