//! Load from `wrk` (Debian's package `wrk`), the well-known HTTP load generator: plain GETs
//! for reads, small Lua scripts for writes (each request a new address) and the mixed load.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// One wrk run, parsed from its `--latency` report.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadResult {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Non-2xx/3xx answers plus socket errors (connect, read, write, timeout).
    pub errors: u64,
}

/// What to send.
#[derive(Debug, Clone)]
pub enum Load {
    /// The same GET again and again, with optional headers.
    Get { url: String, headers: Vec<String> },
    /// A Lua script from `SCRIPTS` with its arguments, against `base`.
    Script {
        base: String,
        script: &'static str,
        args: Vec<String>,
    },
}

/// Runs wrk for `duration` with `connections` connections (two threads, one per core, fewer
/// when there is only one connection).
pub fn run(load: &Load, connections: u32, duration: Duration) -> LoadResult {
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{}", connections.min(2)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("--latency")
        .arg("--timeout")
        .arg("10s");
    match load {
        Load::Get { url, headers } => {
            for header in headers {
                command.arg("-H").arg(header);
            }
            command.arg(url);
        }
        Load::Script { base, script, args } => {
            command
                .arg("-s")
                .arg(script_file(script))
                .arg(base)
                .arg("--");
            command.args(args);
        }
    }
    let output = command
        .output()
        .expect("run wrk (install it: apt-get install wrk)");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "wrk failed: {report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse(&report).unwrap_or_else(|| panic!("unexpected wrk report:\n{report}"))
}

/// Reads requests/s, the 50th and 99th latency percentiles and the errors from wrk's report.
fn parse(report: &str) -> Option<LoadResult> {
    let mut result = LoadResult::default();
    let mut seen_rate = false;
    for line in report.lines().map(str::trim) {
        if let Some(rate) = line.strip_prefix("Requests/sec:") {
            result.requests_per_second = rate.trim().parse().ok()?;
            seen_rate = true;
        } else if let Some(p50) = line.strip_prefix("50%") {
            result.p50_ms = milliseconds(p50.trim())?;
        } else if let Some(p99) = line.strip_prefix("99%") {
            result.p99_ms = milliseconds(p99.trim())?;
        } else if let Some(non_2xx) = line.strip_prefix("Non-2xx or 3xx responses:") {
            result.errors += non_2xx.trim().parse::<u64>().ok()?;
        } else if let Some(socket) = line.strip_prefix("Socket errors:") {
            result.errors += socket
                .split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum::<u64>();
        } else if line.contains("requests in") {
            result.requests = line.split_whitespace().next()?.parse().ok()?;
        }
    }
    seen_rate.then_some(result)
}

/// wrk prints latencies as `812.00us`, `1.23ms`, `2.01s` or `1.5m`.
fn milliseconds(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => return None,
    })
}

/// The Lua scripts, by name. Each thread numbers its requests, so every write is a new address;
/// the first argument makes addresses unique across runs.
pub const API_CREATE: &str = "api-create";
/// API creates tagged as the generated data is: 1–5 tags drawn from its long-tailed vocabulary.
pub const API_CREATE_DATA_TAGS: &str = "api-create-data-tags";
pub const PINBOARD_ADD: &str = "pinboard-add";
pub const MIXED: &str = "mixed";

const COMMON_LUA: &str = r#"
local threads = {}
function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end
local counter = 0
function init(args)
  run_name = args[1]
  token = args[2]
  user = args[3]
  read_paths = {}
  for i = 4, #args do table.insert(read_paths, args[i]) end
end
function next_address()
  counter = counter + 1
  return "https://bench.example.org/" .. run_name .. "/" .. thread_number .. "/" .. counter
end
function api_create()
  local body = '{"url":"' .. next_address() .. '","title":"A benchmark bookmark","notes":"Written by the benchmark suite.","tags":["bench","write"],"visibility":"public"}'
  return wrk.format("POST", "/api/bookmarks", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
"#;

fn script_source(name: &str) -> String {
    let body = match name {
        API_CREATE => "request = api_create\n".to_owned(),
        API_CREATE_DATA_TAGS => format!(
            "{}{}",
            super::data::tag_distribution_lua(),
            r#"
-- A rank drawn as the generator draws tags (probability 1/rank^1.07), by bisection.
function tag_rank()
  local x = math.random() * tag_total
  local low, high = 1, #tag_cumulative
  while low < high do
    local middle = math.floor((low + high) / 2)
    if tag_cumulative[middle] < x then low = middle + 1 else high = middle end
  end
  return low
end
local seeded = false
request = function()
  if not seeded then
    math.randomseed(thread_number + 1)
    seeded = true
  end
  local picked, tags = {}, {}
  for _ = 1, math.random(1, 5) do
    local name = tag_names[tag_rank()]
    if not picked[name] then
      picked[name] = true
      table.insert(tags, '"' .. name .. '"')
    end
  end
  local body = '{"url":"' .. next_address() .. '","title":"A benchmark bookmark","notes":"Written by the benchmark suite.","tags":[' .. table.concat(tags, ",") .. '],"visibility":"public"}'
  return wrk.format("POST", "/api/bookmarks", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
"#
        ),
        PINBOARD_ADD => {
            r#"
function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
request = function()
  local path = "/api/v1/posts/add?auth_token=" .. urlencode(user .. ":" .. token) .. "&url=" .. urlencode(next_address()) .. "&description=A%20benchmark%20bookmark&tags=bench%20write"
  return wrk.format("GET", path)
end
"#
            .to_owned()
        }
        MIXED => {
            r#"
local reads = 0
request = function()
  if math.random() < 0.1 then
    return api_create()
  end
  reads = reads + 1
  local path = read_paths[(reads % #read_paths) + 1]
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
"#
            .to_owned()
        }
        other => panic!("no wrk script named {other}"),
    };
    format!("{COMMON_LUA}{body}")
}

fn script_file(name: &str) -> PathBuf {
    let dir = super::instance::work_dir().join("scripts");
    std::fs::create_dir_all(&dir).expect("create the script directory");
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, script_source(name)).expect("write the wrk script");
    path
}
