use clap::Args;

#[derive(Args)]
pub struct CheckArgs {}

pub fn run(_args: CheckArgs) -> u8 {
    eprintln!("verraft: 'check' is not built yet");
    2
}
