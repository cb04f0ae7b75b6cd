//! `verraft kv`: one request to a key-value cluster, in a session of its own (client id and
//! sequence number), following redirects and retrying across leader changes.
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use verraft_server::client::Client;
use verraft_server::cluster_file::ClusterFile;
use verraft_server::resp::Reply;

#[derive(Args)]
pub struct KvArgs {
    #[command(subcommand)]
    op: Op,
    /// The cluster's data directory (its cluster.json names the nodes)
    #[arg(long, global = true, default_value = "verraft-cluster")]
    data: PathBuf,
    /// Client addresses to use instead of --data: 127.0.0.1:6381,127.0.0.1:6382
    #[arg(long, global = true, value_delimiter = ',')]
    addrs: Vec<String>,
    /// Give up after this many seconds
    #[arg(long, global = true, default_value_t = 10)]
    timeout: u64,
}

#[derive(Subcommand)]
enum Op {
    /// Set KEY to VALUE
    Put { key: String, value: String },
    /// Print KEY's value ((nil) when absent)
    Get { key: String },
    /// Add VALUE to the end of KEY's value
    Append { key: String, value: String },
    /// Set KEY to NEW if its value is EXPECTED (or, with --if-absent, if it is absent);
    /// prints whether it swapped and the value found
    Cas {
        key: String,
        /// EXPECTED NEW, or NEW alone with --if-absent
        #[arg(num_args = 1..=2, required = true)]
        values: Vec<String>,
        /// Swap only if KEY is absent
        #[arg(long)]
        if_absent: bool,
    },
    /// Remove KEY
    Delete { key: String },
}

pub fn run(args: KvArgs) -> u8 {
    let addrs = if args.addrs.is_empty() {
        match ClusterFile::load(&args.data) {
            Ok(Some(c)) => c.client_addrs(),
            Ok(None) => {
                eprintln!(
                    "no cluster in {} (start one with `verraft cluster start`, or pass --addrs)",
                    args.data.display()
                );
                return 2;
            }
            Err(e) => {
                eprintln!("{e}");
                return 2;
            }
        }
    } else {
        args.addrs
    };
    let command: Vec<&str> = match &args.op {
        Op::Put { key, value } => vec!["SET", key, value],
        Op::Get { key } => vec!["GET", key],
        Op::Append { key, value } => vec!["APPEND", key, value],
        Op::Delete { key } => vec!["DEL", key],
        Op::Cas {
            key,
            values,
            if_absent,
        } => match (values.as_slice(), if_absent) {
            ([new], true) => vec!["CAS", key, new],
            ([expected, new], false) => vec!["CAS", key, expected, new],
            _ => {
                eprintln!("cas takes KEY EXPECTED NEW, or KEY NEW with --if-absent");
                return 2;
            }
        },
    };
    let mut client = Client::new(addrs, Duration::from_secs(args.timeout));
    match client.request(&command) {
        Ok(Reply::Error(e)) => {
            eprintln!("(error) {e}");
            1
        }
        Ok(Reply::Array(Some(items))) if matches!(args.op, Op::Cas { .. }) => {
            let swapped = items.first() == Some(&Reply::Int(1));
            let found = items.get(1).map_or("(nil)".to_string(), Reply::to_string);
            println!(
                "{} (found {found})",
                if swapped { "swapped" } else { "unchanged" }
            );
            0
        }
        Ok(reply) => {
            println!("{reply}");
            0
        }
        Err(e) => {
            eprintln!("{e}");
            3
        }
    }
}
