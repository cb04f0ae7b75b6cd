use clap::Args;

#[derive(Args)]
pub struct ReplayArgs {}

pub fn run(_args: ReplayArgs) -> u8 {
    eprintln!("verraft: 'replay' is not built yet");
    2
}
