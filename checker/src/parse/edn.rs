//! Just enough of Clojure's data notation for one-line maps of keywords to scalars, as in
//! `{:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}`.

/// A scalar value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    Nil,
    Int(i64),
    Keyword(String),
    Str(String),
}

/// Parses a map of `:keyword value` pairs (commas are whitespace). Errors are messages
/// for the caller to attach a line to.
pub fn parse_map(s: &str) -> Result<Vec<(String, Scalar)>, String> {
    let mut p = Parser {
        s: s.as_bytes(),
        src: s,
        i: 0,
    };
    p.ws();
    p.expect(b'{')?;
    let mut out = Vec::new();
    loop {
        p.ws();
        match p.peek() {
            Some(b'}') => {
                p.i += 1;
                break;
            }
            Some(b':') => {
                let key = p.keyword()?;
                p.ws();
                let value = p.scalar()?;
                out.push((key, value));
            }
            Some(c) => {
                return Err(format!(
                    "expected a :keyword or '}}', found {:?}",
                    c as char
                ))
            }
            None => return Err("unterminated map: missing '}'".to_string()),
        }
    }
    p.ws();
    if p.i < p.s.len() {
        return Err(format!(
            "unexpected text after the map: {:?}",
            &p.src[p.i..]
        ));
    }
    Ok(out)
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n' | b',')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {:?}", c as char))
        }
    }

    fn symbol(&mut self) -> &str {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric()
                || matches!(c, b'-' | b'_' | b'?' | b'!' | b'*' | b'+' | b'/' | b'.')
            {
                self.i += 1;
            } else {
                break;
            }
        }
        // Only ASCII was consumed, so these are char boundaries.
        &self.src[start..self.i]
    }

    fn keyword(&mut self) -> Result<String, String> {
        self.expect(b':')?;
        let k = self.symbol();
        if k.is_empty() {
            return Err("empty keyword".to_string());
        }
        Ok(k.to_string())
    }

    fn scalar(&mut self) -> Result<Scalar, String> {
        match self.peek() {
            Some(b':') => self.keyword().map(Scalar::Keyword),
            Some(b'"') => self.string().map(Scalar::Str),
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let sym = self.symbol();
                sym.parse()
                    .map(Scalar::Int)
                    .map_err(|_| format!("bad integer {sym:?}"))
            }
            Some(_) => match self.symbol() {
                "nil" => Ok(Scalar::Nil),
                "" => Err("expected a value".to_string()),
                other => Err(format!("unsupported value {other:?}")),
            },
            None => Err("expected a value, found end of line".to_string()),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = String::new();
        let mut chars = self.src[self.i..].char_indices();
        while let Some((k, c)) = chars.next() {
            match c {
                '"' => {
                    self.i += k + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    Some((_, e)) => return Err(format!("unsupported escape \\{e}")),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err("unterminated string".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_porcupine_lines() {
        let m =
            parse_map(r#"{:process 9, :type :invoke, :f :append, :key "0", :value "x \"9\" y"}"#)
                .unwrap();
        assert_eq!(m[0], ("process".to_string(), Scalar::Int(9)));
        assert_eq!(
            m[2],
            ("f".to_string(), Scalar::Keyword("append".to_string()))
        );
        assert_eq!(
            m[4],
            ("value".to_string(), Scalar::Str("x \"9\" y".to_string()))
        );
        assert_eq!(parse_map("{:value nil}").unwrap()[0].1, Scalar::Nil);
    }

    #[test]
    fn rejects_malformed_maps() {
        for bad in [
            "",
            "{",
            "{:a}",
            "{:a 1",
            "{:a \"x}",
            "{:a 1} x",
            "{a 1}",
            "{:a 99999999999999999999}",
            "{:a foo}",
        ] {
            assert!(parse_map(bad).is_err(), "{bad}");
        }
    }
}
