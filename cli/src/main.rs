// The command wiring that uses `format` lands with the CLI; until then it is library-only.
#[allow(dead_code)]
mod format;

fn main() {}
