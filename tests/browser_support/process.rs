//! Child processes the browser suite starts (chromedriver with its Chromium, the `tmtm demo`
//! network): each runs in its own process group, and [`Guard`] stops that group on drop —
//! a polite signal first (SIGINT/SIGTERM), SIGKILL after a grace period. Also picks free
//! loopback ports.

use std::net::TcpListener;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// How long a stopped group gets to exit after the polite signal.
const GRACE: Duration = Duration::from_secs(20);

/// A started child in its own process group; stopped (with the whole group) on drop.
pub struct Guard {
    name: &'static str,
    child: Option<Child>,
    polite_signal: &'static str,
}

impl Guard {
    /// Spawns `command` as the leader of a new process group.
    pub fn spawn(
        name: &'static str,
        mut command: Command,
        polite_signal: &'static str,
    ) -> Result<Guard> {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        Ok(Guard {
            name,
            child: Some(child),
            polite_signal,
        })
    }

    /// Fails if the process has already exited (it should be running).
    pub fn check_running(&mut self) -> Result<()> {
        let Some(child) = self.child.as_mut() else {
            bail!("{} was already stopped", self.name);
        };
        if let Some(status) = child.try_wait().context("try_wait")? {
            bail!("{} exited early with {status}", self.name);
        }
        Ok(())
    }

    /// Sends the polite signal to the group, waits up to [`GRACE`], then SIGKILLs the group.
    /// Returns whether the leader exited on the polite signal alone.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let group = format!("-{}", child.id());
        signal_group(self.polite_signal, &group);
        let deadline = Instant::now() + GRACE;
        let mut polite = false;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                polite = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Whatever is left in the group (a browser, a renderer) goes too.
        signal_group("KILL", &group);
        let _ = child.kill();
        let _ = child.wait();
        polite
    }
}

fn signal_group(signal: &str, group: &str) {
    let _ = Command::new("kill")
        .args([format!("-{signal}").as_str(), "--", group])
        .stderr(std::process::Stdio::null())
        .status();
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A free loopback port (bound and released; the caller binds it soon after).
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
    Ok(listener.local_addr().context("local_addr")?.port())
}

/// A base port with `count` free consecutive ports from it.
pub fn free_port_range(count: u16) -> Result<u16> {
    for _ in 0..50 {
        let base = free_port()?;
        if base > 65_000 {
            continue;
        }
        if (0..count).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return Ok(base);
        }
    }
    bail!("no range of {count} free ports found")
}
