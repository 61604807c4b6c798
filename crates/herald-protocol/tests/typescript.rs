//! The committed TypeScript in ui/src/generated/ must be what the Rust types generate.
//! `HERALD_UPDATE_TS=1 cargo test -p herald-protocol` rewrites the protocol's files. (herald-app
//! adds the desktop's own types to the same folder and checks the folder has nothing extra.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn read_tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "ts") {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn generated_typescript_is_committed_and_current() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/generated");
    let fresh = tempfile::tempdir().unwrap();
    herald_protocol::export_typescript(fresh.path()).unwrap();
    let generated = read_tree(fresh.path());
    assert!(generated.len() > 20, "expected the whole contract, got {} files", generated.len());
    assert!(generated.values().any(|s| s.contains("offer_created")), "AgentEvent is a tagged union");
    if std::env::var_os("HERALD_UPDATE_TS").is_some() {
        herald_protocol::export_typescript(&committed).unwrap();
        return;
    }
    let on_disk = read_tree(&committed);
    let stale: Vec<_> = generated
        .iter()
        .filter(|(p, s)| on_disk.get(*p) != Some(*s))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(stale.is_empty(), "ui/src/generated is stale; run HERALD_UPDATE_TS=1 cargo test -p herald-protocol: {stale:?}");
}
