//! Compiles every `assets/presets/*.toml` into the binary, so adding a preset
//! is adding a data file, with no list in code to forget; and the message
//! catalogs into sorted tables, so no run parses TOML to print a word (it
//! took 1.5 ms of every start, `--version` and the status line included).

use std::fmt::Write as _;
use std::{env, fs, path::Path};

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("assets/presets");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .expect("assets/presets exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    entries.sort();
    let mut out = String::from("pub static BUILTIN: &[(&str, &str)] = &[\n");
    for path in entries {
        println!("cargo:rerun-if-changed={}", path.display());
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("preset file names are UTF-8");
        writeln!(
            out,
            "    ({id:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    out.push_str("];\n");
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out_dir).join("presets_gen.rs"), out).expect("OUT_DIR is writable");
    let mut catalogs = String::new();
    for (name, file) in [("EN", "en.toml"), ("ZH", "zh-CN.toml")] {
        let path = Path::new(&manifest).join("assets/locales").join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let src = fs::read_to_string(&path).expect("the catalog exists");
        let table: toml::Table = src.parse().expect("the message catalog is valid TOML");
        let mut pairs = Vec::new();
        flatten("", &table, &mut pairs);
        pairs.sort();
        writeln!(catalogs, "pub static {name}_PAIRS: &[(&str, &str)] = &[")
            .expect("writing to a String cannot fail");
        for (k, v) in pairs {
            writeln!(catalogs, "    ({k:?}, {v:?}),").expect("writing to a String cannot fail");
        }
        catalogs.push_str("];\n");
    }
    fs::write(Path::new(&out_dir).join("catalogs_gen.rs"), catalogs).expect("OUT_DIR is writable");
}

/// A catalog's strings under their dotted keys (`[proxy] bad_token` is
/// `proxy.bad_token`), as `i18n::parse_catalog` reads them.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, String)>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => out.push((key, s.clone())),
            toml::Value::Table(t) => flatten(&key, t, out),
            _ => {}
        }
    }
}
