//! A throwaway PostgreSQL server for tests, from Debian's `postgresql` package: `initdb` into a
//! temporary directory, `pg_ctl start` on a free loopback port with its socket in that directory
//! (`-k`), one database per workspace, stopped (`pg_ctl stop -m immediate`) when the last handle
//! drops. As root, the server runs as the `postgres` user (`initdb` and `pg_ctl` refuse root).
//!
//! [`PgServer::shared`] gives every workspace of one test process the same server; nextest runs
//! each test in its own process, so a test starts its own (about a second).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// A running PostgreSQL server.
#[derive(Debug)]
pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
    dir: tempfile::TempDir,
}

static SHARED: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());
static DATABASES: AtomicU32 = AtomicU32::new(0);

/// The newest PostgreSQL under `/usr/lib/postgresql/<version>/bin`, or `HERALD_PG_BIN`.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("HERALD_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (apt-get install postgresql; scripts/test.sh does it)")
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("no initdb under /usr/lib/postgresql/*/bin").1
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

impl PgServer {
    /// The server this process's workspaces share, started on first use.
    pub fn shared() -> Arc<PgServer> {
        let mut shared = SHARED.lock().unwrap();
        if let Some(s) = shared.upgrade() {
            return s;
        }
        let s = Arc::new(Self::start());
        *shared = Arc::downgrade(&s);
        s
    }

    /// Initialises a cluster in a temporary directory and starts it on a free port.
    pub fn start() -> Self {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("temp dir");
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(dir.path()), "chown the data directory to postgres");
        }
        let data = dir.path().join("data");
        let mut server = Self { bin, data, port: 0, as_postgres, dir };
        let mut initdb = server.tool("initdb");
        initdb.arg("-D").arg(&server.data).args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
        run(&mut initdb, "initdb");
        // A free port may be taken between asking and starting: try a few.
        for attempt in 1..=5 {
            server.port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut start = server.tool("pg_ctl");
            start
                .arg("-D")
                .arg(&server.data)
                .arg("-l")
                .arg(server.dir.path().join("server.log"))
                .arg("-o")
                .arg(format!(
                    "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                    server.port,
                    server.dir.path().display()
                ))
                .args(["-w", "-t", "30", "start"]);
            let out = start.stdin(Stdio::null()).output().expect("pg_ctl start");
            if out.status.success() {
                return server;
            }
            let log = std::fs::read_to_string(server.dir.path().join("server.log")).unwrap_or_default();
            assert!(attempt < 5, "pg_ctl start failed: {}{log}", String::from_utf8_lossy(&out.stderr));
        }
        unreachable!()
    }

    /// `bin/<name>`, run as the `postgres` user when we are root.
    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the data directory, the socket and the server's log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `postgres://…` for a database named `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a new, empty database and returns its URL.
    pub fn create_database(&self) -> String {
        let name = format!("herald_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::Relaxed));
        self.sql(&format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// Copies database `from` into a new database `to` (`CREATE DATABASE … TEMPLATE`, which
    /// waits up to 5 s for the sessions of a killed workspace to end).
    pub fn copy_database(&self, from: &str, to: &str) {
        self.sql(&format!("CREATE DATABASE {to} TEMPLATE {from}"));
    }

    /// Replaces database `name` with a copy of `from` (its sessions are ended first).
    pub fn replace_database(&self, name: &str, from: &str) {
        self.sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        self.copy_database(from, name);
    }

    /// Runs one SQL command on the `postgres` database (psql over the socket).
    pub fn sql(&self, command: &str) {
        let mut psql = Command::new(self.bin.join("psql"));
        psql.arg("-h").arg(self.dir.path()).args(["-p", &self.port.to_string(), "-U", "postgres", "-d", "postgres", "-v"]);
        psql.args(["ON_ERROR_STOP=1", "-qc", command]);
        run(&mut psql, command);
    }
}

/// The database name at the end of a `postgres://…/name` URL.
pub fn database_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let mut stop = self.tool("pg_ctl");
        stop.arg("-D").arg(&self.data).args(["-m", "immediate", "-w", "stop"]).stdout(Stdio::null()).stderr(Stdio::null());
        let _ = stop.status();
    }
}
