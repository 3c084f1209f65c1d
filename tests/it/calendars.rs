//! `[calendars.NAME]` through the binary: a good holiday file (Google Calendar's export shape,
//! yearly rule) is read and shown by `config show`; every mistake — in the hours, the zone, the
//! calendar a clock names, a line of the .ics, a timed event in it — is one line naming the
//! config file and line (and the .ics and its line), exit 1, the database untouched. The
//! clocks on a calendar are tested with the SLA (tests of the lead's clock wiring).

use crate::common::Env;

/// Google Calendar's export of a shared holiday calendar: CRLF, folded lines, a VTIMEZONE,
/// unicode and escaped commas, a yearly two-day Christmas and a one-off day. (`\x20` is the
/// folded line's leading space, which a string continuation would swallow.)
const HOLIDAYS_ICS: &str = "BEGIN:VCALENDAR\r\n\
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n\
VERSION:2.0\r\n\
CALSCALE:GREGORIAN\r\n\
METHOD:PUBLISH\r\n\
X-WR-CALNAME:Büro Berlin – Feiertage\r\n\
X-WR-TIMEZONE:Europe/Berlin\r\n\
BEGIN:VTIMEZONE\r\n\
TZID:Europe/Berlin\r\n\
BEGIN:STANDARD\r\n\
TZOFFSETFROM:+0200\r\n\
TZOFFSETTO:+0100\r\n\
TZNAME:CET\r\n\
DTSTART:19701025T030000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n\
END:STANDARD\r\n\
END:VTIMEZONE\r\n\
BEGIN:VEVENT\r\n\
DTSTART;VALUE=DATE:20261225\r\n\
DTEND;VALUE=DATE:20261227\r\n\
RRULE:FREQ=YEARLY\r\n\
DTSTAMP:20261101T120000Z\r\n\
UID:weihnachten@google.com\r\n\
DESCRIPTION:Erster und zweiter Weihnachtstag\\, das Büro ist geschlossen. Rufb\r\n\
\x20ereitschaft wie an Wochenenden.\r\n\
SUMMARY:Weihnachten 🎄\\, Büro geschlossen\r\n\
TRANSP:TRANSPARENT\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
DTSTART;VALUE=DATE:20261231\r\n\
DTSTAMP:20261101T120000Z\r\n\
UID:silvester-2026@google.com\r\n\
SUMMARY:Silvester\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";

const GOOD: &str = r#"[sla.P3]
respond = "24h"
resolve = "24h"
calendar = "business"

[calendars.business]
hours = ["Mon-Fri 09:00-17:00"]
timezone = "Europe/Berlin"
holidays = ["2026-12-24"]
holidays_file = "holidays.ics"
"#;

#[test]
fn a_holiday_file_with_a_yearly_rule_is_read_and_shown() {
    let env = Env::new();
    let config = env.write_config(GOOD);
    std::fs::write(config.with_file_name("holidays.ics"), HOLIDAYS_ICS).unwrap();
    let shown = env.run(&["config", "show"]);
    let text = shown.ok();
    // 2026..=2100: 75 Christmases of two days, New Year's Eve 2026, and the 24th from the
    // config's own list.
    assert!(
        text.contains(
            "calendar   business (Mon-Fri 09:00-17:00, Europe/Berlin, 152 holidays), 2026-12-24 to 2100-12-26\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("sla P3     respond 1d, resolve 1d (on calendar business)\n"),
        "{text}"
    );
    assert!(
        text.contains("sla P1     respond 15m, resolve 1h\n"),
        "{text}"
    );
    env.run(&["open", "P3", "Nightly export late", "--no-snapshot"])
        .ok();
    // Without any calendar, `config show` says every clock counts every hour.
    let plain = Env::new();
    let text = plain.run(&["config", "show"]);
    assert!(
        text.ok()
            .contains("calendars  (none; every clock counts every hour)\n"),
        "{}",
        text.stdout
    );
}

#[test]
fn calendar_mistakes_are_one_line_with_file_and_line_and_touch_nothing() {
    let env = Env::new();
    env.run(&["open", "P3", "Nightly export late", "--no-snapshot"])
        .ok();
    let db = env.db();
    let dir = env.home().join(".config/incident");
    let ics = dir.join("holidays.ics");
    let with_ics = |body: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x@example.com\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    let cases: Vec<(String, Option<String>, usize, Vec<String>)> = vec![
        (
            GOOD.replace("Mon-Fri 09:00-17:00", "Mon-Fri 9:00-17:00"),
            None,
            7,
            vec![
                "calendars.business.hours: hours \"Mon-Fri 9:00-17:00\": \"9:00\" is not a time of day"
                    .into(),
            ],
        ),
        (
            GOOD.replace("Europe/Berlin", "Europe/Berln"),
            None,
            8,
            vec![
                "calendars.business.timezone: unknown time zone \"Europe/Berln\"".into(),
                "IANA name like \"Europe/Berlin\"".into(),
            ],
        ),
        (
            GOOD.replace("calendar = \"business\"", "calendar = \"office\""),
            None,
            4,
            vec![
                "sla.P3.calendar: no calendar \"office\"".into(),
                "use one of \"business\", \"24x7\" (none)".into(),
            ],
        ),
        (
            GOOD.to_string(),
            // A line a text editor broke: the continuation lost its leading space.
            Some(with_ics(
                "DTSTART;VALUE=DATE:20261225\r\nSUMMARY:Christmas Day\\, office\r\nclosed all day\r\n",
            )),
            10,
            vec![
                format!("{} line 7: \"closed all day\" is not iCalendar", ics.display()),
                "fix the line or export the calendar again".into(),
            ],
        ),
        (
            GOOD.to_string(),
            Some(with_ics(
                "SUMMARY:Offsite\\, all hands\r\nDTSTART;TZID=Europe/Berlin:20261224T090000\r\nDTEND;TZID=Europe/Berlin:20261224T170000\r\n",
            )),
            10,
            vec![
                format!(
                    "{} line 6: DTSTART \"20261224T090000\" is a time, not a day",
                    ics.display()
                ),
                "make the event all-day, or delete it".into(),
            ],
        ),
    ];
    for (config, ics_text, line, needles) in cases {
        let path = env.write_config(&config);
        match &ics_text {
            Some(text) => std::fs::write(&ics, text).unwrap(),
            None => std::fs::write(&ics, HOLIDAYS_ICS).unwrap(),
        }
        let before = env.db_bytes(&db);
        let run = env.run(&["note", "1", "vendor says tomorrow"]);
        let err = run.err();
        assert!(
            err.starts_with(&format!("error: config {} line {line}: ", path.display())),
            "{err}"
        );
        for needle in needles {
            assert!(err.contains(&needle), "{needle:?} not in {err}");
        }
        assert!(env.db_bytes(&db) == before, "{err}: the database changed");
    }
}

#[test]
fn the_documented_calendar_example_loads() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sla.md")).unwrap();
    let section = &readme[readme
        .find("## Calendars")
        .expect("docs/sla.md has ## Calendars")..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let env = Env::new();
    let config = env.write_config(example);
    std::fs::write(config.with_file_name("holidays.ics"), HOLIDAYS_ICS).unwrap();
    let text = env.run(&["config", "show"]);
    assert!(
        text.ok().contains(
            "calendar   business (Mon-Fri 09:00-12:00 13:00-17:00; Sat 10:00-14:00, Europe/Berlin, 152 holidays)"
        ),
        "{}",
        text.stdout
    );
}
