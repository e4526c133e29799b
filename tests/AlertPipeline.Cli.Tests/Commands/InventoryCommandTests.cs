using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Adapters.Tests.Storage;
using Azure.Data.Tables;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary><c>inventory import</c> against Azurite, and the same file read by <c>replay --inventory</c>.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class InventoryCommandTests(AzuriteFixture azurite) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("alertpipe-inventory-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string WriteInventory(string prefix)
    {
        var path = Path.Combine(_dir.FullName, "inventory.json");
        File.WriteAllText(path, $$"""
            [
              {"id":"{{prefix}}-042","addresses":[{"ip":"10.20.3.14","from":"2026-01-10T02:30:00Z","to":null}],"owner":"rl-team-lead","email":"rl-oncall@example.com","team":"rl","environment":"training","allowedEgress":["10.0.5.0/24","huggingface.co"],"protected":false,"commandQueue":"sandbox-commands"},
              {"id":"{{prefix}}-043","addresses":[{"ip":"not-an-ip","from":"2026-01-10T02:30:00Z"}]},
              {"id":"{{prefix}}-044","protected":true}
            ]
            """);
        return path;
    }

    [Fact]
    public async Task Import_writes_valid_rows_and_reports_invalid_ones_by_line()
    {
        // Ids no other test uses: the Azurite account is shared.
        var prefix = "imp" + Guid.NewGuid().ToString("N")[..8];
        var path = WriteInventory(prefix);

        var run = await CliRun.RunAsync("inventory", "import", path, "--storage", azurite.ConnectionString);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("imported 2 sandboxes, skipped 1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{path}:3: skipped: sandbox {prefix}-043", run.Stderr, StringComparison.Ordinal);
        var stored = (await new TableSandboxInventory(new TableServiceClient(azurite.ConnectionString)).ListAsync(CancellationToken.None))
            .Where(s => s.Id.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
        Assert.Equal([$"{prefix}-042", $"{prefix}-044"], stored.Select(s => s.Id));
        Assert.Equal("rl-oncall@example.com", stored[0].OwnerEmail);
        Assert.Equal(["10.0.5.0/24", "huggingface.co"], stored[0].AllowedEgress);
        Assert.Equal("10.20.3.14", Assert.Single(stored[0].Addresses).Ip);
        Assert.True(stored[1].Protected);
    }

    [Fact]
    public async Task Import_carries_the_scheduled_gpu_work_and_rejects_a_bad_schedule()
    {
        var prefix = "gpu" + Guid.NewGuid().ToString("N")[..8];
        var path = Path.Combine(_dir.FullName, "gpu-inventory.json");
        await File.WriteAllTextAsync(path, $$"""
            [
              {"id":"{{prefix}}-1","gpus":["GPU-5e3a1f4d-7a10-4011-909b-1c2d3e4f5a00",3],"gpuProcesses":["python3"],"schedule":[{"state":"active","from":"2026-01-10T02:30:00Z","to":"2026-01-10T08:00:00Z"},{"state":"idle","from":"2026-01-10T08:00:00Z"}]},
              {"id":"{{prefix}}-2","gpuProcesses":["python3"],"schedule":[{"state":"paused","from":"2026-01-10T02:30:00Z"}]}
            ]
            """);

        var run = await CliRun.RunAsync("inventory", "import", path, "--storage", azurite.ConnectionString);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"{path}:3: skipped: sandbox {prefix}-2: a schedule window needs a state of \"active\" or \"idle\"", run.Stderr, StringComparison.Ordinal);
        var stored = Assert.Single(
            await new TableSandboxInventory(new TableServiceClient(azurite.ConnectionString)).ListAsync(CancellationToken.None),
            s => s.Id.StartsWith(prefix, StringComparison.Ordinal));
        Assert.Equal(["GPU-5e3a1f4d-7a10-4011-909b-1c2d3e4f5a00", "3"], stored.Gpus);
        Assert.Equal(["python3"], stored.GpuProcesses);
        Assert.Equal(
            [
                new Core.Enrich.SandboxRunWindow(Core.Enrich.RunState.Active, new DateTimeOffset(2026, 1, 10, 2, 30, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 10, 8, 0, 0, TimeSpan.Zero)),
                new Core.Enrich.SandboxRunWindow(Core.Enrich.RunState.Idle, new DateTimeOffset(2026, 1, 10, 8, 0, 0, TimeSpan.Zero)),
            ],
            stored.Schedule);
    }

    [Fact]
    public async Task Import_needs_a_file_and_storage()
    {
        Assert.Equal(2, (await CliRun.RunAsync("inventory", "import", Path.Combine(_dir.FullName, "missing.json"), "--storage", azurite.ConnectionString)).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync("inventory", "import", WriteInventory("x"))).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync("inventory", "load")).ExitCode);
    }

    [Fact]
    public async Task Replay_reports_invalid_inventory_rows_and_runs_with_the_rest()
    {
        var path = WriteInventory("rep");
        var events = Path.Combine(_dir.FullName, "events.jsonl");
        File.WriteAllText(events, """{"@timestamp":"2026-01-10T03:00:00Z","event":{"category":["network"],"type":["connection"]},"source":{"ip":"10.20.3.14"},"destination":{"ip":"198.51.100.45","port":3333}}""" + "\n");

        var run = await CliRun.RunAsync("replay", events, "--inventory", path, "--rules", Path.Combine(CliRun.RepoRoot, "rules"), "--output", "json");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"{path}:3: skipped", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"sandboxId\":\"rep-042\"", run.Stdout, StringComparison.Ordinal);
    }
}
