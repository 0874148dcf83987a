//! Host metadata as Packetbeat 7.17's `add_host_metadata` processor reports it, read once
//! at startup.
//!
//! Sources on Linux:
//! - hostname and kernel release: `/proc/sys/kernel`;
//! - architecture: `/proc/sys/kernel/arch`, or the build target when it is missing;
//! - OS: `/etc/lsb-release` followed by `/etc/os-release`;
//! - `host.id`: `/etc/machine-id`;
//! - `host.containerized`: `/proc/1/cgroup`;
//! - with `netinfo.enabled`, the addresses and MACs of every non-loopback interface
//!   (`/sys/class/net` and `getifaddrs`).

use std::collections::HashMap;
use std::fs;
use std::net::IpAddr;
use std::path::Path;

use crate::value::{Map, Value};

/// `host.os.*`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OsInfo {
    /// `host.os.platform`: os-release `ID` (`ubuntu`), or the first word of `NAME` lowercased.
    pub platform: String,
    /// `host.os.version`: os-release `VERSION` (`20.04.3 LTS (Focal Fossa)`).
    pub version: String,
    /// `host.os.family`: `debian`, `redhat` or `suse` for known platforms, else empty.
    pub family: String,
    /// `host.os.name`: os-release `NAME` (`Ubuntu`).
    pub name: String,
    /// `host.os.codename`: `VERSION_CODENAME`, or another `*CODENAME*` key.
    pub codename: Option<String>,
    /// `host.os.build`: `BUILD_ID`.
    pub build: Option<String>,
}

/// Everything `add_host_metadata` adds under `host`, except `host.name`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostInfo {
    /// `host.hostname`.
    pub hostname: String,
    /// `host.architecture` (`x86_64`).
    pub architecture: String,
    /// `host.os.*` besides the kernel.
    pub os: OsInfo,
    /// `host.os.kernel`: the kernel release (`5.4.0-91-generic`).
    pub kernel: String,
    /// `host.id`: the machine ID, when readable.
    pub id: Option<String>,
    /// `host.containerized`, when `/proc/1/cgroup` is readable.
    pub containerized: Option<bool>,
    /// `host.ip`: addresses of non-loopback interfaces (only with netinfo).
    pub ip: Vec<String>,
    /// `host.mac`: MAC addresses of non-loopback interfaces, duplicates removed (only with
    /// netinfo).
    pub mac: Vec<String>,
}

/// Platforms of each `host.os.family` (go-sysinfo 1.7).
const FAMILIES: &[(&str, &[&str])] = &[
    (
        "redhat",
        &[
            "redhat",
            "fedora",
            "centos",
            "scientific",
            "oraclelinux",
            "amzn",
            "rhel",
        ],
    ),
    ("debian", &["debian", "ubuntu", "raspbian"]),
    ("suse", &["suse", "sles", "opensuse"]),
];

/// `IFF_LOOPBACK` in `/sys/class/net/<name>/flags`.
const IFF_LOOPBACK: u32 = 0x8;

impl HostInfo {
    /// Reads the host metadata from the running system; with `netinfo` false, `ip` and `mac`
    /// stay empty. Unreadable sources leave their fields empty.
    pub fn collect(netinfo: bool) -> HostInfo {
        let os_release = [
            read_trimmed("/etc/lsb-release"),
            read_trimmed("/etc/os-release"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n");
        let (ip, mac) = if netinfo {
            interface_addresses()
        } else {
            (Vec::new(), Vec::new())
        };
        HostInfo {
            hostname: os_hostname(),
            architecture: read_trimmed("/proc/sys/kernel/arch")
                .unwrap_or_else(|| std::env::consts::ARCH.to_owned()),
            os: parse_os_release(&os_release),
            kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_default(),
            id: read_trimmed("/etc/machine-id")
                .or_else(|| read_trimmed("/var/lib/dbus/machine-id"))
                .filter(|id| !id.is_empty()),
            containerized: fs::read_to_string("/proc/1/cgroup")
                .ok()
                .map(|text| is_containerized(&text)),
            ip,
            mac,
        }
    }

    /// Builds the `host` object in Packetbeat's key order. `name` is `host.name` (the `name`
    /// option or the hostname); `None` leaves it out.
    pub fn to_map(&self, name: Option<&str>) -> Map {
        let mut os = Map::new();
        os.insert("type", Value::str("linux"));
        os.insert("platform", Value::str(&self.os.platform));
        os.insert("version", Value::str(&self.os.version));
        os.insert("family", Value::str(&self.os.family));
        os.insert("name", Value::str(&self.os.name));
        os.insert("kernel", Value::str(&self.kernel));
        if let Some(codename) = &self.os.codename {
            os.insert("codename", Value::str(codename));
        }
        if let Some(build) = &self.os.build {
            os.insert("build", Value::str(build));
        }

        let mut host = Map::new();
        host.insert("hostname", Value::str(&self.hostname));
        host.insert("architecture", Value::str(&self.architecture));
        host.insert("os", Value::Object(os));
        if let Some(id) = &self.id {
            host.insert("id", Value::str(id));
        }
        if let Some(name) = name {
            host.insert("name", Value::str(name));
        }
        if let Some(containerized) = self.containerized {
            host.insert("containerized", Value::Bool(containerized));
        }
        if !self.ip.is_empty() {
            host.insert("ip", Value::str_array(&self.ip));
        }
        if !self.mac.is_empty() {
            host.insert("mac", Value::str_array(&self.mac));
        }
        host
    }
}

/// Returns the OS hostname (`/proc/sys/kernel/hostname`, which Go's `os.Hostname` reads), or
/// an empty string.
pub fn os_hostname() -> String {
    read_trimmed("/proc/sys/kernel/hostname").unwrap_or_default()
}

/// Returns the non-loopback interface addresses, for `network.direction`'s host rule.
pub fn local_ips() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces
            .iter()
            .filter(|interface| !interface.is_loopback())
            .map(|interface| interface.ip())
            .collect(),
        Err(error) => {
            tracing::warn!(%error, "cannot list interface addresses; host-based direction will only use loopback and link-local rules");
            Vec::new()
        }
    }
}

fn read_trimmed(path: impl AsRef<Path>) -> Option<String> {
    fs::read_to_string(path)
        .ok()
        .map(|text| text.trim().to_owned())
}

/// Parses `KEY=value` lines of os-release and lsb-release text (later keys win).
pub fn parse_os_release(text: &str) -> OsInfo {
    let mut keys: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().to_owned();
        let value = unquote(value.trim());
        keys.retain(|(existing, _)| *existing != key);
        keys.push((key, value));
    }
    let get = |name: &str| {
        keys.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };

    let name = get("NAME").unwrap_or_default();
    let platform = get("ID")
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| name.split(' ').next().unwrap_or_default().to_lowercase());
    let codename = get("VERSION_CODENAME")
        .filter(|value| !value.is_empty())
        .or_else(|| {
            keys.iter()
                .find(|(key, value)| key.contains("CODENAME") && !value.is_empty())
                .map(|(_, value)| value.clone())
        });
    let family = FAMILIES
        .iter()
        .find(|(_, platforms)| platforms.contains(&platform.to_lowercase().as_str()))
        .map(|(family, _)| (*family).to_owned())
        .unwrap_or_default();
    OsInfo {
        version: get("VERSION").unwrap_or_default(),
        build: get("BUILD_ID").filter(|value| !value.is_empty()),
        platform,
        family,
        name,
        codename,
    }
}

/// Removes one level of double or single quotes and the backslash escapes inside double
/// quotes; an unbalanced value is kept as written.
fn unquote(value: &str) -> String {
    let quoted = value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"'))
            || (value.starts_with('\'') && value.ends_with('\'')));
    if !quoted {
        return value.to_owned();
    }
    let inner = &value[1..value.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(character) = chars.next() {
        if character == '\\' && value.starts_with('"') {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(character);
        }
    }
    out.trim().to_owned()
}

/// Applies go-sysinfo's rule: PID 1 runs on the host when one of its cgroup lines ends in
/// `init.scope`. Lines ending in `/` (the root cgroup) are ignored.
pub fn is_containerized(cgroup: &str) -> bool {
    !cgroup
        .lines()
        .filter(|line| !line.is_empty() && !line.ends_with('/'))
        .any(|line| line.ends_with("init.scope"))
}

/// Lists the addresses and MACs of non-loopback interfaces in interface index order.
fn interface_addresses() -> (Vec<String>, Vec<String>) {
    let mut links = read_links();
    links.sort_by_key(|link| link.index);

    let mut addresses: HashMap<String, Vec<IpAddr>> = HashMap::new();
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => {
            for interface in interfaces {
                addresses
                    .entry(interface.name.clone())
                    .or_default()
                    .push(interface.ip());
            }
        }
        Err(error) => tracing::warn!(%error, "cannot list interface addresses for host.ip"),
    }

    let mut ips = Vec::new();
    let mut macs: Vec<String> = Vec::new();
    for link in links.iter().filter(|link| !link.loopback) {
        if let Some(mac) = &link.mac {
            if !macs.contains(mac) {
                macs.push(mac.clone());
            }
        }
        for address in addresses.get(&link.name).into_iter().flatten() {
            ips.push(address.to_string());
        }
    }
    (ips, macs)
}

struct Link {
    name: String,
    index: u32,
    loopback: bool,
    mac: Option<String>,
}

fn read_links() -> Vec<Link> {
    let Ok(entries) = fs::read_dir("/sys/class/net") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let dir = entry.path();
            let index = read_trimmed(dir.join("ifindex"))?.parse().ok()?;
            let flags = read_trimmed(dir.join("flags"))
                .and_then(|flags| u32::from_str_radix(flags.trim_start_matches("0x"), 16).ok())
                .unwrap_or(0);
            let mac = read_trimmed(dir.join("address")).filter(|mac| !mac.is_empty());
            Some(Link {
                loopback: flags & IFF_LOOPBACK != 0 || name == "lo",
                name,
                index,
                mac,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UBUNTU: &str = r#"NAME="Ubuntu"
VERSION="20.04.3 LTS (Focal Fossa)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 20.04.3 LTS"
VERSION_ID="20.04"
VERSION_CODENAME=focal
UBUNTU_CODENAME=focal
"#;

    #[test]
    fn os_release_ubuntu() {
        let os = parse_os_release(UBUNTU);
        assert_eq!(os.platform, "ubuntu");
        assert_eq!(os.name, "Ubuntu");
        assert_eq!(os.version, "20.04.3 LTS (Focal Fossa)");
        assert_eq!(os.family, "debian");
        assert_eq!(os.codename.as_deref(), Some("focal"));
        assert_eq!(os.build, None);
    }

    #[test]
    fn os_release_fallbacks() {
        let os = parse_os_release("NAME='Alpine Linux'\nDISTRIB_CODENAME=edge\n# c\nBUILD_ID=7\n");
        assert_eq!(os.platform, "alpine");
        assert_eq!(os.family, "");
        assert_eq!(os.codename.as_deref(), Some("edge"));
        assert_eq!(os.build.as_deref(), Some("7"));
        let rhel = parse_os_release("ID=\"rhel\"\nNAME=\"Red Hat \\\"EL\\\"\"\n");
        assert_eq!(rhel.family, "redhat");
        assert_eq!(rhel.name, "Red Hat \"EL\"");
    }

    #[test]
    fn cgroup_container_rule() {
        assert!(!is_containerized(
            "12:pids:/init.scope\n1:name=systemd:/init.scope\n"
        ));
        assert!(!is_containerized("0::/init.scope\n"));
        assert!(is_containerized("0::/\n"));
        assert!(is_containerized("12:pids:/docker/abc\n"));
        assert!(is_containerized(""));
    }

    #[test]
    fn host_map_key_order() {
        let info = HostInfo {
            hostname: "h".into(),
            architecture: "x86_64".into(),
            os: parse_os_release(UBUNTU),
            kernel: "5.4.0".into(),
            id: Some("abc".into()),
            containerized: Some(false),
            ip: vec!["192.0.2.1".into()],
            mac: vec!["ce:54:41:01:cf:bb".into()],
        };
        let mut out = Vec::new();
        info.to_map(Some("n")).write_json(&mut out);
        let expected = r#"{"hostname":"h","architecture":"x86_64","os":{"type":"linux","platform":"ubuntu","version":"20.04.3 LTS (Focal Fossa)","family":"debian","name":"Ubuntu","kernel":"5.4.0","codename":"focal"},"id":"abc","name":"n","containerized":false,"ip":["192.0.2.1"],"mac":["ce:54:41:01:cf:bb"]}"#;
        assert_eq!(String::from_utf8(out).expect("UTF-8"), expected);
    }

    #[test]
    fn collect_reads_this_host() {
        let info = HostInfo::collect(true);
        assert!(!info.architecture.is_empty());
        assert!(!info.kernel.is_empty());
        assert!(info.ip.iter().all(|ip| ip != "127.0.0.1" && ip != "::1"));
    }

    /// Every IPv6 address the kernel lists on a non-loopback interface, link-local ones
    /// included, is in `host.ip`, as Packetbeat's host metadata has them.
    #[test]
    fn host_ip_lists_link_local_addresses() {
        let Ok(table) = fs::read_to_string("/proc/net/if_inet6") else {
            return;
        };
        let info = HostInfo::collect(true);
        for line in table.lines() {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let (Some(hex), Some(name)) = (columns.first(), columns.last()) else {
                continue;
            };
            let Ok(bits) = u128::from_str_radix(hex, 16) else {
                continue;
            };
            if *name == "lo" {
                continue;
            }
            let address = std::net::Ipv6Addr::from(bits).to_string();
            assert!(
                info.ip.contains(&address),
                "{address} on {name}: {:?}",
                info.ip
            );
        }
    }
}
