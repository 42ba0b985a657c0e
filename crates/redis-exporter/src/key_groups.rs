//! `--check-key-groups`: keys of every database grouped by Lua patterns
//! (the captures of the first matching pattern name the group), counted
//! and summed by MEMORY USAGE, at most `--max-distinct-key-groups` groups
//! per database plus an `overflow` group. The grouping runs server-side in
//! a script over one SCAN batch at a time, as upstream, so the patterns
//! keep Lua semantics.

use std::collections::HashMap;
use std::time::Instant;

use exporter_kit::Emitter;
use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::descs::Descs;
use crate::resp;

const SCRIPT: &str = r#"
local cursor, count = ARGV[1], ARGV[2]
local scanned = redis.call("SCAN", cursor, "COUNT", count)
local totals = {}
for _, key in ipairs(scanned[2]) do
  local bytes = redis.call("MEMORY", "USAGE", key) or 0
  local name = "unclassified"
  for p = 3, #ARGV do
    local found = {string.find(key, ARGV[p])}
    if found[1] ~= nil then
      name = table.concat(found, "", 3)
      break
    end
  end
  local t = totals[name]
  if t == nil then
    totals[name] = {1, bytes}
  else
    t[1] = t[1] + 1
    t[2] = t[2] + bytes
  end
end
local reply = {}
for name, t in pairs(totals) do
  reply[#reply + 1] = {name, t[1], t[2]}
end
return {scanned[1], reply}
"#;

/// The `--check-key-groups` value: comma separated, CSV-quoted patterns.
pub fn parse_groups(arg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = arg.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Group {
    count: i64,
    bytes: i64,
}

pub async fn collect(
    d: &Descs,
    conn: &mut MultiplexedConnection,
    patterns: &[String],
    db_count: usize,
    batch: i64,
    max_groups: i64,
    out: &mut Emitter,
) {
    let start = Instant::now();
    if !patterns.is_empty() {
        let script = redis::Script::new(SCRIPT);
        for db in 0..db_count {
            if let Err(e) = redis::cmd("SELECT").arg(db).query_async::<()>(conn).await {
                tracing::error!(db, error = %e, "cannot select database for key groups");
                continue;
            }
            match groups(conn, &script, patterns, batch).await {
                Ok(groups) if !groups.is_empty() => {
                    emit(d, &format!("db{db}"), groups, max_groups, out)
                }
                Ok(_) => {}
                Err(e) => tracing::error!(db, error = %e, "key groups script failed"),
            }
        }
    }
    out.gauge(
        &d.last_key_groups_scrape_duration_ms,
        &[],
        start.elapsed().as_millis() as f64,
    );
}

async fn groups(
    conn: &mut MultiplexedConnection,
    script: &redis::Script,
    patterns: &[String],
    batch: i64,
) -> redis::RedisResult<HashMap<String, Group>> {
    let mut all: HashMap<String, Group> = HashMap::new();
    let mut cursor = "0".to_string();
    loop {
        let mut inv = script.prepare_invoke();
        inv.arg(&cursor).arg(batch.max(1));
        for p in patterns {
            inv.arg(p);
        }
        let reply: Value = inv.invoke_async(conn).await?;
        let Some([next, rows]) = resp::array(&reply).and_then(|a| <&[Value; 2]>::try_from(a).ok())
        else {
            return Err(redis::RedisError::from((
                redis::ErrorKind::Parse,
                "unexpected key groups reply",
            )));
        };
        for row in resp::array(rows).unwrap_or_default() {
            let Some([name, count, bytes]) =
                resp::array(row).and_then(|a| <&[Value; 3]>::try_from(a).ok())
            else {
                continue;
            };
            let g = all.entry(resp::text(name).unwrap_or_default()).or_default();
            g.count += resp::int(count).unwrap_or(0);
            g.bytes += resp::int(bytes).unwrap_or(0);
        }
        cursor = resp::text(next).unwrap_or_else(|| "0".to_string());
        if cursor == "0" {
            return Ok(all);
        }
    }
}

fn emit(d: &Descs, db: &str, groups: HashMap<String, Group>, max_groups: i64, out: &mut Emitter) {
    let distinct = groups.len();
    let mut sorted: Vec<(String, Group)> = groups.into_iter().collect();
    // most memory first; ties by count, then name, as upstream
    sorted.sort_by(|a, b| {
        b.1.bytes
            .cmp(&a.1.bytes)
            .then(a.1.count.cmp(&b.1.count))
            .then(a.0.cmp(&b.0))
    });
    let keep = usize::try_from(max_groups.max(0)).unwrap_or(usize::MAX);
    let mut overflow = Group::default();
    for (i, (name, g)) in sorted.iter().enumerate() {
        if distinct > keep && i >= keep {
            overflow.count += g.count;
            overflow.bytes += g.bytes;
            continue;
        }
        out.gauge(&d.key_group_count, &[db, name], g.count as f64);
        out.gauge(&d.key_group_memory_usage_bytes, &[db, name], g.bytes as f64);
    }
    if distinct > keep {
        out.gauge(&d.key_group_count, &[db, "overflow"], overflow.count as f64);
        out.gauge(
            &d.key_group_memory_usage_bytes,
            &[db, "overflow"],
            overflow.bytes as f64,
        );
    }
    out.gauge(&d.number_of_distinct_key_groups, &[db], distinct as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_beyond_the_cap_go_to_overflow() {
        let d = Descs::new("redis").unwrap();
        let mut groups = HashMap::new();
        groups.insert(
            "big".to_string(),
            Group {
                count: 1,
                bytes: 900,
            },
        );
        groups.insert(
            "mid".to_string(),
            Group {
                count: 5,
                bytes: 500,
            },
        );
        groups.insert(
            "small".to_string(),
            Group {
                count: 2,
                bytes: 10,
            },
        );
        let mut out = Emitter::new();
        emit(&d, "db0", groups, 1, &mut out);
        let t = exporter_kit::testing::to_text(&out.into_families());
        assert!(
            testkit::has_sample(
                &t,
                "redis_key_group_memory_usage_bytes{db=\"db0\",key_group=\"big\"} 900\n"
            ),
            "{t}"
        );
        assert!(
            testkit::has_sample(
                &t,
                "redis_key_group_count{db=\"db0\",key_group=\"overflow\"} 7\n"
            ),
            "{t}"
        );
        assert!(testkit::has_sample(
            &t,
            "redis_key_group_memory_usage_bytes{db=\"db0\",key_group=\"overflow\"} 510\n"
        ));
        assert!(!t.contains("key_group=\"mid\""));
        assert!(t.contains("redis_number_of_distinct_key_groups{db=\"db0\"} 3\n"));
    }

    #[test]
    fn groups_arg_is_csv() {
        assert_eq!(
            parse_groups(r#"^(user):%d+, "^(a,b)"  ,,"#),
            vec!["^(user):%d+".to_string(), "^(a,b)".to_string()]
        );
    }
}
