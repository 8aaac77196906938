//! Link-time settings of the `rpod` binary.

fn main() {
    // Relative relocations packed (DT_RELR, glibc 2.36 and binutils 2.38
    // on): rpod's ~34,000 of them took an 820 KB table that the dynamic
    // loader read at every start; packed, it is a few KB. The binary
    // stays position-independent (ASLR is kept).
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
}
