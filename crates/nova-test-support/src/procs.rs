//! What the machine's processes are doing, read from `/proc` (Linux; elsewhere nothing is
//! found): for tests that prove what they started is gone.

use std::collections::HashMap;
use std::path::Path;

/// The ids of the processes whose `/proc/PID` folder `matches`.
fn processes(matches: impl Fn(&Path) -> Option<bool>) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            matches(&entry.path())?.then_some(pid)
        })
        .collect()
}

/// The processes whose command line contains `needle`, as `(pid, command line)`.
pub fn processes_mentioning(needle: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for pid in processes(|proc| {
        let cmdline = std::fs::read(proc.join("cmdline")).ok()?;
        Some(String::from_utf8_lossy(&cmdline).contains(needle))
    }) {
        if let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) {
            found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

/// The processes of process group `group`.
pub fn process_group(group: u32) -> Vec<u32> {
    processes(|proc| {
        let stat = std::fs::read_to_string(proc.join("stat")).ok()?;
        // After the command name in parentheses: state, parent, process group.
        let after = stat.rsplit_once(')')?.1;
        let pgrp: u32 = after.split_whitespace().nth(2)?.parse().ok()?;
        Some(pgrp == group)
    })
}

/// Whether process `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false)
}

/// The listening TCP sockets (IPv4 and IPv6) that any of `pids` holds, as `pid: local address`.
pub fn listening_sockets(pids: &[u32]) -> Vec<String> {
    // Socket inode → local address, for sockets in the LISTEN state (0A).
    let mut listening: HashMap<String, String> = HashMap::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() > 9 && fields[3] == "0A" {
                listening.insert(fields[9].to_owned(), fields[1].to_owned());
            }
        }
    }
    let mut found = Vec::new();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy().into_owned();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
                && let Some(address) = listening.get(inode)
            {
                found.push(format!("{pid}: {address}"));
            }
        }
    }
    found
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_found_alive_in_its_group_with_its_listener() {
        let me = std::process::id();
        assert!(alive(me));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sockets = listening_sockets(&[me]);
        assert!(
            sockets.iter().any(|s| s.ends_with(&format!(":{port:04X}"))),
            "{sockets:?}"
        );
        let own = std::fs::read_to_string("/proc/self/stat").unwrap();
        let group: u32 = own
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .nth(2)
            .unwrap()
            .parse()
            .unwrap();
        assert!(process_group(group).contains(&me));
        assert!(!alive(u32::MAX));
    }
}

/// Sends `signal` (`"INT"`, `"TERM"`, …) to process `pid` with `kill`, as a user's Ctrl-C or a
/// service manager would; panics when it cannot be sent.
pub fn signal(pid: u32, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{signal} {pid} failed");
}

/// Panics unless `dir` is empty and no process mentions it in its command line: what a test
/// checks after interrupting something that worked under `dir` (a `TMPDIR` of its own).
pub fn assert_nothing_left(dir: &Path) {
    let left = processes_mentioning(&dir.display().to_string());
    assert!(left.is_empty(), "processes left: {left:#?}");
    let files: Vec<_> = std::fs::read_dir(dir)
        .expect("the folder is readable")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(files.is_empty(), "left in {}: {files:?}", dir.display());
}
