use clap::Args;

#[derive(Args)]
pub struct LincheckArgs {
    files: Vec<std::path::PathBuf>,
}

pub fn run(_args: LincheckArgs) -> u8 {
    2
}
