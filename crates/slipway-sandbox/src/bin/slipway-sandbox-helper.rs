//! The sandbox helper on its own, for this crate's tests (slipway itself is its own helper):
//! `slipway-sandbox-helper __slipway-sandbox < spec.json`.

#[expect(
    clippy::print_stderr,
    reason = "a usage line is this program's only output of its own"
)]
fn main() {
    slipway_sandbox::helper_main_if_requested();
    eprintln!(
        "usage: slipway-sandbox-helper {} < SPEC.json",
        slipway_sandbox::HELPER_ARG
    );
    std::process::exit(2);
}
