use clap::Args;

#[derive(Args)]
pub struct SimArgs {}

pub fn run(_args: SimArgs) -> u8 {
    eprintln!("verraft: 'sim' is not built yet");
    2
}
