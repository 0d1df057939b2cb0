//! Who listens on a loopback port, read from `/proc` (Linux): for the failure message of a
//! request that found its server's port closed or held by another process.

use std::fs;

/// `listened on by process N (command)`, `listened on by a socket no process here holds`, or
/// `not listened on`; what could not be read is said as such.
pub fn owner(port: u16) -> String {
    let Some(inode) = listening_inode(port) else {
        return "not listened on (/proc/net/tcp)".to_owned();
    };
    match holder(&inode) {
        Some((pid, command)) => format!("listened on by process {pid} ({command})"),
        None => format!("listened on by socket {inode}, which no visible process holds"),
    }
}

/// The inode of the socket listening on 127.0.0.1:`port` or 0.0.0.0:`port`.
fn listening_inode(port: u16) -> Option<String> {
    const LISTEN: &str = "0A";
    let table = fs::read_to_string("/proc/net/tcp").ok()?;
    let wanted = [
        format!("0100007F:{port:04X}"),
        format!("00000000:{port:04X}"),
    ];
    table.lines().skip(1).find_map(|line| {
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (local, state, inode) = (fields.get(1)?, fields.get(3)?, fields.get(9)?);
        (wanted.iter().any(|w| w == local) && *state == LISTEN).then(|| inode.to_string())
    })
}

/// The process holding socket `inode`, and its command line.
fn holder(inode: &str) -> Option<(u32, String)> {
    let link = format!("socket:[{inode}]");
    fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let holds = fs::read_dir(entry.path().join("fd"))
            .ok()?
            .flatten()
            .any(|fd| {
                fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == link.as_str())
            });
        holds.then(|| {
            let command = fs::read_to_string(entry.path().join("cmdline"))
                .unwrap_or_default()
                .replace('\0', " ");
            (pid, command.trim_end().to_owned())
        })
    })
}
