//! `verraft explore`: stateright's Explorer on 127.0.0.1, to step through the model's states
//! (and to follow a counterexample) in a browser. Takes the same bounds as `verraft check`.
use super::check::BoundArgs;
use clap::Args;
use stateright::Model;
use std::net::TcpListener;
use verraft_models::RaftModel;

#[derive(Args)]
pub struct ExploreArgs {
    #[command(flatten)]
    bounds: BoundArgs,
    /// Port on 127.0.0.1
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

/// Serves until interrupted. Exit 2 on bad bounds or a port that is taken.
pub fn run(args: ExploreArgs) -> u8 {
    let model = match args.bounds.bounds().and_then(RaftModel::new) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("verraft explore: {e}");
            return 2;
        }
    };
    let addr = ("127.0.0.1", args.port);
    // Stateright's server panics on a taken port; check first to give one clear line.
    if let Err(e) = TcpListener::bind(addr) {
        eprintln!(
            "verraft explore: cannot listen on 127.0.0.1:{}: {e}",
            args.port
        );
        return 2;
    }
    println!("verraft explore: {}", model.description);
    println!(
        "verraft explore: open http://127.0.0.1:{}/ (Ctrl-C to stop)",
        args.port
    );
    let _checker = model.checker().serve(addr);
    loop {
        std::thread::park();
    }
}
