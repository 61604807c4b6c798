//! The client speaks HTTPS: a remote workspace is normally behind TLS. A real TLS server
//! (`openssl s_server` with a self-signed certificate for 127.0.0.1) answers; the client must
//! negotiate TLS and refuse the certificate it cannot trust — proof that it spoke TLS and verifies.

use std::process::Stdio;
use std::time::Duration;

#[tokio::test]
async fn the_client_speaks_https_and_refuses_an_untrusted_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
    let made = tokio::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .expect("openssl is installed");
    assert!(made.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = tokio::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-key")
        .arg(&key)
        .arg("-cert")
        .arg(&cert)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Wait until it accepts connections.
    herald_e2e::within(async {
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            tokio::time::timeout(Duration::from_millis(50), server.wait()).await.ok();
        }
    })
    .await;
    let client = herald_client::Client::new(&format!("https://127.0.0.1:{port}"), Some("token")).unwrap();
    let err = client.health().await.unwrap_err();
    let mut chain = format!("{err}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push_str(&format!(" / {s}"));
        source = s.source();
    }
    assert!(matches!(err, herald_client::ClientError::Transport(_)), "{chain}");
    assert!(chain.to_lowercase().contains("certificate"), "TLS was negotiated and the certificate refused: {chain}");
    eprintln!("refused as expected: {chain}");
    let _ = server.kill().await;
}
