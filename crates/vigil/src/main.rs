use clap::Parser;
use std::process::ExitCode;

// Ingest allocates and frees millions of small strings; mimalloc does that with less work
// than the system allocator (`benches/ingest_pipeline.rs`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    vigil::allocator::keep_freed_memory();
    let cli = match vigil::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match vigil::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let (code, print) = vigil::exit::code_for(&err);
            if print {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(code)
        }
    }
}
