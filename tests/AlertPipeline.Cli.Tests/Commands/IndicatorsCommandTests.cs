using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Adapters.Tests.Storage;
using Azure.Data.Tables;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary><c>indicators import</c> against Azurite, and the same files read by <c>replay --indicators</c>.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class IndicatorsCommandTests(AzuriteFixture azurite) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("alertpipe-indicators-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Import_writes_valid_csv_rows_and_reports_invalid_ones_by_line()
    {
        // A source no other test uses: the Azurite account is shared.
        var source = "feed" + Guid.NewGuid().ToString("N")[..8];
        var path = Write("indicators.csv", $"""
            value,source,kind,description,expires
            pool.example,{source},mining-pool,"Monero pool, stratum",2099-01-01T00:00:00Z
            198.51.100.0/24,{source},threat-intel,,
            not an indicator,{source},threat-intel,,
            2001:db8:bad::/48,{source},tunnel-service,,
            """);

        var run = await CliRun.RunAsync("indicators", "import", path, "--storage", azurite.ConnectionString);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("imported 3 indicators, skipped 1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{path}:4: skipped: value 'not an indicator' is neither", run.Stderr, StringComparison.Ordinal);
        var stored = (await new TableIndicatorStore(new TableServiceClient(azurite.ConnectionString)).ListAsync(DateTimeOffset.UtcNow, CancellationToken.None))
            .Where(i => i.Source == source).OrderBy(i => i.Value, StringComparer.Ordinal).ToList();
        Assert.Equal(["198.51.100.0/24", "2001:db8:bad::/48", "pool.example"], stored.Select(i => i.Value));
        Assert.Equal("Monero pool, stratum", stored[2].Description);
    }

    [Fact]
    public async Task Import_needs_a_file_and_storage()
    {
        var path = Write("ok.json", """[{"value":"a.example","source":"f","kind":"threat-intel"}]""");

        Assert.Equal(2, (await CliRun.RunAsync("indicators", "import", Path.Combine(_dir.FullName, "missing.json"), "--storage", azurite.ConnectionString)).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync("indicators", "import", path)).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync("indicators", "load", path)).ExitCode);
    }

    [Fact]
    public async Task Replay_matches_events_against_the_indicator_file_and_reports_invalid_rows()
    {
        var indicators = Write("indicators.json", """
            [
              {"value":"198.51.100.0/24","source":"pool-feed","kind":"mining-pool","description":"stratum endpoints"},
              {"value":"bad value","source":"pool-feed","kind":"mining-pool"}
            ]
            """);
        var events = Write("events.jsonl", """{"@timestamp":"2026-01-10T03:00:00Z","event":{"category":["network"],"type":["connection"]},"sandbox":{"id":"sbx-9"},"destination":{"ip":"198.51.100.45","port":8443}}""" + "\n");
        var rules = Path.Combine(CliRun.RepoRoot, "rules");

        var without = await CliRun.RunAsync("replay", events, "--rules", rules, "--output", "json");
        var with = await CliRun.RunAsync("replay", events, "--rules", rules, "--indicators", indicators, "--output", "json");

        Assert.Equal(0, with.ExitCode);
        Assert.Contains($"{indicators}:3: skipped", with.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Listed Mining Pool", without.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"title\":\"Sandbox Contacts a Listed Mining Pool or Tunnel Service\"", with.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"sandboxId\":\"sbx-9\"", with.Stdout, StringComparison.Ordinal);
    }
}
