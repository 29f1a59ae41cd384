//! `carrier-sim`: the DCSA Track & Trace 2.2 carrier simulator of
//! [`escrow_test_support::carrier`] as a process, for the demo script and load runs.
//!
//! ```text
//! carrier-sim [--port PORT] [--scenario FILE] [--url-file PATH]
//! ```
//!
//! Serves on 127.0.0.1:PORT (default 0: a port the OS picks), prints
//! `carrier-sim: serving DCSA T&T 2.2 at http://127.0.0.1:PORT/v2` on stdout, writes that
//! base URL to PATH if asked (atomically: a reader never sees half of it), plays the
//! scenario's steps in time from the start (each one logged on stderr), and serves until
//! it is killed. Other processes drive it through `POST /sim/events`, `/sim/raw`,
//! `/sim/fault` and read `GET /sim/stats`.

use std::{io::Write, path::PathBuf, process::ExitCode};

use escrow_test_support::carrier::{CarrierSim, Scenario};

const USAGE: &str = "usage: carrier-sim [--port PORT] [--scenario FILE] [--url-file PATH]";

struct Opts {
    port: u16,
    scenario: Option<PathBuf>,
    url_file: Option<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Opts>, String> {
    let mut opts = Opts {
        port: 0,
        scenario: None,
        url_file: None,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        if !["--port", "--scenario", "--url-file"].contains(&flag.as_str()) {
            return Err(format!("unknown argument {arg:?}"));
        }
        let value = match inline.or_else(|| args.next()) {
            Some(value) => value,
            None => return Err(format!("{flag} needs a value")),
        };
        match flag.as_str() {
            "--port" => {
                opts.port = value
                    .parse()
                    .map_err(|_| format!("--port must be a port number 0..=65535, got {value:?}"))?
            }
            "--scenario" => opts.scenario = Some(PathBuf::from(value)),
            _ => opts.url_file = Some(PathBuf::from(value)),
        }
    }
    Ok(Some(opts))
}

fn write_url_file(path: &PathBuf, url: &str) -> Result<(), String> {
    let mut tmp = path.clone().into_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, format!("{url}\n"))
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write the URL file {}: {e}", path.display()))
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(opts)) => opts,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("carrier-sim: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Read the scenario before serving, so a bad file fails before anyone connects.
    let scenario = match opts.scenario.as_deref().map(Scenario::read).transpose() {
        Ok(scenario) => scenario,
        Err(e) => {
            eprintln!("carrier-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let sim = match CarrierSim::start_on(opts.port) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("carrier-sim: cannot listen on 127.0.0.1:{}: {e}", opts.port);
            return ExitCode::from(1);
        }
    };
    let url = sim.base_url();
    if let Some(path) = &opts.url_file {
        if let Err(e) = write_url_file(path, &url) {
            eprintln!("carrier-sim: {e}");
            return ExitCode::from(1);
        }
    }
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "carrier-sim: serving DCSA T&T 2.2 at {url}");
    let _ = stdout.flush();
    if let Some(scenario) = scenario {
        let steps = scenario.steps.len();
        if let Err(e) = sim.play(scenario, |step| eprintln!("carrier-sim: {step}")) {
            eprintln!("carrier-sim: cannot start the scenario's {steps} steps: {e}");
            return ExitCode::from(1);
        }
    }
    // Serve until killed (SIGTERM/SIGINT end the process).
    loop {
        std::thread::park();
    }
}
