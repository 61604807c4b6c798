//! Ringing (the never-miss issue, item 1) under a real PulseAudio (Debian's `pulseaudio`, on a
//! private socket, with a null sink as its only output): a stream from Herald plays while the
//! offer waits (and is heard on the sink's monitor), and is gone within a second of Accept.
//!
//! The app must find the daemon through its environment (`PULSE_SERVER`), which a test cannot
//! set in its own process (`set_var` is unsafe, and unsafe code is forbidden here): the test
//! starts the daemon and runs itself again as a child with that environment; the child runs the
//! workspace and the app, says when the offer waits, accepts when told, and the parent watches
//! the daemon's streams of the child's process.

use super::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

struct Pulse {
    child: Child,
    server: String,
    _dir: tempfile::TempDir,
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pulse {
    /// A PulseAudio daemon of its own: no default script, a null sink, a socket in a temp dir.
    async fn start() -> Pulse {
        let dir = tempfile::tempdir().unwrap();
        let (run, home) = (dir.path().join("run"), dir.path().join("home"));
        for d in [&run, &home] {
            std::fs::create_dir(d).unwrap();
        }
        let socket = dir.path().join("native");
        let log = std::fs::File::create(dir.path().join("pulse.log")).unwrap();
        let child = Process::new("pulseaudio")
            .args(["-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--log-target=stderr"])
            .arg(format!("--load=module-native-protocol-unix socket={} auth-anonymous=1", socket.display()))
            .arg("--load=module-null-sink sink_name=herald_test")
            .env("XDG_RUNTIME_DIR", &run)
            .env("HOME", &home)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("Debian's pulseaudio is installed (scripts/lib.sh)");
        let pulse = Pulse { child, server: format!("unix:{}", socket.display()), _dir: dir };
        let deadline = Instant::now() + WAIT;
        while pulse.pactl(&["info"]).is_none() {
            assert!(Instant::now() < deadline, "PulseAudio answers in time");
            tokio::task::yield_now().await;
        }
        pulse
    }

    fn pactl(&self, args: &[&str]) -> Option<String> {
        let out = Process::new("pactl").arg("-s").arg(&self.server).args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The streams playing now of process `pid`.
    fn streams_of(&self, pid: u32) -> usize {
        let of = format!("application.process.id = \"{pid}\"");
        self.pactl(&["list", "sink-inputs"]).map_or(0, |l| l.split("Sink Input #").filter(|s| s.contains(&of)).count())
    }

    /// `seconds` of what the null sink plays, recorded from its monitor (mono, 8 kHz).
    fn record(&self, seconds: f32) -> Vec<i16> {
        let mut rec = Process::new("parec")
            .args(["-s", &self.server, "-d", "herald_test.monitor", "--format=s16le", "--channels=1", "--rate=8000", "--raw"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("parec (pulseaudio-utils)");
        let mut bytes = vec![0u8; (8_000.0 * seconds) as usize * 2];
        std::io::Read::read_exact(rec.stdout.as_mut().unwrap(), &mut bytes).expect("the monitor records");
        let _ = rec.kill();
        let _ = rec.wait();
        bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
    }

    /// Waits until `pid` plays `want` streams; how long that took.
    fn until(&self, what: &str, pid: u32, want: usize) -> Duration {
        let from = Instant::now();
        while self.streams_of(pid) != want {
            assert!(from.elapsed() < WAIT, "{what}: {} streams of Herald's playing", self.streams_of(pid));
            std::thread::sleep(Duration::from_millis(20));
        }
        from.elapsed()
    }
}

const CHILD: &str = "HERALD_SOUND_TEST_CHILD";
const NAME: &str = "sound::a_waiting_offer_rings_until_it_is_accepted_and_stops_within_a_second";

#[tokio::test]
async fn a_waiting_offer_rings_until_it_is_accepted_and_stops_within_a_second() {
    if std::env::var_os(CHILD).is_some() {
        return child().await;
    }
    let pulse = Pulse::start().await;
    let mut run = Process::new(std::env::current_exe().unwrap())
        .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("PULSE_SERVER", &pulse.server)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = run.id();
    let mut said = BufReader::new(run.stdout.take().unwrap()).lines();
    let mut hear = |what: &str| loop {
        let line = said.next().unwrap_or_else(|| panic!("the child ended before saying {what}")).unwrap();
        // The harness writes "test <name> ... " before the child's first line, without a newline.
        if line.ends_with(what) {
            return;
        }
    };
    let mut tell = run.stdin.take().unwrap();

    hear("connected");
    assert_eq!(pulse.streams_of(pid), 0, "silence before any request");
    hear("waiting");
    pulse.until("ringing while the offer waits", pid, 1);
    // What the sink hears over more than a whole cycle (a chat's is under 2 s) is the ring, and
    // after it the ring goes on: until answered.
    let heard = pulse.record(2.5);
    let loud = heard.iter().filter(|x| x.unsigned_abs() > 3_000).count();
    assert!(loud > 800, "the ring is heard on the sink: {loud} loud samples of {}", heard.len());
    assert!(loud < heard.len() / 2, "with its pause: {loud} loud samples of {}", heard.len());
    assert_eq!(pulse.streams_of(pid), 1, "still ringing after a whole cycle");

    writeln!(tell, "accept").unwrap();
    hear("accepted");
    let stopped = pulse.until("silence after Accept", pid, 0);
    assert!(stopped < Duration::from_secs(1), "the ring stopped {stopped:?} after Accept");
    writeln!(tell, "done").unwrap();
    hear("no sound problem");
    assert!(run.wait().unwrap().success(), "the child's own checks passed");
}

/// The child: the workspace and the app, driven by the parent over stdin and stdout.
async fn child() {
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Always).await;
    r.host.wait("connected", |s| s.me.is_some()).await;
    println!("connected");
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    let s = r.host.wait("the offer", |s| s.offers.len() == 1).await;
    println!("waiting");
    // Read off the runtime: the app's own tasks (the ring among them) go on meanwhile.
    let line = || tokio::task::spawn_blocking(|| std::io::stdin().lines().next().expect("the parent speaks").unwrap());
    assert_eq!(line().await.unwrap(), "accept");
    let offer = s.offers[0].offer.id;
    // The offer's timeline says that it rang (what the device played, reported by the app).
    let client = &team.agents[0].client;
    let step = herald_e2e::within(async {
        loop {
            let t = client.timeline(offer).await.unwrap();
            if let Some(step) = t.steps.into_iter().find(|s| s.kind == TimelineKind::SoundPlayed) {
                break step;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(step.detail, "Chat, until answered, volume 80 %");
    r.app.command(Command::AcceptOffer { offer }).await.unwrap();
    println!("accepted");
    assert_eq!(line().await.unwrap(), "done");
    let notices = r.app.state().notices;
    assert!(notices.iter().all(|n| !n.text.contains("cannot play sounds")), "{notices:?}");
    println!("no sound problem");
}

/// With no sound server to reach (the daemon is gone), a request still toasts, and the app says
/// in its notices that requests will not ring.
#[tokio::test]
async fn without_a_sound_device_requests_still_toast_and_the_app_says_it_cannot_ring() {
    if std::env::var_os(CHILD).is_none() {
        let dir = tempfile::tempdir().unwrap();
        let out = Process::new(std::env::current_exe().unwrap())
            .args(["sound::without_a_sound_device_requests_still_toast_and_the_app_says_it_cannot_ring", "--exact", "--test-threads=1"])
            .env(CHILD, "1")
            .env("PULSE_SERVER", format!("unix:{}", dir.path().join("gone").display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "the child: {}", String::from_utf8_lossy(&out.stdout));
        return;
    }
    let ws = TestWorkspace::start().await;
    let team = ws.team(1).await;
    let r = rig(&ws, &team.agents[0].token, NotificationMode::Always).await;
    ws.request(team.queue, Scenario::Chat, "Ada").await;
    assert_eq!(toast_count(&r.toasts, 1).await.shown.len(), 1, "the request toasts without sound");
    let s = r.host.wait("the notice", |s| s.notices.iter().any(|n| n.text.contains("cannot play sounds"))).await;
    assert_eq!(s.offers.len(), 1, "the offer waits as ever");
}
