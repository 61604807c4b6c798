//! Signing in from the app with an email and a password (the organisation issue, item 2),
//! against a real workspace: the address is checked first and every way it goes wrong has its
//! own words next to its field; only the token is kept (never the password); signing out
//! revokes the token at the workspace and forgets it here.

use super::*;
use herald_protocol::Role;

const PASSWORD: &str = "correct horse battery";

/// The app pointed at `url` with no token: it waits for a sign-in.
async fn signed_out_app(url: &str) -> (App, Arc<TestHost>, Secrets, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let settings = DesktopSettings { workspace_url: url.into(), ..Default::default() };
    herald_app::settings::save(&herald_app::settings::file_in(dir.path()), &settings).unwrap();
    let secrets = Secrets::File(dir.path().join("tokens.json"));
    let host = TestHost::new();
    let (toasts, actions) = Recorder::new(Capabilities { actions: true, ..Default::default() });
    let app = App::start(
        Options { data_dir: dir.path().to_path_buf(), icon: None, secrets: Some(secrets.clone()), demo_rate: None },
        host.clone(),
        Ok((Arc::new(toasts), actions)),
    )
    .await;
    host.wait("waiting for a sign-in", |s| s.connection.status == ConnectionStatus::NeedsToken).await;
    (app, host, secrets, dir)
}

fn sign_in(url: &str, email: &str, password: &str) -> Command {
    Command::SignIn { workspace_url: url.into(), email: email.into(), password: Password(password.into()) }
}

/// A server on loopback that answers every request with a web page: not a workspace.
async fn web_page_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let page = "<html><body>Welcome to our intranet</body></html>";
                let head =
                    format!("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", page.len());
                let _ = conn.write_all(format!("{head}{page}").as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn signing_in_keeps_only_the_token_and_each_mistake_has_its_own_words() {
    let ws = TestWorkspace::start().await;
    let agent = ws.admin.create_agent("Ada", Role::Agent).await.unwrap();
    let invite = ws.admin.invite(agent.id, "ada@example.com").await.unwrap();
    ws.anonymous().set_password(&invite.code, PASSWORD).await.unwrap();
    let (app, host, secrets, dir) = signed_out_app(&ws.url).await;

    // Nobody answers at the address.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let e = app.command(sign_in(&format!("http://{closed}"), "ada@example.com", PASSWORD)).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("workspace_url"), "{e:?}");
    assert!(e.message.contains("cannot reach"), "{e:?}");
    // Something answers, but it is not Herald.
    let page = web_page_server().await;
    let e = app.command(sign_in(&page, "ada@example.com", PASSWORD)).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("workspace_url"), "{e:?}");
    assert!(e.message.contains("not a Herald workspace"), "{e:?}");
    // The workspace, with the wrong password.
    let e = app.command(sign_in(&ws.url, "ada@example.com", "not her password")).await.unwrap_err();
    assert_eq!((e.field.as_deref(), e.message.as_str()), (Some("password"), "Wrong email or password."));
    assert_eq!(host.state.borrow().as_ref().unwrap().connection.status, ConnectionStatus::NeedsToken, "nothing changed");

    app.command(sign_in(&ws.url, " ada@example.com ", PASSWORD)).await.unwrap();
    let s = host.wait("signed in", |s| s.connection.status == ConnectionStatus::Live && s.me.is_some()).await;
    assert_eq!(s.me.unwrap().id, agent.id);
    assert_eq!((s.settings.account.as_str(), s.settings.workspace_url.as_str()), ("ada@example.com", ws.url.as_str()));
    let token = secrets.get(&ws.url).unwrap().expect("the token is kept");
    assert!(token.starts_with("hrld_"));
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(PASSWORD), "the password is stored nowhere");
    }
    let reread = herald_app::settings::load(&herald_app::settings::file_in(dir.path()));
    assert_eq!(reread.settings.account, "ada@example.com", "who signed in is remembered");

    app.command(Command::SignOut).await.unwrap();
    let s = host.wait("signed out", |s| s.connection.status == ConnectionStatus::NeedsToken).await;
    assert_eq!(s.settings.account, "");
    assert_eq!(s.settings.workspace_url, ws.url, "the address stays for the next sign-in");
    assert_eq!(secrets.get(&ws.url).unwrap(), None, "the token is forgotten here");
    let revoked = ws.client(&token).me().await.unwrap_err();
    assert_eq!(revoked.status(), Some(401), "and revoked at the workspace");
}
