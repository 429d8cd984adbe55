use std::process::ExitCode;

fn main() -> ExitCode {
    zhicha_api::cli::main()
}
