//! A real unbound resolver on a loopback address, serving a small static zone.
//!
//! Every name outside the zone gets NXDOMAIN from the static root zone, so unbound never sends a
//! query beyond the loopback address it listens on.

use std::net::IpAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Records the test zone serves, in unbound `local-data` syntax.
const ZONE: &[&str] = &[
    "www.example.test. 300 IN A 192.0.2.10",
    "www.example.test. 300 IN AAAA 2001:db8::10",
    "alias.example.test. 300 IN CNAME www.example.test.",
    "example.test. 300 IN MX 10 mail.example.test.",
    "mail.example.test. 300 IN A 192.0.2.25",
    "example.test. 300 IN TXT \\\"v=spf1 -all\\\"",
    "_sip._udp.example.test. 300 IN SRV 10 20 5060 sip.example.test.",
];

/// A running unbound process; dropping it stops the process.
pub struct Unbound {
    child: Child,
    _directory: tempfile::TempDir,
    /// The loopback address unbound listens on, port 53.
    pub address: IpAddr,
}

impl Unbound {
    /// Starts unbound on `address` port 53 and waits until it answers.
    pub fn start(address: IpAddr) -> Unbound {
        let directory = tempfile::tempdir().expect("temporary directory for unbound");
        let config = directory.path().join("unbound.conf");
        std::fs::write(&config, render_config(address, directory.path())).expect("write config");
        let child = Command::new("unbound")
            .arg("-d")
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("unbound is installed (Debian package unbound)");
        let server = Unbound {
            child,
            _directory: directory,
            address,
        };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let output = dig(
                self.address,
                "www.example.test",
                "A",
                &["+tries=1", "+time=1"],
            );
            if output.status.success()
                && String::from_utf8_lossy(&output.stdout).contains("192.0.2.10")
            {
                return;
            }
            sleep(Duration::from_millis(100));
        }
        panic!("unbound on {} did not answer within 20 s", self.address);
    }
}

impl Drop for Unbound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn render_config(address: IpAddr, directory: &Path) -> String {
    let mut config = format!(
        "server:\n  interface: {address}\n  port: 53\n  do-daemonize: no\n  username: \"\"\n  \
         chroot: \"\"\n  directory: \"{dir}\"\n  pidfile: \"{dir}/unbound.pid\"\n  use-syslog: no\n  \
         logfile: \"\"\n  verbosity: 0\n  num-threads: 1\n  do-ip6: {ip6}\n  do-ip4: {ip4}\n  \
         access-control: 127.0.0.0/8 allow\n  access-control: ::1 allow\n  \
         module-config: \"iterator\"\n  local-zone: \".\" static\n",
        dir = directory.display(),
        ip6 = if address.is_ipv6() { "yes" } else { "no" },
        ip4 = if address.is_ipv4() { "yes" } else { "no" },
    );
    for record in ZONE {
        config.push_str(&format!("  local-data: \"{record}\"\n"));
    }
    config.push_str("remote-control:\n  control-enable: no\n");
    config
}

/// Runs `dig @server name type` with extra options and returns its output.
pub fn dig(server: IpAddr, name: &str, record_type: &str, options: &[&str]) -> Output {
    Command::new("dig")
        .arg(format!("@{server}"))
        .arg(name)
        .arg(record_type)
        .args(options)
        .output()
        .expect("dig is installed (Debian package bind9-dnsutils)")
}
