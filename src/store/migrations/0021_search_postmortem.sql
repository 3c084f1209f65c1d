-- The post-mortem in full-text search (version 21): the incidents' impact, trigger and
-- detection are indexed as fields (`search_docs.kind` 'field', `ref` the column), lessons and
-- links as documents of their own (kind 'lesson', `ref` its list: 'went well', 'went wrong',
-- 'lucky'; kind 'link', `ref` 'supporting information' or 'action N bug', `body` its title and
-- URL). No table changes: the Rust step of this migration indexes what versions 18 and 19
-- recorded without indexing it.
SELECT 1;
