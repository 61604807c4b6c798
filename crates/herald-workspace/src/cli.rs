//! The `herald-workspace` command line.

use crate::demo::DemoConfig;
use crate::Config;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "herald-workspace", version, about = "The Herald routing workspace")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the workspace API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "HERALD_LISTEN", default_value = "127.0.0.1:8780")]
        listen: String,
        /// Database URL (`sqlite://path`); default: workspace.db in the user's data directory.
        #[arg(long, env = "HERALD_DATABASE_URL")]
        database: Option<String>,
        /// Seeds an admin with this bearer token when the database has no agents.
        #[arg(long, env = "HERALD_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// Seed a demo team and generate demo traffic.
        #[arg(long)]
        demo: bool,
        /// Demo customer requests per minute.
        #[arg(long, default_value_t = 6.0)]
        demo_rate: f64,
        /// Simulated colleagues in the demo team.
        #[arg(long, default_value_t = 3)]
        demo_colleagues: usize,
    },
    /// Print the OpenAPI document.
    Openapi,
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
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&crate::http::openapi())?);
            Ok(())
        }
        Command::Serve { listen, database, admin_token, demo, demo_rate, demo_colleagues } => {
            let database_url = match database {
                Some(d) => d,
                None => default_database()?.0,
            };
            let demo = demo.then_some(DemoConfig { colleagues: demo_colleagues, per_minute: demo_rate, ..Default::default() });
            let config = Config { database_url, admin_token: admin_token.filter(|t| !t.is_empty()), demo };
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
                crate::serve(config, listener, shutdown_signal()).await
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
