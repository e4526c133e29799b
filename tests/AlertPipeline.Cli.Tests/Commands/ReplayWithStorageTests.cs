using System.Text.Json;
using AlertPipeline.Adapters.Tests.Storage;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary>
/// <c>rules push</c> and <c>replay --storage</c> against Azurite: the rules come from Table <c>rules</c>, the alerts
/// land in Table <c>alerts</c>, and replaying the same files again (a redelivery) changes nothing.
/// </summary>
public sealed class ReplayWithStorageTests : IClassFixture<AzuriteFixture>
{
    private readonly AzuriteFixture _azurite;

    public ReplayWithStorageTests(AzuriteFixture azurite) => _azurite = azurite;

    private static List<(string AlertId, long Events)> Alerts(CliRun run) => ReplayOutput.AlertLines(run.Stdout)
        .Select(line => JsonDocument.Parse(line).RootElement)
        .Select(a => (a.GetProperty("alertId").GetString()!, a.GetProperty("eventCount").GetInt64()))
        .OrderBy(a => a.Item1, StringComparer.Ordinal)
        .ToList();

    [Fact]
    public async Task Pushed_rules_drive_a_stored_replay_that_matches_the_embedded_one_and_is_idempotent()
    {
        var push = await CliRun.RunAsync("rules", "push", Path.Combine(CliRun.RepoRoot, "rules"), "--storage", _azurite.ConnectionString);
        Assert.True(push.ExitCode == 0, push.Stderr);
        var list = await CliRun.RunAsync("rules", "list", "--storage", _azurite.ConnectionString, "--pack", "default");
        var ruleFiles = Directory.GetFiles(Path.Combine(CliRun.RepoRoot, "rules", "default"), "*.yml").Length;
        Assert.Equal(ruleFiles, list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("default", StringComparison.Ordinal)));

        var embedded = await RomeIncidentSample.ReplayAsync("--rules", Path.Combine(CliRun.RepoRoot, "rules"), "--output", "json");
        var stored = await RomeIncidentSample.ReplayAsync("--storage", _azurite.ConnectionString, "--output", "json");
        var again = await RomeIncidentSample.ReplayAsync("--storage", _azurite.ConnectionString, "--output", "json");

        Assert.True(stored.ExitCode == 0, stored.Stderr);
        Assert.NotEmpty(Alerts(stored));
        Assert.Equal(Alerts(embedded), Alerts(stored));
        Assert.Equal(Alerts(stored), Alerts(again)); // same ids, same counts: the redelivered events were not counted twice

        var table = _azurite.TableService.GetTableClient("alerts");
        var rows = new List<string>();
        await foreach (var row in table.QueryAsync<Azure.Data.Tables.TableEntity>(select: ["RowKey"]))
        {
            rows.Add(row.RowKey);
        }

        Assert.Equal(Alerts(stored).Select(a => a.AlertId).Order(StringComparer.Ordinal), rows.Distinct().Order(StringComparer.Ordinal));
    }
}
