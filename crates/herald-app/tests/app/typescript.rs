//! ui/src/generated/ holds exactly what herald-protocol and herald-app generate: nothing stale,
//! nothing extra. `HERALD_UPDATE_TS=1 cargo test -p herald-app --test app typescript` rewrites it.

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

fn export_all(dir: &Path) {
    herald_protocol::export_typescript(dir).unwrap();
    herald_app::view::export_typescript(dir).unwrap();
}

#[test]
fn generated_typescript_is_committed_current_and_complete() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/generated");
    let fresh = tempfile::tempdir().unwrap();
    export_all(fresh.path());
    let generated = read_tree(fresh.path());
    assert!(generated.keys().any(|p| p.ends_with("DesktopState.ts")), "the desktop state is exported");
    if std::env::var_os("HERALD_UPDATE_TS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        export_all(&committed);
        return;
    }
    let on_disk = read_tree(&committed);
    let stale: Vec<_> = generated
        .iter()
        .filter(|(p, s)| on_disk.get(*p) != Some(*s))
        .map(|(p, _)| p.display().to_string())
        .chain(on_disk.keys().filter(|p| !generated.contains_key(*p)).map(|p| format!("{} (extra)", p.display())))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/generated is stale; run HERALD_UPDATE_TS=1 cargo test -p herald-app --test app typescript: {stale:?}"
    );
}
