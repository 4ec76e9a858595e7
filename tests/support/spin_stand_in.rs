//! A `scripts/dev` run as far as Spin. Spin cannot be installed in the test environment, so a
//! stand-in `spin` on `PATH` takes its place: it answers `--version` as Spin 4.0.2 does and
//! records what `spin build --up` was asked, staying up until told to stop (or until the test's
//! process is gone). Everything before that is the script's own: its checks, its store.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

const STAND_IN: &str = r#"#!/usr/bin/env bash
case "$1" in
  --version) echo "spin 4.0.2 (stand-in)" ;;
  build)
    printf '%s\n' "$@" > "$STUB_DIR/args.new" && mv "$STUB_DIR/args.new" "$STUB_DIR/args"
    until [ -e "$STUB_DIR/stop" ] || ! kill -0 "$TEST_PID" 2>/dev/null; do sleep 0.1; done ;;
  *) exit 2 ;;
esac
"#;

/// The port of the local store: `s3_host`'s default in spin.toml, the root's and the
/// template's alike.
pub const DEV_PORT: u16 = 8014;

/// What `scripts/dev` asks of Spin 3.5 and later (which the stand-in says it is): the app built
/// and served with the dev runtime config, connection pooling off for the local store.
pub const SPIN_UP_WITH_DEV_CONFIG: [&str; 4] = [
    "build",
    "--up",
    "--runtime-config-file",
    "runtime-config.dev.toml",
];

/// A running `scripts/dev`. Dropping it (a failed assertion included) stops the stand-in,
/// which ends the script and its store.
pub struct DevScript {
    script: Child,
    dir: PathBuf,
}

impl DevScript {
    /// Runs `script` with the stand-in first on `PATH` and the store's data in a scratch
    /// directory, named to the script by the variable `data_var`.
    pub fn start(script: &Path, data_var: &str) -> Self {
        let dir = super::scratch_dir("spin-stand-in");
        let spin = dir.join("spin");
        std::fs::write(&spin, STAND_IN).unwrap();
        let mut mode = std::fs::metadata(&spin).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o755);
        std::fs::set_permissions(&spin, mode).unwrap();
        let log = std::fs::File::create(dir.join("log")).unwrap();
        let script = Command::new("bash")
            .arg(script)
            .env(
                "PATH",
                format!("{}:{}", dir.display(), std::env::var("PATH").unwrap()),
            )
            .env("STUB_DIR", &dir)
            .env("TEST_PID", std::process::id().to_string())
            .env(data_var, dir.join("data"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("run scripts/dev");
        Self { script, dir }
    }

    /// Where the script's store keeps its buckets.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Waits until the script hands over to `spin build --up`, and returns its arguments.
    pub fn spin_args(&mut self) -> Vec<String> {
        let args = self.dir.join("args");
        let deadline = Instant::now() + Duration::from_secs(120);
        while !args.exists() {
            let log = || std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
            if let Ok(Some(status)) = self.script.try_wait() {
                panic!(
                    "scripts/dev exited ({status}) before starting spin: {}",
                    log()
                );
            }
            assert!(Instant::now() < deadline, "no spin build --up: {}", log());
            std::thread::sleep(Duration::from_millis(100));
        }
        let text = std::fs::read_to_string(args).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    /// Ends Spin, then waits for the script and until nothing listens on `port` any more.
    pub fn stop(&mut self, port: u16) -> ExitStatus {
        std::fs::write(self.dir.join("stop"), "").unwrap();
        let status = self.script.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            assert!(
                Instant::now() < deadline,
                "the store still listens on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        status
    }
}

impl Drop for DevScript {
    fn drop(&mut self) {
        let _ = std::fs::write(self.dir.join("stop"), "");
        let _ = self.script.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
