//! One Herald per data folder (per person): starting Herald again shows the one running and
//! ends (R32's "Open Herald" from the start menu, or a second click on the launcher).
//!
//! The same on every OS, with the standard library only: the first Herald holds a lock on
//! `<data dir>/herald.instance` for as long as it runs (the OS releases it when the process
//! ends, however it ends) and writes into that file a loopback port and a random token. A later
//! start that finds the file locked connects to that port, sends the token and its arguments,
//! waits for "ok" and exits. The token keeps other local users out: only someone who can read
//! the person's data folder can ask their Herald to show itself.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// The lock file's name, in the data folder.
pub const FILE: &str = "herald.instance";

/// How long a later start waits for the first to answer (it may be starting itself).
pub const HAND_OVER_WAIT: Duration = Duration::from_secs(10);

/// The first Herald: holds the lock and listens for later starts.
#[derive(Debug)]
pub struct Instance {
    lock: File,
    listener: TcpListener,
    token: String,
}

/// What [`claim`] found.
#[derive(Debug)]
pub enum Claim {
    /// This is the first Herald for the folder.
    First(Instance),
    /// Another Herald runs for the folder and took these arguments: exit.
    HandedOver,
}

/// Becomes the first Herald for `dir`, or hands `args` to the one running there.
pub fn claim(dir: &Path, args: &[String], wait: Duration) -> std::io::Result<Claim> {
    let path = dir.join(FILE);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut lock = options.open(&path)?;
    match lock.try_lock() {
        Ok(()) => {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
            let token = format!("{:032x}", rand::random::<u128>());
            lock.set_len(0)?;
            writeln!(lock, "{} {token}", listener.local_addr()?.port())?;
            lock.flush()?;
            Ok(Claim::First(Instance { lock, listener, token }))
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            hand_over(&path, args, wait)?;
            Ok(Claim::HandedOver)
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Sends `args` to the Herald that holds the lock on `path`, retrying until `wait` has passed
/// (the first Herald writes its port just after taking the lock).
fn hand_over(path: &Path, args: &[String], wait: Duration) -> std::io::Result<()> {
    let deadline = Instant::now() + wait;
    let mut delay = Duration::from_millis(10);
    loop {
        match try_hand_over(path, args, deadline) {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() + delay >= deadline => {
                return Err(std::io::Error::new(e.kind(), format!("the Herald already running did not answer: {e}")));
            }
            Err(e) => tracing::debug!(error = %e, "the Herald already running is not ready; trying again"),
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

fn try_hand_over(path: &Path, args: &[String], deadline: Instant) -> std::io::Result<()> {
    let text = std::fs::read_to_string(path)?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{} holds no port and token yet", path.display()));
    let (port, token) = text.trim().split_once(' ').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let mut stream = TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)), Duration::from_secs(2))?;
    let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(100));
    stream.set_read_timeout(Some(left))?;
    let args = serde_json::to_string(args).map_err(std::io::Error::other)?;
    writeln!(stream, "{token} {args}")?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    if answer.trim() == "ok" {
        Ok(())
    } else {
        Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, format!("the Herald already running refused: {answer:?}")))
    }
}

impl Instance {
    /// The loopback address later starts connect to.
    pub fn address(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Listens for later starts on a thread of its own, for the life of the process, and calls
    /// `started_again` with each one's arguments.
    pub fn serve(self, started_again: impl Fn(Vec<String>) + Send + 'static) -> std::io::Result<()> {
        std::thread::Builder::new().name("single-instance".into()).spawn(move || {
            let Instance { lock, listener, token } = self;
            for stream in listener.incoming() {
                match stream.map_err(|e| e.to_string()).and_then(|s| answer(s, &token)) {
                    Ok(args) => started_again(args),
                    Err(e) => tracing::warn!(error = %e, "ignored a connection to the single-instance port"),
                }
            }
            drop(lock);
        })?;
        Ok(())
    }
}

/// Reads one later start's token and arguments and answers "ok", or refuses.
fn answer(stream: TcpStream, token: &str) -> Result<Vec<String>, String> {
    stream.set_read_timeout(Some(Duration::from_secs(2))).map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new((&stream).take(64 * 1024)).read_line(&mut line).map_err(|e| e.to_string())?;
    let mut writer = &stream;
    let Some((given, args)) = line.trim_end().split_once(' ') else {
        let _ = writeln!(writer, "refused");
        return Err("no token".into());
    };
    if given != token {
        let _ = writeln!(writer, "refused");
        return Err("wrong token".into());
    }
    let args: Vec<String> = serde_json::from_str(args).map_err(|e| format!("arguments: {e}"))?;
    writeln!(writer, "ok").map_err(|e| e.to_string())?;
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_second_start_hands_its_arguments_to_the_first_and_a_stranger_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let Claim::First(first) = claim(dir.path(), &[], HAND_OVER_WAIT).unwrap() else { panic!("the first start is the first") };
        let address = first.address().unwrap();
        let (tx, rx) = mpsc::channel();
        first.serve(move |args| tx.send(args).unwrap()).unwrap();

        let args = vec!["herald-desktop".to_string(), "--show".to_string()];
        assert!(matches!(claim(dir.path(), &args, HAND_OVER_WAIT).unwrap(), Claim::HandedOver));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), args);

        // Someone who cannot read the data folder does not know the token.
        let mut stranger = TcpStream::connect(address).unwrap();
        writeln!(stranger, "0123 [\"--show\"]").unwrap();
        let mut answer = String::new();
        BufReader::new(stranger).read_line(&mut answer).unwrap();
        assert_eq!(answer.trim(), "refused");
        assert!(rx.try_recv().is_err(), "a stranger shows nothing");
    }

    #[test]
    fn the_lock_goes_with_the_first_herald_and_the_next_start_is_first_again() {
        let dir = tempfile::tempdir().unwrap();
        let Claim::First(first) = claim(dir.path(), &[], HAND_OVER_WAIT).unwrap() else { panic!() };
        drop(first);
        // The port written by the Herald that ended is stale: the next start takes over.
        assert!(matches!(claim(dir.path(), &[], HAND_OVER_WAIT).unwrap(), Claim::First(_)));
    }

    #[test]
    fn a_first_herald_that_never_answers_fails_the_second_start_in_bounded_time() {
        let dir = tempfile::tempdir().unwrap();
        let Claim::First(_first) = claim(dir.path(), &[], HAND_OVER_WAIT).unwrap() else { panic!() };
        // Not serving: connections queue but are never answered.
        let started = Instant::now();
        let e = claim(dir.path(), &[], Duration::from_millis(300)).unwrap_err();
        assert!(e.to_string().contains("did not answer"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    }
}
