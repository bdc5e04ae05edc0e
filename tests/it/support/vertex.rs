//! The Vertex mock (`tests/vertex/mock_vertex.py`, run by the test peers'
//! Python; it needs nothing beyond the standard library) as a process for
//! tests, the test service account's key files, and a config and
//! environment that point ccswitch at them and at nothing of the
//! developer's own Google setup.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

pub const HAIKU: &str = "claude-haiku-4-5@20251001";
pub const PROJECT: &str = "ccswitch-test";
pub const SA_EMAIL: &str = "vertex-test@ccswitch-test.iam.gserviceaccount.com";

pub struct VertexMock {
    child: Child,
    pub url: String,
}

impl Drop for VertexMock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vertex")
}

impl VertexMock {
    /// A mock for `region` of [`PROJECT`] taking these `mock_vertex.py`
    /// options.
    pub fn start(region: &str, args: &[&str]) -> VertexMock {
        let py = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-peers/venv/bin/python");
        let mut child = Command::new(py)
            .arg(dir().join("mock_vertex.py"))
            .args(["--project", PROJECT, "--region", region])
            .args(["--sa-email", SA_EMAIL])
            .arg("--sa-pubkey")
            .arg(dir().join("test-sa-key.pub.pem"))
            .args(args)
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().strip_prefix("PORT ").expect("the mock's port");
        VertexMock {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// `127.0.0.1:port`, as GCE_METADATA_HOST takes it.
    pub fn host(&self) -> &str {
        self.url.strip_prefix("http://").unwrap()
    }

    /// Queue replies (`{"kind": "text"|"tool"|"error", ...}`).
    pub async fn script(&self, replies: Value) {
        let r = reqwest::Client::new()
            .post(format!("{}/_mock/script", self.url))
            .json(&replies)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// What came in: path, the token's owner (`auth`), what was refused,
    /// body; token-endpoint and metadata calls too.
    pub async fn requests(&self) -> Vec<Value> {
        reqwest::get(format!("{}/_mock/requests", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The predict calls only (not token fetches).
    pub async fn predicts(&self) -> Vec<Value> {
        let all = self.requests().await;
        all.into_iter()
            .filter(|r| r.get("verb").is_some())
            .collect()
    }
}

/// A Vertex provider `name` in `region` of [`PROJECT`] reached at `mock`.
pub fn provider(name: &str, region: &str, mock: &VertexMock, more: &str) -> String {
    format!(
        "[providers.{name}]\npreset = \"vertex\"\nregion = \"{region}\"\nproject = \"{PROJECT}\"\nbase_url = \"{}\"\n{more}\n",
        mock.url
    )
}

/// The test service account's key file (its `token_uri` at `mock`, though
/// google-cloud-auth signs its own JWT and never exchanges it), written
/// into `home`; its path.
pub fn service_account_file(home: &super::Home, mock: &VertexMock) -> PathBuf {
    let key = std::fs::read_to_string(dir().join("test-sa-key.pem")).unwrap();
    write_json(
        home,
        "sa.json",
        &json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "mock-key-1",
            "private_key": key,
            "client_email": SA_EMAIL,
            "client_id": "1",
            "token_uri": format!("{}/token", mock.url),
        }),
    )
}

pub fn write_json(home: &super::Home, name: &str, v: &Value) -> PathBuf {
    let p = home.path().join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

/// `ccswitch ARGS` for `home` with none of the machine's Google setup
/// (its ADC file, variables, metadata server), plus `env`.
pub fn google_cmd(home: &super::Home, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = home.cmd(args);
    isolate(&mut cmd, home);
    cmd.envs(env.iter().copied());
    cmd
}

/// Keep the machine's own Google setup out of `cmd`: HOME is `home` (no
/// gcloud login there) and the metadata server a closed port.
pub fn isolate(cmd: &mut Command, home: &super::Home) {
    for name in [
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_CLOUD_QUOTA_PROJECT",
        "ANTHROPIC_VERTEX_PROJECT_ID",
        "CLOUDSDK_CONFIG",
    ] {
        cmd.env_remove(name);
    }
    cmd.env("HOME", home.path())
        .env("GCE_METADATA_HOST", "127.0.0.1:9");
}

/// `ccswitch serve PROFILE` with [`google_cmd`]'s environment.
pub fn serve(home: &super::Home, profile: &str, env: &[(&str, &str)]) -> super::serve::Serve {
    let mut cmd = google_cmd(home, &["serve", profile], env);
    cmd.stderr(Stdio::null());
    super::serve::Serve::spawn(cmd)
}
