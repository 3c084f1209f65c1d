-- SLA terms (issue 16 item 4): the target and calendar each stored deadline was judged by
-- (`domain::terms::Rules` as JSON), so that a reader holding only the incident knows a paused
-- calendar clock's open time left. Before this version every clock was 24x7, which the empty
-- object means; the next write or change of policy judges the incident again and fills it.
ALTER TABLE incidents ADD COLUMN clock_rules TEXT NOT NULL DEFAULT '{}';
