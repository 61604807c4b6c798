//! The `herald-workspace` command line.

use crate::channels::{ChannelsConfig, RetryPolicy, TwilioConfig};
use crate::demo::DemoConfig;
use crate::retention::Retention;
use crate::{Config, Limits, Rate};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "herald-workspace", version, about = "The Herald routing workspace")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once
enum Command {
    /// Serve the workspace API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "HERALD_LISTEN", default_value = "127.0.0.1:8780")]
        listen: String,
        /// Database URL: `sqlite://path` or `postgres://user:password@host/db`; default:
        /// workspace.db in the user's data directory.
        #[arg(long, env = "HERALD_DATABASE_URL")]
        database: Option<String>,
        /// PostgreSQL only: the URL the workspace's other instances reach this one at (they
        /// forward requests to the leader); default `http://` + the listen address.
        #[arg(long, env = "HERALD_ADVERTISE_URL")]
        advertise_url: Option<String>,
        /// Seeds an admin with this bearer token when the database has no agents.
        #[arg(long, env = "HERALD_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// Serves `GET /metrics` (Prometheus text format) to requests with this bearer token.
        #[arg(long, env = "HERALD_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// Seed a demo team and generate demo traffic.
        #[arg(long)]
        demo: bool,
        /// Demo customer requests per minute.
        #[arg(long, default_value_t = 6.0)]
        demo_rate: f64,
        /// Simulated colleagues in the demo team.
        #[arg(long, default_value_t = 3)]
        demo_colleagues: usize,
        /// Event-log entries newer than this many days are kept (an app away longer reloads).
        #[arg(long, env = "HERALD_RETENTION_DAYS", default_value_t = Retention::DEFAULT_DAYS)]
        retention_days: u64,
        /// The newest entries of each agent's event log kept however old (at least 1).
        #[arg(long, env = "HERALD_RETENTION_KEEP", default_value_t = Retention::DEFAULT_KEEP,
            value_parser = clap::value_parser!(u64).range(1..))]
        retention_keep: u64,
        #[command(flatten)]
        channels: ChannelArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Print the OpenAPI document.
    Openapi,
}

/// Channel settings (Twilio, the public URL webhooks are signed over).
#[derive(Debug, clap::Args)]
struct ChannelArgs {
    /// The URL the world reaches this workspace at, e.g. https://herald.example.com (webhook
    /// signatures are computed over it).
    #[arg(long, env = "HERALD_PUBLIC_URL")]
    public_url: Option<String>,
    /// Twilio auth token: enables the Twilio webhooks (/channels/twilio/…) and signs REST calls.
    #[arg(long, env = "HERALD_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    twilio_auth_token: Option<String>,
    /// Twilio account SID (AC…), for sending SMS.
    #[arg(long, env = "HERALD_TWILIO_ACCOUNT_SID", default_value = "")]
    twilio_account_sid: String,
    /// Twilio REST API base URL.
    #[arg(long, env = "HERALD_TWILIO_API_BASE", default_value = "https://api.twilio.com")]
    twilio_api_base: String,
    /// Webhook shared keys for the SHA-256 signature variant: `keyId=secret,keyId2=secret2`.
    #[arg(long, env = "HERALD_TWILIO_SHARED_KEYS", hide_env_values = true, default_value = "")]
    twilio_shared_keys: String,
    /// Queue id for SMS conversations (default: the first queue).
    #[arg(long, env = "HERALD_SMS_QUEUE")]
    sms_queue: Option<u64>,
    /// Queue id for calls after the voice bot (default: the first queue).
    #[arg(long, env = "HERALD_VOICE_QUEUE")]
    voice_queue: Option<u64>,
}

impl ChannelArgs {
    fn into_config(self) -> ChannelsConfig {
        let twilio = self.twilio_auth_token.filter(|t| !t.is_empty()).map(|auth_token| TwilioConfig {
            account_sid: self.twilio_account_sid,
            auth_token,
            shared_keys: self
                .twilio_shared_keys
                .split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect(),
            api_base: self.twilio_api_base,
        });
        ChannelsConfig {
            public_url: self.public_url.filter(|u| !u.is_empty()),
            twilio,
            sms_queue: self.sms_queue.map(herald_core::QueueId),
            voice_queue: self.voice_queue.map(herald_core::QueueId),
            retry: RetryPolicy::default(),
        }
    }
}

/// Connections, timeouts and the public web chat's rate limits (README: "Limits").
#[derive(Debug, clap::Args)]
struct LimitArgs {
    /// Connections held at once (agents' event streams included); more wait until one closes.
    #[arg(long, env = "HERALD_MAX_CONNECTIONS", default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds a client has to send a request's headers (also closes idle kept-alive connections); 0: no limit.
    #[arg(long, env = "HERALD_HEADER_TIMEOUT", default_value = "10", value_parser = seconds)]
    header_timeout: Duration,
    /// Seconds without a byte either way before a connection is closed (keep above 30); 0: no limit.
    #[arg(long, env = "HERALD_IDLE_TIMEOUT", default_value = "60", value_parser = seconds)]
    idle_timeout: Duration,
    /// Web chats one client address may start at once (every attempt counts); 0: no limit.
    #[arg(long, env = "HERALD_CHAT_START_BURST", default_value_t = 10)]
    chat_start_burst: u32,
    /// …then one more every this many seconds.
    #[arg(long, env = "HERALD_CHAT_START_EVERY", default_value = "6", value_parser = seconds)]
    chat_start_every: Duration,
    /// Messages a web chat customer may send at once in one conversation; 0: no limit.
    #[arg(long, env = "HERALD_CHAT_MESSAGE_BURST", default_value_t = 10)]
    chat_message_burst: u32,
    /// …then one more every this many seconds.
    #[arg(long, env = "HERALD_CHAT_MESSAGE_EVERY", default_value = "1", value_parser = seconds)]
    chat_message_every: Duration,
    /// Behind a reverse proxy: count web chat clients by the last X-Forwarded-For address (the
    /// one the proxy appended) instead of the peer. Never set it without a proxy: anyone can
    /// send that header.
    #[arg(long, env = "HERALD_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
}

impl LimitArgs {
    fn into_limits(self) -> Limits {
        let rate = |burst, every| (burst > 0).then_some(Rate { burst, every });
        Limits {
            max_connections: self.max_connections,
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            chat_starts: rate(self.chat_start_burst, self.chat_start_every),
            chat_messages: rate(self.chat_message_burst, self.chat_message_every),
            trust_forwarded_for: self.trust_forwarded_for,
        }
    }
}

/// Seconds (`10`, `0.5`) as a duration.
fn seconds(raw: &str) -> Result<Duration, String> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("{raw:?} is not a number of seconds"))
}

/// The default database: `workspace.db` under the platform's data directory for Herald.
pub fn default_database() -> anyhow::Result<(String, PathBuf)> {
    let dirs = directories::ProjectDirs::from("org", "Herald", "herald")
        .ok_or_else(|| anyhow::anyhow!("no home directory to keep the database in; pass --database"))?;
    let dir = dirs.data_dir().to_path_buf();
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("workspace.db");
    Ok((format!("sqlite://{}", file.display()), file))
}

/// Runs the command line; `main` of the binary.
pub fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&crate::http::openapi())?);
            Ok(())
        }
        Command::Serve {
            listen,
            database,
            advertise_url,
            admin_token,
            metrics_token,
            demo,
            demo_rate,
            demo_colleagues,
            retention_days,
            retention_keep,
            channels,
            limits,
        } => {
            let database_url = match database {
                Some(d) => d,
                None => default_database()?.0,
            };
            let demo = demo.then_some(DemoConfig { colleagues: demo_colleagues, per_minute: demo_rate, ..Default::default() });
            let limits = limits.into_limits();
            let retention = Retention::days(retention_days, retention_keep);
            let config = Config {
                database_url,
                admin_token: admin_token.filter(|t| !t.is_empty()),
                demo,
                limits,
                retention,
                metrics_token: metrics_token.filter(|t| !t.is_empty()),
            };
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let listener =
                    tokio::net::TcpListener::bind(&listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
                if crate::store::is_postgres(&config.database_url) {
                    crate::serve_instance(config, channels.into_config(), listener, advertise_url, shutdown_signal()).await
                } else {
                    crate::serve(config, channels.into_config(), listener, shutdown_signal()).await
                }
            })
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
