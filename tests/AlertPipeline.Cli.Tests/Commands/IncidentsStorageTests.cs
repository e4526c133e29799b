using System.Text.Json;
using AlertPipeline.Adapters.Tests.Storage;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>
/// <c>incidents list|show --storage</c> against the real Table store on Azurite, fed by <c>replay --storage</c> of the
/// bundled sample: the one incident of rl-env-7731 is listed, and its story starts with the agent's tunnel tool call.
/// </summary>
public sealed class IncidentsStorageTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task A_stored_replay_of_the_sample_is_listed_as_one_incident_whose_story_starts_with_the_tunnel_call()
    {
        var replay = await RomeIncidentSample.ReplayAsync("--rules", Path.Combine(CliRun.RepoRoot, "rules"), "--storage", azurite.ConnectionString, "--output", "json");
        Assert.True(replay.ExitCode == 0, replay.Stderr);
        var replayed = JsonDocument.Parse(Assert.Single(ReplayOutput.IncidentLines(replay.Stdout))).RootElement.GetProperty("incidentId").GetString()!;

        // The table listing and the JSON listing both hold exactly the one incident.
        var table = await CliRun.RunAsync("incidents", "list", "--storage", azurite.ConnectionString);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Single(table.Stdout.Split('\n'), l => l.Contains(replayed, StringComparison.Ordinal));
        Assert.Contains("rl-env-7731", table.Stdout, StringComparison.Ordinal);

        var json = await CliRun.RunAsync("incidents", "list", "--output", "json", "--storage", azurite.ConnectionString);
        Assert.True(json.ExitCode == 0, json.Stderr);
        var listed = JsonDocument.Parse(Assert.Single(json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal((replayed, "rl-env-7731", "critical"),
            (listed.GetProperty("incidentId").GetString(), listed.GetProperty("sandboxId").GetString(), listed.GetProperty("level").GetString()));

        var show = await CliRun.RunAsync("incidents", "show", replayed, "--storage", azurite.ConnectionString);
        Assert.True(show.ExitCode == 0, show.Stderr);
        var lines = show.Stdout.Split('\n');
        Assert.StartsWith($"Incident {replayed}  sandbox rl-env-7731  status open", lines[0], StringComparison.Ordinal);

        // The timeline: after its header and first date line, the agent's tool call that opened the tunnel.
        var timeline = Array.IndexOf(lines, "timeline:");
        Assert.True(timeline > 0, show.Stdout);
        Assert.Equal("  -- 2025-11-14 --", lines[timeline + 1]);
        Assert.StartsWith("  03:12:40.265Z  tool_call    agent's bash tool call call_88123_07 ran: ssh -fNR 2222:localhost:22", lines[timeline + 2], StringComparison.Ordinal);

        // A second stored replay (a redelivery) leaves one incident.
        var again = await RomeIncidentSample.ReplayAsync("--rules", Path.Combine(CliRun.RepoRoot, "rules"), "--storage", azurite.ConnectionString, "--output", "json");
        Assert.True(again.ExitCode == 0, again.Stderr);
        var relisted = await CliRun.RunAsync("incidents", "list", "--output", "json", "--storage", azurite.ConnectionString);
        Assert.Equal(replayed, JsonDocument.Parse(Assert.Single(relisted.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement.GetProperty("incidentId").GetString());
    }
}
