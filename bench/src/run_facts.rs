//! What the oracle and network benchmarks share: their `--flag value` command lines, and the
//! facts a report states about its run (the commit, the CPU, the load average).

use std::process::Command;

/// The command line's `--flag value` pairs (every option of these benches takes a value);
/// `usage` is the error for `-h`/`--help` and is appended to every other error.
pub fn flag_pairs(usage: &str) -> Result<Vec<(String, String)>, String> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|f| f == "-h" || f == "--help") {
        return Err(usage.into());
    }
    argv.chunks(2)
        .map(|pair| match pair.get(1) {
            Some(v) if !v.starts_with("--") => Ok((pair[0].clone(), v.clone())),
            _ => Err(format!("{} needs a value; {usage}", pair[0])),
        })
        .collect()
}

/// `v`, the value of `flag`, as a positive whole number.
pub fn count(flag: &str, v: &str) -> Result<usize, String> {
    v.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{flag}: '{v}' is not a positive whole number"))
}

/// The commit the binary runs in (`git` in the current directory), marked when the tree
/// has uncommitted changes.
pub fn commit() -> String {
    let git = |args: &[&str]| Command::new("git").args(args).output().ok();
    let Some(rev) = git(&["rev-parse", "--short", "HEAD"]).filter(|o| o.status.success()) else {
        return "unknown (not run in a git checkout)".into();
    };
    let rev = String::from_utf8_lossy(&rev.stdout).trim().to_string();
    let clean = git(&["diff", "--quiet", "HEAD", "--", "."]).is_some_and(|o| o.status.success());
    if clean {
        rev
    } else {
        format!("{rev} plus uncommitted changes")
    }
}

/// The CPU's model name, from `/proc/cpuinfo`.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The 1, 5 and 15 minute load averages, from `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            let v: Vec<&str> = l.split_whitespace().take(3).collect();
            (v.len() == 3).then(|| v.join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_accepts_positive_whole_numbers_only_and_names_the_flag() {
        assert_eq!(count("--deals", "900"), Ok(900));
        for bad in ["0", "-1", "1.5", "many", ""] {
            assert_eq!(
                count("--deals", bad),
                Err(format!("--deals: '{bad}' is not a positive whole number"))
            );
        }
    }
}
