//! PostgreSQL for the tests: a fresh database per test on the server `DISBURSE_TEST_POSTGRES_URL`
//! names (scripts/with-postgres starts a throwaway one), or else on a throwaway cluster this
//! module starts from the installed server binaries. Never skipped: without either, the test
//! fails and says how to get PostgreSQL.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::Connection;

/// The variable naming an existing server (any database on it; the tests create their own).
pub const URL_VAR: &str = "DISBURSE_TEST_POSTGRES_URL";

/// A throwaway PostgreSQL cluster in a temporary directory, on 127.0.0.1 and a free port,
/// stopped and deleted when dropped.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

fn server_bin() -> PathBuf {
    let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .filter(|bin| bin.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    bins.sort_by_key(|b| {
        b.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    bins.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL's server binaries are not installed (no /usr/lib/postgresql/*/bin/initdb) \
             and {URL_VAR} is not set: run the tests through scripts/test, which installs and \
             starts PostgreSQL, or point {URL_VAR} at a server"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A PostgreSQL program, as the `postgres` user when running as root (initdb refuses root).
fn pg_command(bin: &Path, program: &str) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(bin.join(program));
        command
    } else {
        Command::new(bin.join(program))
    }
}

fn run(mut command: Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl PgCluster {
    /// initdb's and starts a cluster; panics, saying why, when it cannot.
    pub fn start() -> PgCluster {
        let bin = server_bin();
        let dir = tempfile::Builder::new()
            .prefix("disburse-test-pg")
            .tempdir()
            .expect("temp dir");
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["-R", "postgres:"]).arg(dir.path());
                    c
                },
                "chown the cluster directory",
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut initdb = pg_command(&bin, "initdb");
        initdb.arg("-D").arg(dir.path().join("data")).args([
            "-U",
            "disburse",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(initdb, "initdb");
        let cluster = PgCluster { dir, bin, port };
        cluster.start_server();
        cluster
    }

    /// Starts the server (again, after [`PgCluster::stop`]).
    pub fn start_server(&self) {
        let mut start = pg_command(&self.bin, "pg_ctl");
        start
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .arg("-w")
            .arg("-o")
            .arg(format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=200",
                self.port,
                self.dir.path().display()
            ))
            .arg("start");
        run(start, "pg_ctl start");
    }

    /// Stops the server (fast shutdown: clients are disconnected).
    pub fn stop(&self) {
        let mut stop = pg_command(&self.bin, "pg_ctl");
        stop.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "fast", "-w", "stop"]);
        run(stop, "pg_ctl stop");
    }

    /// The URL of database `postgres` on it.
    pub fn url(&self) -> String {
        format!("postgres://disburse@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let mut stop = pg_command(&self.bin, "pg_ctl");
        stop.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"]);
        let _ = stop.output();
    }
}

/// A database of its own for one test; its server lives as long as this (when the test
/// started it).
pub struct TestDb {
    pub url: String,
    pub cluster: Option<PgCluster>,
}

/// Creates an empty database named after `name` and a random suffix on `server_url`'s server,
/// and returns its URL.
pub async fn create_database(server_url: &str, name: &str) -> String {
    let mut connection = sqlx::PgConnection::connect(server_url)
        .await
        .unwrap_or_else(|e| panic!("connect to PostgreSQL at {server_url}: {e}"));
    let database = format!(
        "t_{}_{:08x}",
        name.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect::<String>()
            .to_lowercase(),
        fastrand::u32(..)
    );
    sqlx::query(&format!("CREATE DATABASE {database}"))
        .execute(&mut connection)
        .await
        .expect("create the test database");
    let _ = connection.close().await;
    let mut url = url::Url::parse(server_url).expect("server URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// A fresh database for the test `name`: on `DISBURSE_TEST_POSTGRES_URL`'s server, else on a
/// cluster of its own.
pub async fn test_database(name: &str) -> TestDb {
    match std::env::var(URL_VAR) {
        Ok(server) if !server.is_empty() => TestDb {
            url: create_database(&server, name).await,
            cluster: None,
        },
        _ => {
            let cluster = tokio::task::spawn_blocking(PgCluster::start)
                .await
                .expect("start PostgreSQL");
            TestDb {
                url: create_database(&cluster.url(), name).await,
                cluster: Some(cluster),
            }
        }
    }
}
