use clap::Args;

#[derive(Args)]
pub struct ExploreArgs {}

pub fn run(_args: ExploreArgs) -> u8 {
    eprintln!("verraft: 'explore' is not built yet");
    2
}
