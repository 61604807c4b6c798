//! The workspace inside the app, for when no workspace URL is set: SQLite in the data dir, the
//! demo team seeded on first start (the person signs in as its agent), demo traffic that
//! Settings switch on and off. It listens on a loopback port chosen by the OS.

use herald_client::Client;
use herald_protocol::{BasePresence, Me, Presence, Role};
use herald_workspace::demo::{DemoConfig, DemoSwitch};
use std::path::Path;

#[derive(Debug)]
pub struct Embedded {
    running: herald_workspace::Running,
    pub url: String,
    /// The demo agent's token, fresh on every start.
    pub token: String,
    /// The demo supervisor's token, fresh on every start.
    pub supervisor_token: String,
    pub database: String,
    traffic: DemoSwitch,
}

impl Embedded {
    pub async fn start(data_dir: &Path, demo_traffic: bool, rate: Option<f64>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let file = data_dir.join("workspace.db");
        let database_url = format!("sqlite://{}", file.display());
        let traffic = DemoSwitch::new(demo_traffic);
        let per_minute = rate.or_else(|| std::env::var("HERALD_DEMO_RATE").ok().and_then(|r| r.parse().ok())).unwrap_or(8.0);
        let config = herald_workspace::Config {
            database_url: database_url.clone(),
            admin_token: None,
            demo: Some(DemoConfig { colleagues: 3, per_minute, traffic: traffic.clone() }),
            limits: Default::default(),
            retention: Default::default(),
            metrics_token: None,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let running = herald_workspace::start(config, listener).await?;
        let team = running.demo.as_ref().ok_or_else(|| anyhow::anyhow!("no demo team"))?;
        let (token, supervisor_token) = (team.me_token.clone(), team.supervisor_token.clone());
        let url = format!("http://{}", running.addr);
        tracing::info!(%url, database = %file.display(), demo_traffic, "embedded workspace started");
        Ok(Self { running, url, token, supervisor_token, database: file.display().to_string(), traffic })
    }

    pub fn set_traffic(&self, on: bool) {
        self.traffic.set(on);
    }

    pub async fn stop(self) {
        if let Err(e) = self.running.stop().await {
            tracing::warn!(error = %e, "the embedded workspace did not stop cleanly");
        }
    }
}

/// The embedded demo: the person at the keyboard starts Available, so work arrives.
pub(crate) async fn demo_agent_available(client: &Client, me: Me) -> Me {
    if me.agent.role != Role::Agent || me.agent.presence.base != BasePresence::Offline {
        return me;
    }
    match client.set_presence(Presence { base: BasePresence::Available, custom: None }).await {
        Ok(agent) => Me { agent, ..me },
        Err(e) => {
            tracing::warn!(error = %e, "could not make the demo agent available");
            me
        }
    }
}
