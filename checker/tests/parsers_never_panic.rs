//! Every parser returns a value or an error, never panics, whatever the bytes: random
//! bytes, random text over each format's alphabet, and random mutations of real files.
use proptest::prelude::*;
use verraft_checker::{parse_history, Format};

const FORMATS: [Format; 4] = [
    Format::Auto,
    Format::Json,
    Format::PorcupineKv,
    Format::JepsenEtcd,
];

const SAMPLES: [&str; 3] = [
    "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]\nINFO  jepsen.util - 0\t:ok\t:cas\t[1 2]\nINFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:info\t:read\t:timed-out\n",
    "{:process 0, :type :invoke, :f :append, :key \"0\", :value \"x 0 0 y\"}\n{:process 0, :type :ok, :f :append, :key \"0\", :value \"x 0 0 y\"}\n{:process 1, :type :invoke, :f :get, :key \"0\", :value nil}\n{:process 1, :type :ok, :f :get, :key \"0\", :value \"x 0 0 y\"}\n",
    "{\"model\": \"register\", \"operations\": [\n{\"client\": 0, \"input\": {\"f\": \"cas\", \"from\": 1, \"to\": 2}, \"output\": {\"ok\": true}, \"call\": 0, \"ret\": 1},\n{\"client\": 1, \"input\": {\"f\": \"read\"}, \"output\": null, \"call\": 2}\n]}\n",
];

fn parse_all(bytes: &[u8]) {
    for f in FORMATS {
        if let Err(e) = parse_history(bytes, f) {
            // An error always names a line within (or just past) the input.
            let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
            assert!(
                e.line >= 1 && e.line <= lines + 1,
                "{e} for {} lines",
                lines
            );
        }
    }
}

#[test]
fn samples_parse() {
    for s in SAMPLES {
        assert!(parse_history(s.as_bytes(), Format::Auto).is_ok(), "{s}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        parse_all(&bytes);
    }

    #[test]
    fn random_text(s in "[-{}\\[\\]:,\" \t\n0-9a-z.\\\\]{0,300}") {
        parse_all(s.as_bytes());
    }

    #[test]
    fn keyword_soup(words in prop::collection::vec(prop_oneof![
        Just("{"), Just("}"), Just("["), Just("]"), Just(":invoke"), Just(":ok"), Just(":fail"), Just(":info"),
        Just(":read"), Just(":write"), Just(":cas"), Just(":get"), Just(":put"), Just(":append"), Just(":process"),
        Just(":type"), Just(":f"), Just(":key"), Just(":value"), Just("nil"), Just("\"k\""), Just("0"), Just("-1"),
        Just("99999999999999999999"), Just("\n"), Just("\t"), Just(","), Just("\"client\":"), Just("\"input\":"),
        Just("\"output\":"), Just("\"call\":"), Just("\"ret\":"), Just("{\"f\": \"read\"}"), Just("null"),
    ], 0..60)) {
        parse_all(words.join(" ").as_bytes());
    }

    #[test]
    fn mutated_samples(which in 0usize..3, edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8)) {
        let mut bytes = SAMPLES[which].as_bytes().to_vec();
        for (at, byte, kind) in edits {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        parse_all(&bytes);
    }
}
