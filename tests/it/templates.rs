//! `incident log` through the real binary: user overrides, the template context, broken templates.

use crate::common::Env;

#[test]
fn a_user_template_replaces_the_builtin_and_sees_the_documented_context() {
    let env = Env::new();
    env.run(&[
        "open",
        "P2",
        "Redis <down>",
        "-d",
        "API gateway in CrashLoopBackOff",
    ])
    .ok();
    let context = env.json(&["log", "1", "--context"]);
    assert_eq!(context["incident"]["title"], "Redis <down>");
    assert_eq!(context["incident"]["timeline"][0]["kind"], "opened");
    assert_eq!(context["generated_at"], "2026-11-29T10:00:00Z");

    let dir = env.home().join("tpl");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("log.txt"),
        "#{{ incident.number }} {{ incident.severity }} {{ incident.title }} respond by {{ incident.sla.respond_by | datetime }}\n",
    )
    .unwrap();
    let d = dir.to_str().unwrap();
    let out = env.run(&["log", "1", "--template-dir", d]);
    assert_eq!(out.ok(), "#1 P2 Redis <down> respond by 2026-11-29 14:00\n");
    // The same directory from the environment; and an HTML template escapes what users typed.
    std::fs::write(dir.join("log.html"), "<h1>{{ incident.title }}</h1>\n").unwrap();
    let html = env
        .command(&["log", "1", "--template", "log.html"])
        .env("INCIDENT_TEMPLATES", d)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&html.stdout),
        "<h1>Redis &lt;down&gt;</h1>\n"
    );
}

#[test]
fn a_broken_template_names_its_file_and_line_and_writes_nothing() {
    let env = Env::new();
    env.run(&["open", "P3", "x"]).ok();
    let dir = env.home().join("tpl");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("log.txt"),
        "INCIDENT #: {{ incident.number }}\nOWNER: {{ incident.owner }}\n",
    )
    .unwrap();
    let out_file = env.home().join("report.txt");
    let run = env.run(&[
        "log",
        "1",
        "--template-dir",
        dir.to_str().unwrap(),
        "--out",
        out_file.to_str().unwrap(),
    ]);
    let line = run.err();
    assert!(
        line.contains(&format!(
            "template {} line 2: ",
            dir.join("log.txt").display()
        )),
        "{line}"
    );
    assert!(line.contains("undefined"), "{line}");
    assert!(!out_file.exists(), "nothing half-rendered is written");
    assert_eq!(
        std::fs::read_dir(env.home())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".tmp")
            })
            .count(),
        0,
        "no temporary file is left behind"
    );

    // The built-in one still renders, to a file.
    let ok = env.run(&["log", "1", "--out", out_file.to_str().unwrap()]);
    assert_eq!(ok.ok(), "");
    assert!(
        std::fs::read_to_string(&out_file)
            .unwrap()
            .starts_with("INCIDENT #: 1\nDATE: 2026-11-29 10:00\nSEVERITY: P3\nSTATUS: OPEN\n")
    );
}
