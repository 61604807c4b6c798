//! # A real X11 desktop for one test
//!
//! [`DesktopSession::start`] brings up, in a fresh temporary directory and for this test only:
//! `Xvfb` on a free display (it picks the number itself and reports it through `-displayfd`), a
//! private `dbus-daemon` session bus, `openbox` as the window manager and `xfce4-notifyd` as the
//! notification server. It returns once each one is ready — the display reported, the bus address
//! printed, the window manager's `_NET_SUPPORTING_WM_CHECK` set on the root window,
//! `org.freedesktop.Notifications` owned on the bus — by waiting for those conditions, never for a
//! fixed time.
//!
//! Tests running in parallel (nextest runs each test in its own process) each get their own
//! display, bus, home and XDG directories, so they never see each other's windows or toasts.
//!
//! Every program runs in its own process group; [`Drop`] ends the groups (SIGTERM, then SIGKILL
//! after a short grace) in reverse order of start, so a failing test leaves nothing behind. The
//! programs' output goes to `<dir>/<name>.log`; when the test panics the directory is kept and its
//! path printed.
//!
//! The bus has no service activation (no `servicedir`): nothing starts behind the test's back,
//! and a call to a missing service fails at once instead of waiting for a time-out.
//!
//! Later suites add their own programs (a tray, the app, a WebDriver server) with
//! [`DesktopSession::spawn`], which gives them the session's environment ([`DesktopSession::env`])
//! and the same clean-up.

use anyhow::{Context, Result, anyhow, bail, ensure};
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The notification daemon under test.
pub const XFCE4_NOTIFYD: &str = "/usr/lib/x86_64-linux-gnu/xfce4/notifyd/xfce4-notifyd";
/// Xfce's settings service (Debian's `xfconf`, which xfce4-notifyd depends on).
pub const XFCONFD: &str = "/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd";
/// dconf's writer (Debian's `dconf-service`): GNOME's settings store.
pub const DCONF_SERVICE: &str = "/usr/libexec/dconf-service";
/// The well-known bus name of a freedesktop notification server.
pub const NOTIFICATIONS: &str = "org.freedesktop.Notifications";
/// How long starting any one program may take.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How often [`wait_until`] and [`wait_for`] look again.
pub const POLL: Duration = Duration::from_millis(50);

/// The null sink of [`Options::sound`].
const SINK: &str = "herald_desk";

/// What to start.
#[derive(Clone, Debug)]
pub struct Options {
    /// Screen size of the virtual display.
    pub screen: (u32, u32),
    /// Start openbox.
    pub window_manager: bool,
    /// Start xfce4-notifyd (without it, nothing owns `org.freedesktop.Notifications`).
    pub notification_daemon: bool,
    /// Start a sound server: PulseAudio with a null sink as its only output, at the place a
    /// session's programs look for it (`$XDG_RUNTIME_DIR/pulse/native`). Without it nothing
    /// plays (as root, libpulse does not start a server of its own).
    pub sound: bool,
    /// Start xfconfd (Xfce's settings service, where xfce4-notifyd keeps its do-not-disturb)
    /// before the notification server.
    pub xfconf: bool,
    /// Start mate-screensaver, which locks and unlocks with `mate-screensaver-command`.
    pub screensaver: bool,
    /// Start dconf's writer (`dconf-service`, where GNOME keeps its settings): programs run with
    /// [`DesktopSession::dconf_env`] read and write GSettings through it.
    pub dconf: bool,
    /// The session's locale (`LANG` and `LC_ALL` of its programs), e.g. `nl_NL.UTF-8`; `None`
    /// leaves the machine's.
    pub locale: Option<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            screen: (1280, 800),
            window_manager: true,
            notification_daemon: true,
            sound: false,
            xfconf: false,
            screensaver: false,
            dconf: false,
            locale: None,
        }
    }
}

/// A rectangle in screen (root window) coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Geometry {
    pub fn center(&self) -> (i32, i32) {
        (self.x + self.width as i32 / 2, self.y + self.height as i32 / 2)
    }

    pub fn bottom(&self) -> i32 {
        self.y + self.height as i32
    }
}

/// An RGB picture of a window.
#[derive(Clone, Debug)]
pub struct Capture {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
}

/// One program of the session.
#[derive(Debug)]
struct Daemon {
    name: String,
    child: Child,
    /// Kept open so a late write never meets a closed pipe.
    stdout: Option<ChildStdout>,
}

/// A private X display, session bus, window manager and notification server (see the module
/// docs).
#[derive(Debug)]
pub struct DesktopSession {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
    display: u32,
    dbus_address: String,
    screen: (u32, u32),
    locale: Option<&'static str>,
    daemons: Mutex<Vec<Daemon>>,
}

impl DesktopSession {
    /// Xvfb, a session bus, openbox and xfce4-notifyd, each ready.
    pub async fn start() -> Result<Self> {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("herald-desktop-").tempdir().context("temp dir")?;
        let path = dir.path().to_path_buf();
        for sub in ["home", "config", "cache", "data", "state", "runtime"] {
            std::fs::create_dir_all(path.join(sub))?;
        }
        set_private(&path.join("runtime"))?;
        // From here on, dropping `session` cleans up whatever has started.
        let mut session = Self {
            dir: Some(dir),
            path,
            display: 0,
            dbus_address: String::new(),
            screen: options.screen,
            locale: options.locale,
            daemons: Mutex::new(Vec::new()),
        };

        let (w, h) = options.screen;
        let mut xvfb = Command::new("Xvfb");
        xvfb.args(["-displayfd", "1", "-screen", "0", &format!("{w}x{h}x24"), "-nolisten", "tcp", "-noreset"]);
        let display = session.spawn_reporting("xvfb", xvfb).await?;
        session.display = display.trim().parse().with_context(|| format!("Xvfb reported display {display:?}"))?;

        let config = session.path.join("bus.conf");
        std::fs::write(&config, bus_config(&session.path.join("bus")))?;
        let mut dbus = Command::new("dbus-daemon");
        dbus.arg(format!("--config-file={}", config.display())).args(["--nofork", "--print-address=1"]);
        session.dbus_address = session.spawn_reporting("dbus", dbus).await?.trim().to_owned();
        ensure!(session.dbus_address.starts_with("unix:"), "dbus-daemon printed {:?}", session.dbus_address);

        if options.window_manager {
            let mut openbox = session.command("openbox");
            openbox.arg("--sm-disable");
            session.spawn("openbox", openbox)?;
            wait_for(START_TIMEOUT, || async {
                if let Err(e) = session.check_alive() {
                    return Some(Err(e));
                }
                let root = session.run("xprop", &["-root", "_NET_SUPPORTING_WM_CHECK"]).await;
                root.is_ok_and(|o| o.contains("window id")).then_some(Ok(()))
            })
            .await
            .context("openbox manages the display")??;
        }

        if options.sound {
            let mut pulse = session.command("pulseaudio");
            pulse
                .args(["-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "--log-target=stderr"])
                .arg("--load=module-native-protocol-unix auth-anonymous=1")
                .arg(format!("--load=module-null-sink sink_name={SINK}"));
            session.spawn("pulseaudio", pulse)?;
            wait_for(START_TIMEOUT, || async {
                if let Err(e) = session.check_alive() {
                    return Some(Err(e));
                }
                session.run("pactl", &["info"]).await.is_ok().then_some(Ok(()))
            })
            .await
            .context("PulseAudio answers")??;
        }

        if options.xfconf {
            session.spawn("xfconfd", session.command(XFCONFD))?;
            session.wait_for_name("org.xfce.Xfconf", START_TIMEOUT).await.context("xfconfd owns org.xfce.Xfconf")?;
        }

        if options.dconf {
            session.spawn("dconf-service", session.command(DCONF_SERVICE))?;
            session.wait_for_name("ca.desrt.dconf", START_TIMEOUT).await.context("dconf-service owns ca.desrt.dconf")?;
        }

        if options.screensaver {
            let mut saver = session.command("mate-screensaver");
            saver.arg("--no-daemon");
            session.spawn("mate-screensaver", saver)?;
            session.wait_for_name("org.mate.ScreenSaver", START_TIMEOUT).await.context("mate-screensaver owns org.mate.ScreenSaver")?;
        }

        if options.notification_daemon {
            session.spawn("xfce4-notifyd", session.command(XFCE4_NOTIFYD))?;
            session.wait_for_name(NOTIFICATIONS, START_TIMEOUT).await.context("xfce4-notifyd owns org.freedesktop.Notifications")?;
        }
        Ok(session)
    }

    /// The X display, e.g. `:3`.
    pub fn display(&self) -> String {
        format!(":{}", self.display)
    }

    /// The private session bus (`unix:path=…`).
    pub fn dbus_address(&self) -> &str {
        &self.dbus_address
    }

    /// The session's directory: logs, home, XDG directories.
    pub fn dir(&self) -> &Path {
        &self.path
    }

    pub fn screen(&self) -> (u32, u32) {
        self.screen
    }

    /// What a program needs to live on this desktop: display, bus, and a home and XDG
    /// directories of its own (so settings, keyrings and caches of the machine are not used).
    pub fn env(&self) -> Vec<(String, String)> {
        let p = |sub: &str| self.path.join(sub).display().to_string();
        let mut env: Vec<(String, String)> = vec![
            ("DISPLAY".into(), self.display()),
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.dbus_address.clone()),
            ("HOME".into(), p("home")),
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_CACHE_HOME".into(), p("cache")),
            ("XDG_DATA_HOME".into(), p("data")),
            ("XDG_STATE_HOME".into(), p("state")),
            ("XDG_RUNTIME_DIR".into(), p("runtime")),
            ("XDG_SESSION_TYPE".into(), "x11".into()),
            ("GDK_BACKEND".into(), "x11".into()),
            // No accessibility bus and no dconf: neither exists on this bus.
            ("NO_AT_BRIDGE".into(), "1".into()),
            ("GSETTINGS_BACKEND".into(), "memory".into()),
        ];
        if let Some(locale) = self.locale {
            env.extend([("LANG".into(), locale.into()), ("LC_ALL".into(), locale.into())]);
        }
        env
    }

    /// The sound streams playing now (with [`Options::sound`]), as `pactl list sink-inputs`
    /// shows them: one text per stream.
    pub async fn sound_streams(&self) -> Result<Vec<String>> {
        let list = self.run("pactl", &["list", "sink-inputs"]).await?;
        Ok(list.split("Sink Input #").skip(1).map(str::to_owned).collect())
    }

    /// [`Self::env`] with GSettings kept in dconf (with [`Options::dconf`]) instead of memory.
    pub fn dconf_env(&self) -> Vec<(String, String)> {
        let mut env = self.env();
        env.retain(|(k, _)| k != "GSETTINGS_BACKEND");
        env.push(("GSETTINGS_BACKEND".into(), "dconf".into()));
        env
    }

    /// `seconds` of what the null sink plays (with [`Options::sound`]), recorded from its
    /// monitor: mono 16-bit samples at 8 kHz.
    pub async fn record_sound(&self, seconds: f32) -> Result<Vec<i16>> {
        use tokio::io::AsyncReadExt;
        let mut rec = tokio::process::Command::from(self.command("parec"))
            .args(["-d", &format!("{SINK}.monitor"), "--format=s16le", "--channels=1", "--rate=8000", "--raw"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("parec (pulseaudio-utils)")?;
        let mut bytes = vec![0u8; (8_000.0 * seconds) as usize * 2];
        rec.stdout.as_mut().context("parec's output")?.read_exact(&mut bytes).await.context("the monitor records")?;
        rec.kill().await?;
        Ok(bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect())
    }

    /// A command with [`DesktopSession::env`] (and nothing of the machine's own display, Wayland
    /// or bus).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        for var in ["WAYLAND_DISPLAY", "XAUTHORITY", "DESKTOP_SESSION", "XDG_CURRENT_DESKTOP"] {
            c.env_remove(var);
        }
        c.envs(self.env());
        c
    }

    /// Starts a program (built with [`DesktopSession::command`]) in its own process group, its
    /// output in `<dir>/<name>.log`; it is ended with the session.
    pub fn spawn(&self, name: &str, command: Command) -> Result<()> {
        let daemon = self.launch(name, command, false)?;
        self.daemons().push(daemon);
        Ok(())
    }

    /// The process id of the program started as `name`.
    pub fn pid(&self, name: &str) -> Option<u32> {
        self.daemons().iter().find(|d| d.name == name).map(|d| d.child.id())
    }

    /// Whether all programs are still running; the first that ended, with its log, if not.
    pub fn check_alive(&self) -> Result<()> {
        for d in self.daemons().iter_mut() {
            if let Some(status) = d.child.try_wait()? {
                bail!("{} exited ({status}); its log:\n{}", d.name, self.log(&d.name));
            }
        }
        Ok(())
    }

    /// Waits until the program started as `name` ends, and returns how it ended.
    pub async fn wait_exit(&self, name: &str, timeout: Duration) -> Result<std::process::ExitStatus> {
        wait_for(timeout, || async {
            let mut daemons = self.daemons();
            let Some(d) = daemons.iter_mut().find(|d| d.name == name) else {
                return Some(Err(anyhow!("no program named {name} was started")));
            };
            match d.child.try_wait() {
                Ok(Some(status)) => Some(Ok(status)),
                Ok(None) => None,
                Err(e) => Some(Err(e.into())),
            }
        })
        .await
        .with_context(|| format!("{name} did not end; its log:\n{}", self.log(name)))?
    }

    /// Keeps the session's directory (logs, data) after the session ends; returns its path.
    pub fn keep(&mut self) -> PathBuf {
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
        self.path.clone()
    }

    /// The output of a program started here.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.path.join(format!("{name}.log"))).unwrap_or_default()
    }

    /// A new connection to the session bus.
    pub async fn bus(&self) -> Result<zbus::Connection> {
        let c = zbus::connection::Builder::address(self.dbus_address.as_str())?.build().await?;
        Ok(c)
    }

    /// Waits until `name` has an owner on the session bus.
    pub async fn wait_for_name(&self, name: &str, timeout: Duration) -> Result<()> {
        let bus = self.bus().await?;
        let dbus = zbus::fdo::DBusProxy::new(&bus).await?;
        let name = zbus::names::BusName::try_from(name.to_owned())?;
        wait_for(timeout, || async {
            if let Err(e) = self.check_alive() {
                return Some(Err(e));
            }
            match dbus.name_has_owner(name.clone()).await {
                Ok(true) => Some(Ok(())),
                Ok(false) => None,
                Err(e) => Some(Err(e.into())),
            }
        })
        .await?
    }

    /// Runs a program on this desktop and returns its standard output; fails on a non-zero exit.
    pub async fn run(&self, program: &str, args: &[&str]) -> Result<String> {
        let out = self.run_status(program, args).await?;
        ensure!(out.0 == Some(0), "{program} {args:?} failed ({:?}): {}", out.0, out.2);
        Ok(out.1)
    }

    /// Runs a program on this desktop: (exit code, stdout, stderr).
    async fn run_status(&self, program: &str, args: &[&str]) -> Result<(Option<i32>, String, String)> {
        let out = tokio::process::Command::from(self.command(program))
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .with_context(|| format!("run {program}"))?;
        Ok((out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned()))
    }

    /// `xdotool` with these arguments.
    pub async fn xdotool(&self, args: &[&str]) -> Result<String> {
        self.run("xdotool", args).await
    }

    /// Visible windows matching an `xdotool search` (e.g. `["--class", "xfce4-notifyd"]`).
    pub async fn search(&self, args: &[&str]) -> Result<Vec<u64>> {
        let mut all = vec!["search", "--onlyvisible"];
        all.extend_from_slice(args);
        let (code, out, err) = self.run_status("xdotool", &all).await?;
        // xdotool exits with 1 when nothing matches.
        ensure!(code == Some(0) || (code == Some(1) && out.trim().is_empty()), "xdotool {all:?} failed: {err}");
        out.lines().map(|l| l.trim().parse::<u64>().with_context(|| format!("window id {l:?}"))).collect()
    }

    /// Visible windows whose WM_CLASS matches `class`.
    pub async fn windows_by_class(&self, class: &str) -> Result<Vec<u64>> {
        self.search(&["--class", class]).await
    }

    /// Visible windows whose title matches `name`.
    pub async fn windows_by_name(&self, name: &str) -> Result<Vec<u64>> {
        self.search(&["--name", name]).await
    }

    /// Where a window is on the screen.
    pub async fn geometry(&self, window: u64) -> Result<Geometry> {
        let out = self.xdotool(&["getwindowgeometry", "--shell", &window.to_string()]).await?;
        let field = |k: &str| -> Result<i64> {
            out.lines()
                .find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                .ok_or_else(|| anyhow!("no {k} in {out:?}"))?
                .trim()
                .parse::<i64>()
                .with_context(|| format!("{k} in {out:?}"))
        };
        Ok(Geometry {
            x: i32::try_from(field("X")?)?,
            y: i32::try_from(field("Y")?)?,
            width: u32::try_from(field("WIDTH")?)?,
            height: u32::try_from(field("HEIGHT")?)?,
        })
    }

    /// The WM_CLASS of a window (instance and class), as `xprop` prints it.
    pub async fn wm_class(&self, window: u64) -> Result<String> {
        let out = self.run("xprop", &["-id", &window.to_string(), "WM_CLASS"]).await?;
        Ok(out.split_once('=').map(|(_, v)| v.trim().to_owned()).unwrap_or_default())
    }

    /// Moves the real pointer to (`x`, `y`) on the screen and clicks the left button there.
    pub async fn click(&self, x: i32, y: i32) -> Result<()> {
        self.xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]).await?;
        Ok(())
    }

    /// Moves the pointer to the bottom-left corner, off any toast (hovering changes how a toast
    /// is drawn).
    pub async fn park_pointer(&self) -> Result<()> {
        self.xdotool(&["mousemove", "0", &(self.screen.1 - 1).to_string()]).await?;
        Ok(())
    }

    /// Saves a picture of the whole screen (ImageMagick `import -window root`).
    pub async fn screenshot(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let target = path.to_str().ok_or_else(|| anyhow!("not UTF-8: {}", path.display()))?;
        self.run("import", &["-window", "root", target]).await?;
        Ok(())
    }

    /// The pixels of one window.
    pub async fn capture(&self, window: u64) -> Result<Capture> {
        let out = tokio::process::Command::from(self.command("import"))
            .args(["-window", &window.to_string(), "-depth", "8", "ppm:-"])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await?;
        ensure!(out.status.success(), "import -window {window}: {}", String::from_utf8_lossy(&out.stderr));
        Capture::from_ppm(&out.stdout)
    }

    /// Visible toasts of xfce4-notifyd.
    pub async fn notification_windows(&self) -> Result<Vec<u64>> {
        self.windows_by_class("xfce4-notifyd").await
    }

    /// The action buttons of an xfce4-notifyd toast, left to right, in screen coordinates.
    ///
    /// xfce4-notifyd lays a toast out as icon and text on top and one row of buttons along the
    /// bottom, right-aligned. In a picture of the window the buttons are the lowest band of rows
    /// holding wide runs of pixels that nearly all differ from the window's background: a
    /// button's face is grey, a line of text is mostly background between its glyphs, and the
    /// window's own border touches its edges. The pointer is parked first, so no button is drawn
    /// hovered. Empty when the window has not been drawn yet (or has no buttons): poll with
    /// [`wait_for`].
    pub async fn toast_buttons(&self, window: u64) -> Result<Vec<Geometry>> {
        self.park_pointer().await?;
        let at = self.geometry(window).await?;
        let capture = self.capture(window).await?;
        Ok(capture.buttons().into_iter().map(|b| Geometry { x: at.x + b.x, y: at.y + b.y, ..b }).collect())
    }

    /// A point on the body text of a toast: halfway down the part above its buttons.
    pub async fn toast_body_point(&self, window: u64) -> Result<(i32, i32)> {
        let at = self.geometry(window).await?;
        let buttons = self.toast_buttons(window).await?;
        let top_of_buttons = buttons.iter().map(|b| b.y).min().unwrap_or(at.bottom());
        Ok((at.x + at.width as i32 / 2, at.y + (top_of_buttons - at.y) / 2))
    }

    fn daemons(&self) -> std::sync::MutexGuard<'_, Vec<Daemon>> {
        self.daemons.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a program that prints one line when it is ready (its stdout), and returns the line.
    async fn spawn_reporting(&self, name: &str, mut command: Command) -> Result<String> {
        // Xvfb and dbus-daemon get the machine's environment minus any display or bus.
        command.env_remove("DISPLAY").env_remove("DBUS_SESSION_BUS_ADDRESS");
        let mut daemon = self.launch(name, command, true)?;
        let stdout = daemon.stdout.take().ok_or_else(|| anyhow!("{name}: no stdout"))?;
        self.daemons().push(daemon);
        let reading = tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let n = reader.read_line(&mut line)?;
            Ok::<_, std::io::Error>((n, line, reader.into_inner()))
        });
        let (n, line, stdout) = tokio::time::timeout(START_TIMEOUT, reading)
            .await
            .with_context(|| format!("{name} did not report within {START_TIMEOUT:?}; its log:\n{}", self.log(name)))???;
        if n == 0 {
            bail!("{name} ended without reporting; its log:\n{}", self.log(name));
        }
        if let Some(d) = self.daemons().iter_mut().find(|d| d.name == name) {
            d.stdout = Some(stdout);
        }
        Ok(line)
    }

    fn launch(&self, name: &str, mut command: Command, piped: bool) -> Result<Daemon> {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(self.path.join(format!("{name}.log")))?;
        command.process_group(0).current_dir(&self.path).stdin(Stdio::null()).stderr(log.try_clone()?).stdout(if piped {
            Stdio::piped()
        } else {
            Stdio::from(log)
        });
        let mut child = command.spawn().with_context(|| format!("start {name} ({command:?})"))?;
        let stdout = child.stdout.take();
        Ok(Daemon { name: name.to_owned(), child, stdout })
    }
}

impl Drop for DesktopSession {
    fn drop(&mut self) {
        let mut daemons = std::mem::take(&mut *self.daemons());
        while let Some(mut d) = daemons.pop() {
            end_group(&mut d.child);
        }
        if std::thread::panicking() && self.dir.is_some() {
            eprintln!("desktop session kept for inspection: {}", self.keep().display());
        }
    }
}

/// SIGTERM to the child's process group, SIGKILL after a grace period, and reaped.
fn end_group(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let group = format!("-{}", child.id());
    let signal = |sig: &str| {
        let _ = Command::new("kill").args(["-s", sig, "--", &group]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    };
    signal("TERM");
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            // The leader is gone; make sure nothing else of its group stays.
            signal("KILL");
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    signal("KILL");
    let _ = child.kill();
    let _ = child.wait();
}

fn set_private(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// A session bus that anyone of this user may use, with no service activation.
fn bus_config(socket: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        socket.display()
    )
}

impl Capture {
    /// Parses a binary PPM (P6, 8 or 16 bits a channel), as `import … ppm:-` writes it.
    pub fn from_ppm(data: &[u8]) -> Result<Capture> {
        let mut pos = 0;
        let mut token = || -> Result<String> {
            loop {
                while pos < data.len() && data[pos].is_ascii_whitespace() {
                    pos += 1;
                }
                if pos < data.len() && data[pos] == b'#' {
                    while pos < data.len() && data[pos] != b'\n' {
                        pos += 1;
                    }
                    continue;
                }
                break;
            }
            let start = pos;
            while pos < data.len() && !data[pos].is_ascii_whitespace() {
                pos += 1;
            }
            ensure!(start < pos, "PPM header ends early");
            Ok(String::from_utf8_lossy(&data[start..pos]).into_owned())
        };
        ensure!(token()? == "P6", "not a binary PPM");
        let width: u32 = token()?.parse()?;
        let height: u32 = token()?.parse()?;
        let max: u32 = token()?.parse()?;
        ensure!(max == 255 || max == 65535, "PPM with {max} levels");
        let start = pos + 1; // one whitespace after the header
        let bytes = if max == 255 { 1 } else { 2 };
        let len = width as usize * height as usize * 3 * bytes;
        ensure!(data.len() >= start + len, "PPM has {} bytes of pixels, not {len}", data.len().saturating_sub(start));
        // 16-bit samples are big-endian: their first byte is the 8-bit value.
        let rgb = data[start..start + len].iter().step_by(bytes).copied().collect();
        Ok(Capture { width, height, rgb })
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// The rectangle at (`x`, `y`) of `width` × `height` pixels.
    pub fn crop(&self, x: u32, y: u32, width: u32, height: u32) -> Capture {
        let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
        for row in y..y + height {
            let start = (row as usize * self.width as usize + x as usize) * 3;
            rgb.extend_from_slice(&self.rgb[start..start + width as usize * 3]);
        }
        Capture { width, height, rgb }
    }

    /// The most common colour.
    pub fn background(&self) -> [u8; 3] {
        let mut counts: std::collections::HashMap<[u8; 3], usize> = std::collections::HashMap::new();
        for p in self.rgb.chunks_exact(3) {
            *counts.entry([p[0], p[1], p[2]]).or_default() += 1;
        }
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(c, _)| c).unwrap_or([0, 0, 0])
    }

    /// Button-like boxes, left to right, in window coordinates (see
    /// [`DesktopSession::toast_buttons`]).
    pub fn buttons(&self) -> Vec<Geometry> {
        const MIN_WIDTH: u32 = 40;
        if self.width < MIN_WIDTH + 4 || self.height < 4 {
            return Vec::new();
        }
        let bg = self.background();
        let differs = |x: u32, y: u32| self.pixel(x, y).iter().zip(bg).any(|(a, b)| a.abs_diff(b) > 4);
        // Runs of a row that look like a button's face: wide, nearly all off the background (a
        // gap of up to 3 pixels is the light shadow of a label's glyphs), not touching the
        // window's edges (its border). A line of text is mostly background between glyphs.
        let runs = |y: u32| -> Vec<(u32, u32)> {
            let mut out = Vec::new();
            let mut x = 0;
            while x < self.width {
                if !differs(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                let (mut end, mut on) = (x, 0u32);
                while x < self.width && x <= end + 3 {
                    if differs(x, y) {
                        end = x;
                        on += 1;
                    }
                    x += 1;
                }
                let len = end + 1 - start;
                if len >= MIN_WIDTH && on * 10 >= len * 8 && start >= 2 && end + 3 <= self.width {
                    out.push((start, end + 1));
                }
                x = end + 1;
            }
            out
        };
        // The lowest band of rows with wide runs.
        let mut y = self.height;
        let bottom = loop {
            if y == 0 {
                return Vec::new();
            }
            y -= 1;
            if !runs(y).is_empty() {
                break y;
            }
        };
        let mut top = bottom;
        while top > 0 && !runs(top - 1).is_empty() {
            top -= 1;
        }
        // A row through a label breaks around its glyphs: a button is the union of its runs.
        let mut spans: Vec<(u32, u32)> = (top..=bottom).flat_map(runs).collect();
        spans.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::new();
        for (x0, x1) in spans {
            match merged.last_mut() {
                Some(last) if x0 < last.1 => last.1 = last.1.max(x1),
                _ => merged.push((x0, x1)),
            }
        }
        merged.into_iter().map(|(x0, x1)| Geometry { x: x0 as i32, y: top as i32, width: x1 - x0, height: bottom - top + 1 }).collect()
    }
}

/// Waits until `cond` holds, looking every [`POLL`]; fails after `timeout`.
pub async fn wait_until<F, Fut>(timeout: Duration, mut cond: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(timeout, || {
        let fut = cond();
        async move { fut.await.then_some(()) }
    })
    .await
}

/// Waits until `probe` gives something, looking every [`POLL`]; fails after `timeout`.
pub async fn wait_for<T, F, Fut>(timeout: Duration, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(t) = probe().await {
            return Ok(t);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("condition not met within {timeout:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `target/test-artifacts/<suite>`: screenshots and other things to look at after a run.
pub fn artifacts_dir(suite: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target"));
    target.join("test-artifacts").join(suite)
}
