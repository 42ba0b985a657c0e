//! Release binaries: the functions start-up and scrapes run placed
//! together, from hot-functions.txt (see crates/release-layout).

fn main() {
    release_layout::link_binaries("hot-functions.txt");
}
