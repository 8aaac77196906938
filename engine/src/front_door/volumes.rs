//! [`rpod_api::front_door::Volumes`] for the local engine. rpod has no named
//! volumes yet (issue 13): removing all of them removes nothing.

use async_trait::async_trait;
use rpod_api::front_door::Volumes;
use rpod_api::volume::{VolumeRmOptions, VolumeRmReport};
use rpod_api::{Error, ErrorKind, Result};

use super::LocalEngine;

#[async_trait]
impl Volumes for LocalEngine {
    async fn volume_remove(
        &self,
        names: &[String],
        options: VolumeRmOptions,
    ) -> Result<Vec<VolumeRmReport>> {
        remove(names, &options)
    }
}

fn remove(names: &[String], options: &VolumeRmOptions) -> Result<Vec<VolumeRmReport>> {
    if options.all && names.is_empty() {
        return Ok(Vec::new());
    }
    Err(Error::new(
        ErrorKind::NotImplemented,
        "rpod volume rm is not supported yet (volumes (issue 13); see docs/compatibility.md)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_all_removes_nothing() {
        let all = VolumeRmOptions {
            all: true,
            force: true,
        };
        assert_eq!(remove(&[], &all).unwrap(), []);
        let e = remove(&["v".into()], &VolumeRmOptions::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotImplemented);
    }
}
