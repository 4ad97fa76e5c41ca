//! Scenario files: read, override, validate (first stage of the pipeline).
//!
//! `load` reads a TOML file, applies `--set KEY=VALUE` overrides to the TOML
//! document, deserialises it into the raw types of `raw` (collecting every
//! unknown key), and validates the result into a `Scenario` (collecting
//! every broken rule). All problems come back together as `InputErrors`,
//! each with its key path, its line and column in the file (or `--set`),
//! the value and the rule.

pub mod error;
pub mod raw;
pub mod validate;

use std::path::Path;

use serde::de::DeserializeOwned;
use toml_edit::{DocumentMut, Item, Table};

use crate::finance::fiscal::FiscalBasis;
use crate::model::company::{CompanyModel, StageParams};
use crate::model::market::Market;
use crate::model::policy::Policy;
use crate::vehicles::{KINDS, RawVehicle, Vehicle};
pub use error::{InputError, InputErrors, Origin};
use raw::RawScenario;
use validate::Validator;

/// A checked scenario, ready to simulate.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub paths: u64,
    pub seed: u64,
    pub years: u32,
    pub steps_per_year: u32,
    /// `[fiscal]`: the one basis of every vehicle's fiscal cost.
    pub fiscal: FiscalBasis,
    pub market: Market,
    pub policy: Policy,
    pub stages: [StageParams; 4],
    pub company_model: CompanyModel,
    pub vehicles: Vec<Vehicle>,
    /// `[[sweep]]` axes (at most two).
    pub sweeps: Vec<SweepAxis>,
    pub sensitivity: Option<Sensitivity>,
    /// What a sweep variant may share with the base run (`engine::run_from`).
    pub(crate) fingerprint: Fingerprint,
}

/// The resolved scenario cut where a variant can share work with its base:
/// everything that shapes the economy, the companies and every vehicle's
/// build (the simulation, market, stage and policy tables, all but the
/// path count), and each vehicle's own resolved table. Two scenarios with
/// the same `shared` part simulate the same economy path by path; a
/// vehicle whose table is also the same (and that reads no vehicle that
/// differs) gives the same results path by path.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Fingerprint {
    pub(crate) shared: String,
    pub(crate) vehicles: Vec<(String, String)>,
}

/// One swept lever: a dotted key and its values (TOML text).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    pub key: String,
    pub values: Vec<String>,
}

/// `[sensitivity]`, checked: the target column and the levers with their
/// low and high values (TOML text).
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitivity {
    pub vehicle: String,
    pub metric: String,
    pub levers: Vec<(String, String, String)>,
}

impl Scenario {
    /// Number of simulated steps: years × steps per year.
    pub fn horizon_steps(&self) -> usize {
        self.years as usize * self.steps_per_year as usize
    }
}

/// A loaded scenario with what the manifest records about it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    /// The file verbatim.
    pub source: String,
    /// The resolved scenario (file plus overrides) as TOML.
    pub resolved: String,
}

/// Read, override and validate a scenario file.
pub fn load(path: &Path, sets: &[String]) -> Result<Loaded, InputErrors> {
    let file = path.display().to_string();
    let fail = |errors: Vec<InputError>| InputErrors { file: file.clone(), errors };
    let source = std::fs::read_to_string(path).map_err(|e| {
        fail(vec![InputError {
            key: "(file)".into(),
            value: String::new(),
            rule: format!("cannot be read: {e}"),
            origin: Origin::Flag,
        }])
    })?;
    load_str(&source, &file, sets)
}

/// As `load`, from the file's text (`file` names it in messages).
pub fn load_str(source: &str, file: &str, sets: &[String]) -> Result<Loaded, InputErrors> {
    let fail = |errors: Vec<InputError>| InputErrors { file: file.to_string(), errors };
    let spans = parse(source).map_err(|e| fail(vec![e]))?;
    let mut doc: DocumentMut = spans.clone().into_mut();
    let mut errors = Vec::new();
    let mut set_keys = Vec::new();
    for s in sets {
        match apply_set(&mut doc, s) {
            Ok(key) => set_keys.push(key),
            Err(e) => errors.push(e),
        }
    }
    let locator = Locator { source, spans: &spans, set_keys };
    let locate = |key: &str| locator.origin(key);
    let value = match to_value(doc) {
        Ok(value) => value,
        Err(e) => {
            errors.push(e);
            return Err(fail(errors));
        }
    };
    let (raw, mut found): (Option<RawScenario>, Vec<InputError>) = deserialize_collecting(value, "", &locate);
    errors.append(&mut found);
    let Some(raw) = raw else {
        return Err(fail(errors));
    };
    let vehicles = read_vehicles(&raw, &locate, &mut errors);
    let (resolved, fingerprint) = resolve(&raw, &vehicles);
    let mut v = Validator::new(&locate);
    let scenario = validate::scenario(&raw, &mut v, vehicles).map(|s| Scenario { fingerprint, ..s });
    errors.append(&mut v.errors);
    match scenario {
        Some(scenario) if errors.is_empty() => Ok(Loaded { scenario, source: source.to_string(), resolved }),
        _ => Err(fail(errors)),
    }
}

/// The file as a TOML document with spans (for line numbers).
fn parse(source: &str) -> Result<toml_edit::Document<String>, InputError> {
    toml_edit::Document::parse(source.to_string()).map_err(|e| {
        let line = e.span().map(|s| line_col(source, s.start));
        InputError {
            key: "(file)".into(),
            value: String::new(),
            rule: format!("is not valid TOML: {}", e.message().trim()),
            origin: Origin::File { line },
        }
    })
}

/// Where a key's value came from: a `--set`, or the file (with its line
/// when the file has the key or a table holding it).
struct Locator<'a> {
    source: &'a str,
    spans: &'a toml_edit::Document<String>,
    /// The keys the `--set`s gave.
    set_keys: Vec<String>,
}

impl Locator<'_> {
    fn origin(&self, key: &str) -> Origin {
        let plain = strip_indices(key);
        // A --set of the key, of a table holding it, or of a key inside it
        // (a rule on a whole table, such as a stage mix adding up to 1).
        let set_here =
            |s: &String| plain == *s || plain.starts_with(&format!("{s}.")) || s.starts_with(&format!("{plain}."));
        if self.set_keys.iter().any(set_here) {
            return Origin::Set;
        }
        Origin::File { line: lookup_span(self.spans.as_table(), key).map(|off| line_col(self.source, off)) }
    }
}

/// The document as a plain TOML value, which the type-error collection
/// can edit (a valid document always converts).
fn to_value(doc: DocumentMut) -> Result<toml::Value, InputError> {
    match <toml::Table as serde::Deserialize>::deserialize(toml_edit::de::Deserializer::from(doc)) {
        Ok(t) => Ok(toml::Value::Table(t)),
        Err(e) => Err(InputError {
            key: "(file)".into(),
            value: String::new(),
            rule: format!("cannot be read as TOML: {}", e.message().trim()),
            origin: Origin::File { line: None },
        }),
    }
}

/// Each `[vehicles.<name>]` table read by its `kind` (see
/// `vehicles::register!`); the mistakes go to `errors`.
fn read_vehicles(
    raw: &RawScenario,
    locate: &dyn Fn(&str) -> Origin,
    errors: &mut Vec<InputError>,
) -> Vec<(String, RawVehicle)> {
    let mut vehicles = Vec::new();
    for (name, value) in &raw.vehicles {
        let prefix = format!("vehicles.{name}");
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            errors.push(InputError {
                key: prefix.clone(),
                value: format!("{name:?}"),
                rule: "vehicle names may only use the ASCII letters a-z and A-Z, the digits 0-9, '_' and '-' (they name CSV columns, e.g. `angel`); give the vehicle a display name in any script with `label = \"天使基金\"` in its table".into(),
                origin: locate(&prefix),
            });
            continue;
        }
        // `label`: the vehicle's display name in charts and the report, in
        // any script (the name itself stays a plain identifier).
        let mut value = value.clone();
        if let Some(table) = value.as_table_mut()
            && let Some(label) = table.remove("label")
        {
            let ok = label.as_str().is_some_and(|s| !s.trim().is_empty() && s.chars().count() <= 40);
            if !ok {
                errors.push(InputError {
                    key: format!("{prefix}.label"),
                    value: label.to_string(),
                    rule:
                        "must be a non-empty string of at most 40 characters (the vehicle's display name, any script)"
                            .into(),
                    origin: locate(&format!("{prefix}.label")),
                });
            }
        }
        let value = &value;
        let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        match RawVehicle::read(kind, &prefix, value, locate) {
            Some((read, mut found)) => {
                errors.append(&mut found);
                if let Some(read) = read {
                    vehicles.push((name.clone(), read));
                }
            }
            None => {
                let kinds: Vec<String> = KINDS.iter().map(|k| format!("{:?}", k.kind)).collect();
                errors.push(InputError {
                    key: format!("{prefix}.kind"),
                    value: value.get("kind").map(|k| k.to_string()).unwrap_or_default(),
                    rule: format!("must be one of {}", kinds.join(", ")),
                    origin: locate(&format!("{prefix}.kind")),
                })
            }
        }
    }
    vehicles
}

/// The scenario with every default filled in, as TOML (for `check` and
/// the manifest).
fn resolve(raw: &RawScenario, vehicles: &[(String, RawVehicle)]) -> (String, Fingerprint) {
    let mut full = raw.clone();
    for i in 0..4 {
        let d = raw::RawStage::defaults_for(i);
        let s = full.stages.get_mut(i);
        for (x, dflt) in s.fields_mut().into_iter().zip(d.fields()) {
            if x.is_none() {
                *x = dflt;
            }
        }
    }
    full.vehicles = vehicles.iter().filter_map(|(name, v)| Some((name.clone(), v.resolved()?))).collect();
    let resolved = toml::to_string(&full).unwrap_or_default();
    // The fiscal basis only values each vehicle's fiscal flows: it is part
    // of every vehicle's table here (key `fiscal.discount_rate`, of the
    // settlement class for a loan programme, `KEY_CLASSES`), not of the
    // shared economy, so a change of it re-simulates the vehicles but
    // shares the economy and can run the loan programme in lockstep.
    let fiscal = format!("\n[fiscal]\n{}", toml::to_string(&full.fiscal).unwrap_or_default());
    let vehicles = full
        .vehicles
        .iter()
        .map(|(n, v)| (n.clone(), toml::to_string(v).map(|t| t + &fiscal).unwrap_or_default()))
        .collect();
    // The shared part: no vehicles, no experiments, no titles, no path
    // count, no fiscal basis (with each vehicle above).
    let shared = match toml::Value::try_from(&full) {
        Ok(toml::Value::Table(mut t)) => {
            for k in ["vehicles", "sweep", "sensitivity", "name", "description", "fiscal"] {
                t.remove(k);
            }
            if let Some(toml::Value::Table(sim)) = t.get_mut("simulation") {
                sim.remove("paths");
            }
            toml::to_string(&t).unwrap_or_default()
        }
        // Never equal to another scenario's: no sharing.
        _ => format!("unresolved {resolved}"),
    };
    (resolved, Fingerprint { shared, vehicles })
}

/// Type errors collected from one table at most; beyond, the rest of the
/// table is not read.
const MAX_TYPE_ERRORS: usize = 200;

/// One step of a key path into a TOML value.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Deserialise `T` from a TOML value, collecting every unknown key and
/// every type error (each with its key path, the value given and the type
/// expected). serde stops at the first type error, so on each one the
/// offending key is removed from a copy of the value (its default is used;
/// an array goes whole) and the deserialisation is tried again. `T` comes
/// back when the copy deserialises, so the values' rules can be checked
/// too and every mistake of a file is reported in one run.
pub(crate) fn deserialize_collecting<T, V>(
    value: V,
    prefix: &str,
    locate: &dyn Fn(&str) -> Origin,
) -> (Option<T>, Vec<InputError>)
where
    T: DeserializeOwned,
    V: Into<toml::Value>,
{
    let join = |p: &str| match (prefix.is_empty(), p.is_empty()) {
        (true, _) => p.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}.{p}"),
    };
    let mut value: toml::Value = value.into();
    let mut errors = Vec::new();
    let mut removed: Vec<Vec<Step>> = Vec::new();
    // No key takes a date-time, but serde reads one into a string as its
    // text: each is a type error, removed like the others.
    let mut dates = Vec::new();
    datetimes(&value, &mut Vec::new(), &mut dates);
    for steps in dates {
        let key = join(&steps_text(&steps));
        let given = value_at(&value, &steps).map(value_text).unwrap_or_default();
        errors.push(InputError {
            origin: locate(&key),
            key,
            value: given,
            rule: "has the wrong type: no key takes a date-time".into(),
        });
        remove_at(&mut value, &steps);
        removed.push(steps);
    }
    for _ in 0..=MAX_TYPE_ERRORS {
        let mut unknown = Vec::new();
        let result: Result<T, serde_path_to_error::Error<toml::de::Error>> = {
            // serde_ignored writes `?` for the step into an Option (an
            // optional table such as `lending`): not a key of the file.
            let mut track = |p: serde_ignored::Path<'_>| {
                let key: Vec<String> = p.to_string().split('.').filter(|s| *s != "?").map(String::from).collect();
                unknown.push(key.join("."))
            };
            let ignoring = serde_ignored::Deserializer::new(value.clone(), &mut track);
            serde_path_to_error::deserialize(ignoring)
        };
        let unknown = unknown.iter().map(|p| {
            let key = join(p);
            InputError { origin: locate(&key), key, value: String::new(), rule: "is not a known key".into() }
        });
        let e = match result {
            Ok(t) => {
                errors.extend(unknown);
                return (Some(t), errors);
            }
            Err(e) => e,
        };
        let steps: Vec<Step> = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(Step::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(Step::Key(key.clone())),
                _ => None,
            })
            .collect();
        let message = e.into_inner().to_string();
        let message = message.trim();
        let missing = message.starts_with("missing field");
        // An array goes whole (removing one element would shift the rest);
        // so does a table missing a required key.
        let first_index = steps.iter().position(|s| matches!(s, Step::Index(_)));
        let target: Vec<Step> = match first_index {
            Some(i) if missing || matches!(steps.last(), Some(Step::Index(_))) => steps[..i].to_vec(),
            _ => steps.clone(),
        };
        // A required key missing because an earlier error removed it (or
        // something under it) is not another mistake.
        let consequence = missing && removed.iter().any(|r| r.starts_with(&target) || target.starts_with(r));
        if !consequence {
            let key = join(&steps_text(&steps));
            let given = value_at(&value, &steps).map(value_text).unwrap_or_default();
            let rule = match message.rsplit_once(", expected ") {
                Some((_, expected)) if message.starts_with("invalid type") => {
                    format!("has the wrong type: expected {}", friendly_type(expected))
                }
                _ => format!("is not valid: {message}"),
            };
            errors.push(InputError { origin: locate(&key), key, value: given, rule });
        }
        if target.is_empty() || !remove_at(&mut value, &target) {
            errors.extend(unknown);
            return (None, errors);
        }
        removed.push(target);
    }
    (None, errors)
}

/// The paths of every date-time in `v`, in document order (an array
/// holding one goes whole, as a type error in an array does).
fn datetimes(v: &toml::Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        toml::Value::Datetime(_) => out.push(at.clone()),
        toml::Value::Table(t) => {
            for (k, v) in t {
                at.push(Step::Key(k.clone()));
                datetimes(v, at, out);
                at.pop();
            }
        }
        toml::Value::Array(a) => {
            let mut inner = Vec::new();
            for (i, v) in a.iter().enumerate() {
                at.push(Step::Index(i));
                datetimes(v, at, &mut inner);
                at.pop();
            }
            if !inner.is_empty() {
                out.push(at.clone());
            }
        }
        _ => {}
    }
}

/// `a.b[2].c`
fn steps_text(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn value_at<'v>(v: &'v toml::Value, steps: &[Step]) -> Option<&'v toml::Value> {
    steps.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.as_table()?.get(k),
        Step::Index(i) => v.as_array()?.get(*i),
    })
}

/// Remove the key (or array element) at `steps`; false when it is not
/// there.
fn remove_at(v: &mut toml::Value, steps: &[Step]) -> bool {
    let Some((last, parents)) = steps.split_last() else { return false };
    let mut v = v;
    for s in parents {
        let next = match s {
            Step::Key(k) => v.as_table_mut().and_then(|t| t.get_mut(k)),
            Step::Index(i) => v.as_array_mut().and_then(|a| a.get_mut(*i)),
        };
        match next {
            Some(n) => v = n,
            None => return false,
        }
    }
    match last {
        Step::Key(k) => v.as_table_mut().and_then(|t| t.remove(k)).is_some(),
        Step::Index(i) => match v.as_array_mut() {
            Some(a) if *i < a.len() => {
                a.remove(*i);
                true
            }
            _ => false,
        },
    }
}

/// A value as TOML text on one line.
fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let items: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {}", value_text(v))).collect();
            format!("{{ {} }}", items.join(", "))
        }
        toml::Value::Array(a) => format!("[{}]", a.iter().map(value_text).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// serde's name of an expected type in words.
fn friendly_type(expected: &str) -> String {
    let e = expected.lines().next().unwrap_or("").trim().trim_end_matches('.');
    match e {
        "i64" | "i32" | "u64" | "u32" | "usize" | "i8" | "u8" | "i16" | "u16" => "a whole number".into(),
        "f64" | "f32" => "a number".into(),
        "a boolean" | "bool" => "true or false".into(),
        "a string" | "a borrowed string" => "a string".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        _ if e.starts_with("struct ") => "a table".into(),
        _ if e.starts_with("a sequence") => "an array".into(),
        _ => e.to_string(),
    }
}

/// Apply one `--set KEY=VALUE` to the document; returns the key.
fn apply_set(doc: &mut DocumentMut, set: &str) -> Result<String, InputError> {
    let bad = |key: &str, value: &str, rule: String| InputError {
        key: key.to_string(),
        value: value.to_string(),
        rule,
        origin: Origin::Set,
    };
    let Some((key, value)) = set.split_once('=') else {
        return Err(bad(set, "", "must be KEY=VALUE, e.g. simulation.paths=2000".into()));
    };
    let key = key.trim();
    let value_text = value.trim();
    // Refused before any table is built for it (a key thousands of levels
    // deep overflowed the stack in deserialisation).
    if let Some(rule) = crate::limits::key_depth_rule(key) {
        let shown: String = key.chars().take(40).collect();
        return Err(bad(&format!("{shown}..."), value_text, rule));
    }
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(bad(key, value_text, "is not a dotted key path".into()));
    }
    // A TOML value; a bare word that is not TOML is taken as a string.
    let value: toml_edit::Value = value_text.parse().unwrap_or_else(|_| toml_edit::Value::from(value_text.to_string()));
    let mut table: &mut Table = doc.as_table_mut();
    for (i, part) in parts[..parts.len() - 1].iter().enumerate() {
        let entry = table.entry(part).or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        if let Some(inline) = entry.as_inline_table().cloned() {
            *entry = Item::Table(inline.into_table());
        }
        table = match entry.as_table_mut() {
            Some(t) => t,
            None => {
                let at = parts[..=i].join(".");
                return Err(bad(key, value_text, format!("cannot be set: `{at}` is a value, not a table")));
            }
        };
    }
    table.insert(parts[parts.len() - 1], Item::Value(value));
    Ok(key.to_string())
}

/// Where the key `a.b[1].c` is in a scenario file's text: its line and
/// column when the file has it (for errors that come from one of the
/// file's tables, such as a `[[sweep]]` value).
pub fn file_origin(source: &str, key: &str) -> Origin {
    let line = toml_edit::Document::parse(source.to_string())
        .ok()
        .and_then(|d| lookup_span(d.as_table(), key))
        .map(|off| line_col(source, off));
    Origin::File { line }
}

/// `a.b[2].c` -> `a.b.c`
fn strip_indices(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut depth = 0;
    for c in key.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Byte offset of the value (or table) at a dotted key path (`a.b[1].c`:
/// indices step into arrays and arrays of tables), when the file has it;
/// else of the nearest enclosing key the file has (a default that breaks a
/// rule is placed at its table's header), or `None` when not even the first
/// part of the key is in the file.
fn lookup_span(root: &Table, key: &str) -> Option<usize> {
    let mut best = None;
    let mut span = None;
    let mut table: Option<&dyn toml_edit::TableLike> = Some(root);
    for part in key.split('.') {
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        let Some((k, it)) = table.and_then(|t| t.get_key_value(name)) else {
            return best;
        };
        best = k.span().or_else(|| it.span()).map(|s| s.start).or(best);
        span = it.span().map(|s| s.start);
        table = it.as_table_like();
        let mut item = Some(it);
        let mut value: Option<&toml_edit::Value> = None;
        for i in rest.split('[').filter_map(|x| x.trim_end_matches(']').parse::<usize>().ok()) {
            if let Some(a) = item.and_then(|n| n.as_array_of_tables()) {
                let Some(t) = a.get(i) else {
                    return best;
                };
                span = t.span().map(|s| s.start);
                table = Some(t);
                value = None;
            } else if let Some(a) = item.and_then(|n| n.as_array()).or(value.and_then(|v| v.as_array())) {
                let Some(v) = a.get(i) else {
                    return best;
                };
                span = v.span().map(|s| s.start);
                table = v.as_inline_table().map(|t| t as &dyn toml_edit::TableLike);
                value = Some(v);
            } else {
                return best;
            }
            item = None;
            best = span.or(best);
        }
    }
    span.or(best)
}

/// 1-based line and column of a byte offset.
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}
