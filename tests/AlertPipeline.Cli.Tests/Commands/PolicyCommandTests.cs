using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Respond;
using Azure.Data.Tables;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary><c>policy push</c> and <c>policy list</c> against Azurite (Table <c>responsepolicy</c>).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class PolicyCommandTests(AzuriteFixture azurite) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("alertpipe-policy-");

    // Ids no other test uses: the Azurite account (and its responsepolicy table) is shared.
    private readonly string _prefix = "p" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir.FullName, "policy.json");
        File.WriteAllText(path, json);
        return path;
    }

    private async Task<IReadOnlyList<ResponsePolicyEntry>> StoredAsync()
        => [.. (await new TableResponsePolicyStore(new TableServiceClient(azurite.ConnectionString)).ListAsync(CancellationToken.None))
            .Where(e => e.Id.StartsWith(_prefix, StringComparison.Ordinal))];

    [Fact]
    public async Task Push_writes_every_entry_and_list_shows_them()
    {
        var path = Write($$"""
            [
              { "id": "{{_prefix}}-research", "level": "critical", "team": "research", "environment": "prod",
                "channels": ["email", "teams", "shutdown"], "recipients": ["research-oncall@example.com"], "shutdown": "approval" },
              // comments are allowed
              { "id": "{{_prefix}}-noisy", "level": "high", "ruleId": "6f1c2a0e-0000-4000-8000-000000000001", "channels": [] },
            ]
            """);

        var push = await CliRun.RunAsync("policy", "push", path, "--storage", azurite.ConnectionString);

        Assert.Equal((0, ""), (push.ExitCode, push.Stderr));
        Assert.Contains("pushed 2 entries", push.Stdout, StringComparison.Ordinal);
        var stored = await StoredAsync();
        Assert.Equal([$"{_prefix}-noisy", $"{_prefix}-research"], stored.Select(e => e.Id));
        Assert.Equal(("approval", "research-oncall@example.com"), (stored[1].Shutdown, Assert.Single(stored[1].Recipients)));

        var list = await CliRun.RunAsync("policy", "list", "--storage", azurite.ConnectionString);
        Assert.Equal(0, list.ExitCode);
        var line = Assert.Single(list.Stdout.Split('\n'), l => l.StartsWith($"{_prefix}-research", StringComparison.Ordinal));
        Assert.Contains("approval", line, StringComparison.Ordinal);
        Assert.Contains("email,teams,shutdown", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_with_an_invalid_entry_writes_nothing_and_names_each_problem()
    {
        var path = Write($$"""
            [
              { "id": "{{_prefix}}-ok", "level": "high", "channels": ["teams"] },
              { "id": "{{_prefix}}-bad", "level": "severe", "channels": ["pager"], "shutdown": "sometimes" }
            ]
            """);

        var push = await CliRun.RunAsync("policy", "push", path, "--storage", azurite.ConnectionString);

        Assert.Equal(1, push.ExitCode);
        Assert.Contains($"entry 2 ({_prefix}-bad): level 'severe'", push.Stderr, StringComparison.Ordinal);
        Assert.Contains("channel 'pager'", push.Stderr, StringComparison.Ordinal);
        Assert.Contains("shutdown 'sometimes'", push.Stderr, StringComparison.Ordinal);
        Assert.Empty(await StoredAsync());
    }

    [Fact]
    public async Task Push_needs_a_readable_file_and_storage()
    {
        Assert.Equal(2, (await CliRun.RunAsync("policy", "push", Path.Combine(_dir.FullName, "missing.json"), "--storage", azurite.ConnectionString)).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync("policy", "push", Write("[]"))).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync("policy", "remove")).ExitCode);
    }
}
