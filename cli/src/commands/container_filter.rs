//! `--filter KEY=VALUE` on containers, as the CLI passes them: specs grouped by
//! key for a front-door request. The filter itself (Podman's rules, one for
//! every command) is the engine's.

use rpod_api::container::Filters as FilterSpecs;

use crate::cli_error::{CliError, CliResult};

/// Groups `KEY=VALUE` specs by key (`invalid filter "x"` without `=`).
pub fn group_specs(specs: &[String]) -> CliResult<FilterSpecs> {
    let mut map = FilterSpecs::new();
    for spec in specs {
        let (k, v) = spec
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("invalid filter {spec:?}")))?;
        map.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_group_by_key() {
        let g = group_specs(&["a=1".into(), "a=2".into(), "b=".into()]).unwrap();
        assert_eq!(g["a"], vec!["1", "2"]);
        assert_eq!(g["b"], vec![""]);
        let e = group_specs(&["nokey".into()]).unwrap_err().to_string();
        assert_eq!(e, "invalid filter \"nokey\"");
    }
}
