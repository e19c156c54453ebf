//! The examples in `examples/cluster/`, checked without a cluster.
//!
//! `.ci/slurm.sh` runs the Slurm example on a real single-node Slurm. No
//! Kubernetes is at hand offline, so `kubernetes.yaml` is checked here by its
//! shape: a shared claim, an Indexed Job whose pods run shard
//! `JOB_COMPLETION_INDEX + 1` of N into the claim, and a suspended merge Job
//! that reads the same folder. The pods' shell scripts, and the Slurm
//! script's array tasks, run here with a stub `scalesim` that prints its
//! arguments: each pod runs its own shard, and both examples run one sweep.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use super::{at, root};

/// Reads `examples/cluster/kubernetes.yaml`: its documents, in order.
fn manifest() -> Vec<Value> {
    let text = fs::read_to_string(root().join("examples/cluster/kubernetes.yaml")).unwrap();
    serde_saphyr::from_multiple::<Value>(&text)
        .unwrap_or_else(|e| panic!("kubernetes.yaml is not valid YAML: {e}"))
}

/// Returns the string at a dotted `path`, failing the test when it is absent or not a string.
fn text<'a>(value: &'a Value, path: &str) -> &'a str {
    at(value, path)
        .as_str()
        .unwrap_or_else(|| panic!("`{path}` is not a string: {}", at(value, path)))
}

/// Returns the positive integer at a dotted `path`.
fn count(value: &Value, path: &str) -> u64 {
    match at(value, path).as_u64() {
        Some(n) if n > 0 => n,
        _ => panic!("`{path}` is not a positive integer: {}", at(value, path)),
    }
}

/// Returns the first element of the array at a dotted `path`.
fn first<'a>(value: &'a Value, path: &str) -> &'a Value {
    at(value, path)
        .as_array()
        .and_then(|items| items.first())
        .unwrap_or_else(|| panic!("`{path}` is not a non-empty list: {}", at(value, path)))
}

/// Checks that a Job is a `batch/v1` Job named `name`, that its pods never
/// restart in place and name an image, and that they mount the claim `claim`
/// at `/shards`.
fn check_job(job: &Value, name: &str, claim: &str) {
    assert_eq!(text(job, "apiVersion"), "batch/v1", "{name}");
    assert_eq!(text(job, "kind"), "Job", "{name}");
    assert_eq!(text(job, "metadata.name"), name);
    let pod = at(job, "spec.template.spec");
    assert_eq!(text(pod, "restartPolicy"), "Never", "{name}");
    let container = first(pod, "containers");
    assert!(
        !text(container, "image").is_empty(),
        "{name} names no image"
    );
    let mount = first(container, "volumeMounts");
    assert_eq!(text(mount, "mountPath"), "/shards", "{name}");
    let volume = first(pod, "volumes");
    assert_eq!(
        text(volume, "name"),
        text(mount, "name"),
        "{name}: the mount names no volume"
    );
    assert_eq!(
        text(volume, "persistentVolumeClaim.claimName"),
        claim,
        "{name}"
    );
}

/// Returns a container's `command` and `args`, as one argv.
#[cfg(unix)]
fn argv(container: &Value) -> Vec<String> {
    ["command", "args"]
        .iter()
        .flat_map(|key| at(container, key).as_array().unwrap().iter())
        .map(|arg| arg.as_str().unwrap().to_owned())
        .collect()
}

/// Runs `argv` with `env`, a stub `scalesim` first on the PATH; returns the
/// arguments the stub got.
#[cfg(unix)]
fn run_with_stub(argv: &[String], env: &[(&str, String)]) -> Vec<String> {
    let bin = TempDir::new().unwrap();
    let stub = bin.path().join("scalesim");
    fs::write(&stub, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n").unwrap();
    make_executable(&stub);
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(&argv[0]);
    command
        .args(&argv[1..])
        .current_dir(root())
        .env("PATH", path);
    for var in [
        "SHARDS",
        "CPUS",
        "SCENARIO",
        "CORES",
        "RATES",
        "REPLICATIONS",
        "SCALESIM",
    ] {
        command.env_remove(var);
    }
    let output = command
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{argv:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Lets the owner run `path`.
#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Returns the value that follows `flag` in `args`.
#[cfg(unix)]
fn after<'a>(args: &'a [String], flag: &str) -> &'a str {
    let i = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("no {flag} in {args:?}"));
    &args[i + 1]
}

#[test]
fn kubernetes_manifest_is_a_claim_an_indexed_job_and_a_merge_job() {
    let docs = manifest();
    assert_eq!(
        docs.len(),
        3,
        "expected a claim, the sweep Job and the merge Job"
    );

    let claim = &docs[0];
    assert_eq!(text(claim, "apiVersion"), "v1");
    assert_eq!(text(claim, "kind"), "PersistentVolumeClaim");
    let claim_name = text(claim, "metadata.name");
    assert_eq!(
        first(claim, "spec.accessModes").as_str(),
        Some("ReadWriteMany")
    );
    assert!(!text(claim, "spec.resources.requests.storage").is_empty());

    let sweep = &docs[1];
    check_job(sweep, "scalesim-sweep", claim_name);
    assert_eq!(text(sweep, "spec.completionMode"), "Indexed");
    let completions = count(sweep, "spec.completions");
    let parallelism = count(sweep, "spec.parallelism");
    assert!(
        parallelism <= completions,
        "parallelism {parallelism} > completions {completions}"
    );
    let shard = first(sweep, "spec.template.spec.containers");
    let shards = first(shard, "env");
    assert_eq!(text(shards, "name"), "SHARDS");
    assert_eq!(
        text(shards, "value"),
        completions.to_string(),
        "SHARDS must equal completions"
    );

    let merge = &docs[2];
    check_job(merge, "scalesim-merge", claim_name);
    assert_eq!(
        at(merge, "spec.suspend"),
        &Value::Bool(true),
        "the merge must wait to be resumed"
    );
}

#[test]
#[cfg(unix)]
fn kubernetes_pods_run_every_shard_once_and_the_merge_reads_them() {
    let docs = manifest();
    let shard = first(&docs[1], "spec.template.spec.containers");
    let n = count(&docs[1], "spec.completions");
    for index in 0..n {
        let args = run_with_stub(
            &argv(shard),
            &[
                ("JOB_COMPLETION_INDEX", index.to_string()),
                ("SHARDS", n.to_string()),
            ],
        );
        assert_eq!(args[0], "sweep", "{args:?}");
        let k = index + 1;
        assert_eq!(after(&args, "--shard"), format!("{k}/{n}"), "index {index}");
        assert_eq!(
            after(&args, "--out"),
            format!("/shards/parts/{k}"),
            "index {index}"
        );
    }

    let merge = first(&docs[2], "spec.template.spec.containers");
    let args = run_with_stub(&argv(merge), &[]);
    assert_eq!(args[0], "merge", "{args:?}");
    // No /shards here, so the shell leaves the pattern as it is.
    assert_eq!(args[1], "/shards/parts/*", "{args:?}");
    assert_eq!(after(&args, "--out"), "/shards/results");
}

#[test]
#[cfg(unix)]
fn slurm_and_kubernetes_examples_run_the_same_sweep() {
    let docs = manifest();
    let pod = first(&docs[1], "spec.template.spec.containers");
    let n = count(&docs[1], "spec.completions");
    let script = vec!["bash".to_owned(), "examples/cluster/slurm.sh".to_owned()];
    for k in 1..=n {
        let on_kubernetes = run_with_stub(
            &argv(pod),
            &[
                ("JOB_COMPLETION_INDEX", (k - 1).to_string()),
                ("SHARDS", n.to_string()),
            ],
        );
        // An array task of the script's submission, with its default sweep.
        let on_slurm = run_with_stub(
            &script,
            &[
                ("SHARDS", n.to_string()),
                ("SLURM_JOB_ID", "7".to_owned()),
                ("SLURM_ARRAY_TASK_ID", k.to_string()),
                ("SLURM_CPUS_PER_TASK", "4".to_owned()),
            ],
        );
        assert_eq!(after(&on_slurm, "--shard"), format!("{k}/{n}"));
        assert_eq!(after(&on_slurm, "--out"), format!("shards/{k}"));
        let sweep =
            |args: &[String]| args[..args.iter().position(|a| a == "--shard").unwrap()].to_vec();
        assert_eq!(sweep(&on_slurm), sweep(&on_kubernetes), "shard {k}");
    }
}
