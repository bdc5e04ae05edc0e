//! The Bedrock mock (`tests/bedrock/mock_bedrock.py`, run by the test
//! peers' Python with botocore) as a process for tests, and a config and
//! environment that point ccswitch at it and at nothing of the developer's
//! own AWS setup.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub const HAIKU: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

pub struct BedrockMock {
    child: Child,
    pub url: String,
}

impl Drop for BedrockMock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> PathBuf {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-peers/venv/bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import botocore"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "botocore is not installed in {}. Run scripts/test (it installs the pinned botocore).",
        py.display()
    );
    py
}

impl BedrockMock {
    /// A mock for `region` taking these `mock_bedrock.py` options.
    pub fn start(region: &str, args: &[&str]) -> BedrockMock {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bedrock/mock_bedrock.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--region", region])
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
        BedrockMock {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Queue replies (`{"kind": "text"|"tool"|"error"|"exception", ...}`).
    pub async fn script(&self, replies: Value) {
        let r = reqwest::Client::new()
            .post(format!("{}/_mock/script", self.url))
            .json(&replies)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// What came in: path, who signed (`auth`), what was refused, body.
    pub async fn requests(&self) -> Vec<Value> {
        reqwest::get(format!("{}/_mock/requests", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// A Bedrock provider `name` in `region` reached at `mock`, and more lines.
pub fn provider(name: &str, region: &str, mock: &BedrockMock, more: &str) -> String {
    format!(
        "[providers.{name}]\npreset = \"bedrock\"\nregion = \"{region}\"\nbase_url = \"{}\"\n{more}\n",
        mock.url
    )
}

/// `ccswitch ARGS` for `home` with no AWS files, variables or instance
/// metadata of the machine's, plus `env`.
pub fn aws_cmd(home: &super::Home, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = home.cmd(args);
    isolate(&mut cmd, home);
    cmd.envs(env.iter().copied());
    cmd
}

/// Keep the machine's own AWS setup out of `cmd`.
pub fn isolate(cmd: &mut Command, home: &super::Home) {
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_ROLE_ARN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_SSO",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    ] {
        cmd.env_remove(name);
    }
    cmd.env("AWS_CONFIG_FILE", home.path().join("aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// `ccswitch serve PROFILE` with [`aws_cmd`]'s environment.
pub fn serve(home: &super::Home, profile: &str, env: &[(&str, &str)]) -> super::serve::Serve {
    let mut cmd = aws_cmd(home, &["serve", profile], env);
    cmd.stderr(Stdio::null());
    super::serve::Serve::spawn(cmd)
}

/// Env credentials the mock knows (`--creds AKIDENV:env-secret`).
pub const ENV_CREDS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDENV"),
    ("AWS_SECRET_ACCESS_KEY", "env-secret"),
];
