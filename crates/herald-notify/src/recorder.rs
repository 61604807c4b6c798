//! A notifier that records instead of drawing, for tests of the layers that decide *whether* to
//! toast. The real daemon is tested in herald-e2e (`tests/notify.rs`).

use crate::{Actions, Capabilities, Notifier, NotifyError, Toast, UserAction};
use futures_util::future::BoxFuture;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

/// Records shown and withdrawn toasts; [`Recorder::click`] plays a person's action.
#[derive(Clone, Debug)]
pub struct Recorder {
    inner: Arc<Mutex<Log>>,
    changed: Arc<watch::Sender<u64>>,
    actions: mpsc::UnboundedSender<UserAction>,
    capabilities: Capabilities,
}

/// What a [`Recorder`] saw, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    pub shown: Vec<Toast>,
    pub withdrawn: Vec<u64>,
}

impl Log {
    /// Keys shown more often than withdrawn, in the order first shown.
    pub fn open(&self) -> Vec<u64> {
        let mut open: Vec<u64> = Vec::new();
        for t in &self.shown {
            if !open.contains(&t.key) {
                open.push(t.key);
            }
        }
        open.retain(|k| {
            let shows = self.shown.iter().filter(|t| t.key == *k).count();
            let withdraws = self.withdrawn.iter().filter(|w| *w == k).count();
            shows > withdraws
        });
        open
    }
}

impl Recorder {
    pub fn new(capabilities: Capabilities) -> (Self, Actions) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (changed, _) = watch::channel(0);
        (Self { inner: Default::default(), changed: Arc::new(changed), actions: tx, capabilities }, rx)
    }

    pub fn log(&self) -> Log {
        self.inner.lock().expect("recorder lock").clone()
    }

    /// Plays a person's click on a toast.
    pub fn click(&self, action: UserAction) {
        let _ = self.actions.send(action);
    }

    /// Waits until `pred` holds for the log.
    pub async fn wait_for(&self, pred: impl Fn(&Log) -> bool) -> Log {
        let mut rx = self.changed.subscribe();
        loop {
            let log = self.log();
            if pred(&log) {
                return log;
            }
            if rx.changed().await.is_err() {
                return log;
            }
        }
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }
}

impl Notifier for Recorder {
    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn show(&self, toast: Toast) -> BoxFuture<'_, Result<(), NotifyError>> {
        self.inner.lock().expect("recorder lock").shown.push(toast);
        self.bump();
        Box::pin(async { Ok(()) })
    }

    fn withdraw(&self, key: u64) -> BoxFuture<'_, Result<(), NotifyError>> {
        self.inner.lock().expect("recorder lock").withdrawn.push(key);
        self.bump();
        Box::pin(async { Ok(()) })
    }
}
