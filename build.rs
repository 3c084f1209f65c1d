//! Link-time settings for the `incident` binary.

fn main() {
    // Every command is a fresh process, so start-up is part of every command's latency. The
    // binary carries ~30,000 relative relocations (kube, sqlx, rustls); packed as RELR the
    // loader reads a few KiB instead of ~740 KiB of them at every start. glibc 2.36+ applies
    // them; older linkers ignore the option with a warning.
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    if linux_gnu {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
