use clap::Args;

#[derive(Args)]
pub struct MinimizeArgs {}

pub fn run(_args: MinimizeArgs) -> u8 {
    eprintln!("verraft: 'minimize' is not built yet");
    2
}
