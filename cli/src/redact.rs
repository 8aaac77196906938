//! The command line as the debug log shows it, without secrets.

/// Flags whose value is a secret: never written to the debug log.
const SECRET_FLAGS: &[&str] = &["-p", "--password", "--creds"];

/// `args` for the debug log, with the values of [`SECRET_FLAGS`]
/// (`-p X`, `--password=X`, `--creds X`) replaced by `***`.
pub fn redact_secrets(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for a in args {
        if std::mem::take(&mut hide_next) {
            out.push("***".to_owned());
            continue;
        }
        if SECRET_FLAGS.contains(&a.as_str()) {
            hide_next = true;
            out.push(a.clone());
        } else if let Some(flag) = SECRET_FLAGS
            .iter()
            .find(|f| a.starts_with(&format!("{f}=")))
        {
            out.push(format!("{flag}=***"));
        } else {
            out.push(a.clone());
        }
    }
    out
}

#[cfg(test)]
mod redact_tests {
    use super::redact_secrets;

    #[test]
    fn passwords_and_credentials_are_hidden() {
        let args: Vec<String> = [
            "login",
            "-u",
            "me",
            "-p",
            "s3cret",
            "--creds=me:pw",
            "--password",
            "x",
            "reg",
        ]
        .map(String::from)
        .to_vec();
        let shown = redact_secrets(&args).join(" ");
        assert_eq!(shown, "login -u me -p *** --creds=*** --password *** reg");
    }
}
