//! `vigil-agent`: the host agent as a standalone binary (the same as `vigil agent`).

use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;
use vigil_agent::AgentArgs;

#[derive(Debug, Parser)]
#[command(name = "vigil-agent", version, about = "The Vigil host agent.")]
struct Cli {
    #[command(flatten)]
    args: AgentArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.args.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vigil-agent: {e}");
            return ExitCode::from(2);
        }
    };
    match vigil_agent::run_until_signal(config, cli.args.duration_secs.map(Duration::from_secs)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vigil-agent: {e}");
            ExitCode::FAILURE
        }
    }
}
