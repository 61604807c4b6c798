//! nginx (Debian's `nginx-light`) in front of workspace instances, for tests: runs the repo's
//! own `packaging/workspace/nginx-herald.conf` with its addresses replaced, as one process
//! (`master_process off`, so nothing outlives a kill) in a temporary directory, on a free port.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

/// The shipped configuration (it goes inside nginx's `http` block).
pub const SITE: &str = include_str!("../../packaging/workspace/nginx-herald.conf");

/// A running nginx; killed when dropped.
#[derive(Debug)]
pub struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// nginx on a free loopback port, proxying to the instances on `upstreams` (ports on
    /// 127.0.0.1), with the shipped site configuration.
    pub async fn start(upstreams: &[u16]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut site = SITE.replace("listen 127.0.0.1:8780;", &format!("listen 127.0.0.1:{port};"));
        let servers: String = upstreams.iter().map(|p| format!("    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n")).collect();
        let start = site.find("    server 127.0.0.1:8781").expect("the shipped upstream block");
        let end = site.find("    keepalive").expect("the shipped upstream block");
        site.replace_range(start..end, &servers);
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{site}\n}}\n"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx (apt-get install nginx-light; scripts/test.sh does it)");
        let nginx = Self { child, port, _dir: dir };
        crate::within(async {
            while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await;
        nginx
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
